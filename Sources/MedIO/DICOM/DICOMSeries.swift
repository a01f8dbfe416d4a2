import Foundation
import MedCore

/// One image plane of a DICOM series: a single-frame file, or one frame of an enhanced multi-frame file.
struct DICOMFrame: Sendable {
    /// The file that holds it.
    var file: String
    /// The frame within the file (0 for single-frame files) and the file's frame count.
    var frame: Int
    var framesInFile: Int
    /// Rows × columns of the plane.
    var rows: Int
    var columns: Int
    /// ImagePositionPatient: the centre of the first transmitted pixel, patient coordinates (LPS), mm.
    var positionLPS: SIMD3<Double>
    /// ImageOrientationPatient: direction of increasing column index (along a row), then of increasing row index.
    var rowCosines: SIMD3<Double>
    var columnCosines: SIMD3<Double>
    /// PixelSpacing: (between rows, between columns) in mm.
    var pixelSpacing: SIMD2<Double>
    /// Stored value × slope + intercept = physical value.
    var slope: Double
    var intercept: Double
    /// InstanceNumber, for messages.
    var instanceNumber: Int?
    /// AcquisitionTime as seconds since midnight.
    var acquisitionSeconds: Double?

    /// The slice normal: rowCosines × columnCosines.
    var normal: SIMD3<Double> { cross(rowCosines, columnCosines) }

    /// A short name for messages: the file, and the frame for multi-frame files.
    var label: String { framesInFile > 1 ? "\(file) frame \(frame + 1)" : file }
}

/// The body-weight SUV inputs of a PET series (PS3.3 PET Image and PET Isotope modules).
struct DICOMPETTags: Sendable {
    var file: String
    var units: String?
    var decayCorrection: String?
    var seriesSeconds: Double?
    var radiopharmaceuticalStartSeconds: Double?
    var totalDoseBq: Double?
    var halfLifeSeconds: Double?
    var patientWeightKG: Double?
}

/// One series found by `DICOMScan`: planes of one SeriesInstanceUID with one orientation and size, sorted along
/// the slice normal. Holds no patient identifier that reaches an output: the UIDs stay inside MedSynth (the case
/// ids of `medsynth import` are keyed hashes of them).
public struct DICOMSeries: Sendable {
    /// Position in the scan's listing, from 1 (what `--series N` selects).
    public internal(set) var number: Int
    /// SeriesNumber (0020,0011), when present.
    public var seriesNumber: Int?
    /// The DICOM modality code (CT, MR, PT, …).
    public var modality: String
    /// Rows × columns × planes.
    public var rows: Int
    public var columns: Int
    public var sliceCount: Int { frames.count }
    /// PixelSpacing (between rows, between columns) and the median distance between planes along the normal, mm.
    public var pixelSpacingMM: SIMD2<Double>
    public var sliceSpacingMM: Double?
    /// "axial", "coronal", "sagittal" or "oblique", from the slice normal.
    public var orientation: String
    /// SeriesTime as hh:mm:ss (time of day only; no date reaches an output).
    public var timeOfDay: String?
    /// Transfer syntax UIDs of its files.
    public var transferSyntaxes: [String]

    /// SeriesInstanceUID, StudyInstanceUID and FrameOfReferenceUID: selection and keyed case ids only.
    var seriesInstanceUID: String
    var studyInstanceUID: String?
    var frameOfReferenceUID: String?
    /// The planes, sorted by position along the normal.
    var frames: [DICOMFrame]
    /// SliceThickness / SpacingBetweenSlices of the first plane (a one-slice series' third axis).
    var sliceThicknessMM: Double?
    /// GantryDetectorTilt in degrees, when present.
    var gantryTiltDegrees: Double?
    /// PET only.
    var pet: DICOMPETTags?
    /// MONOCHROME1 and similar facts, for notes.
    var photometric: String?

    /// A one-line description: "2: CT 512x512x300, 0.7x0.7 mm, 2.5 mm apart, axial, series 3, 10:15:00".
    public var summaryLine: String {
        var parts = ["\(number): \(modality) \(columns)x\(rows)x\(sliceCount)",
                     String(format: "%.4gx%.4g mm", pixelSpacingMM.y, pixelSpacingMM.x)]
        if let s = sliceSpacingMM { parts.append(String(format: "%.4g mm apart", s)) }
        parts.append(orientation)
        if let seriesNumber { parts.append("series number \(seriesNumber)") }
        if let timeOfDay { parts.append(timeOfDay) }
        return parts.joined(separator: ", ")
    }
}

/// What `medsynth info` lists for one series (Codable for `--json`).
public struct DICOMSeriesSummary: Codable, Sendable, Equatable {
    public var number: Int
    public var seriesNumber: Int?
    public var modality: String
    /// [slices, rows, columns].
    public var shape: [Int]
    /// Spacing in mm along a row (between columns), along a column (between rows), between slices.
    public var spacingMM: [Double?]
    public var orientation: String
    public var timeOfDay: String?
    public var transferSyntaxes: [String]

    public init(_ s: DICOMSeries) {
        number = s.number
        seriesNumber = s.seriesNumber
        modality = s.modality
        shape = [s.sliceCount, s.rows, s.columns]
        spacingMM = [s.pixelSpacingMM.y, s.pixelSpacingMM.x, s.sliceSpacingMM]
        orientation = s.orientation
        timeOfDay = s.timeOfDay
        transferSyntaxes = s.transferSyntaxes
    }
}

func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }

func norm(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }

/// DICOM TM ("HHMMSS.FFFFFF", "HHMM", or the old "HH:MM:SS") as seconds since midnight; nil when malformed.
func dicomTimeSeconds(_ text: String?) -> Double? {
    guard let text else { return nil }
    let t = text.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespaces)
    let main = t.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
    guard main.count >= 2, main.count <= 6, main.allSatisfy(\.isNumber) else { return nil }
    let digits = Array(main)
    func field(_ at: Int) -> Double { at + 2 <= digits.count ? Double(String(digits[at..<(at + 2)])) ?? 0 : 0 }
    let fraction = t.contains(".") ? Double("0." + (t.split(separator: ".").last ?? "0")) ?? 0 : 0
    let h = field(0), m = field(2), s = field(4)
    guard h < 24, m < 60, s < 61 else { return nil }
    return h * 3600 + m * 60 + s + fraction
}

/// "hh:mm:ss" of a seconds-since-midnight value.
func timeOfDayText(_ seconds: Double) -> String {
    let s = Int(seconds)
    return String(format: "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
}

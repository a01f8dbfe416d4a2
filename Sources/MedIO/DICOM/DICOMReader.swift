import Dispatch
import CGDCMGlue
import Foundation
import MedCore

/// How to read a DICOM series into a volume.
public struct DICOMReadOptions: Sendable, Equatable {
    /// Which series of a folder: its number in the listing (`medsynth info`) or its SeriesInstanceUID; nil when the
    /// folder holds one series.
    public var series: String?
    /// PET: multiply the activity concentration (Bq/mL) by this instead of computing body-weight SUV from the tags.
    public var suvFactor: Double?

    public init(series: String? = nil, suvFactor: Double? = nil) {
        self.series = series
        self.suvFactor = suvFactor
    }
}

/// Reads a DICOM series into a `Volume`, the way dcm2niix and ITK do (docs/REAL_DATA.md):
/// - planes sorted along the slice normal (rowCosines × columnCosines) by ImagePositionPatient;
/// - the slice step from the positions, never from SliceThickness; uneven steps (a missing slice), two planes at
///   one position, or planes that drift in-plane (gantry tilt) are refused, naming the files;
/// - voxel (i, j, k) = (column, row, plane); the affine maps it to RAS millimetres (LPS with x and y negated);
/// - values = stored × RescaleSlope + RescaleIntercept, per plane (HU for CT); PET in body-weight SUV.
public enum DICOMReader {
    /// Relative tolerance on the slice step: steps differing from the median by more than this (or 0.02 mm) are
    /// uneven. ImagePositionPatient is usually written with 3–6 decimals.
    static let spacingTolerance = 0.05

    /// Reads one series of a DICOM file or folder.
    /// - Throws: `MedSynthError` naming the file or folder and saying what was found and how to choose.
    public static func read(_ url: URL, options: DICOMReadOptions = DICOMReadOptions()) throws -> LoadedVolume {
        let scan = try DICOMScan.scan(url)
        let series = try scan.select(options.series)
        var loaded = try scan.namingUnreadableFiles { try read(series, options: options, subject: url.path) }
        loaded.notes = scan.notes + loaded.notes
        return loaded
    }

    /// Reads a series found by `DICOMScan`.
    public static func read(_ series: DICOMSeries, options: DICOMReadOptions = DICOMReadOptions(),
                            subject: String) throws -> LoadedVolume {
        var notes: [String] = []
        let affine = try geometry(of: series, subject: subject, notes: &notes)
        let meaning = try self.meaning(of: series, options: options, notes: &notes)
        let (voxels, storedType) = try pixels(of: series)
        var volume = Volume(shape: VolumeShape(depth: series.sliceCount, height: series.rows, width: series.columns),
                            voxels: voxels, affine: affine, modality: meaning.modality, unit: meaning.unit)
        if meaning.factor != 1 {
            let f = Float(meaning.factor)
            volume.voxels.withUnsafeMutableBufferPointer { b in for n in b.indices { b[n] *= f } }
        }
        return LoadedVolume(volume: volume, format: .dicom, storedDataType: storedType, notes: notes)
    }

    /// What `writeNIfTI` wrote: the series' shape, meaning and stored type, and the notes a read would give.
    public struct Conversion: Sendable {
        public var shape: VolumeShape
        public var modality: Modality
        public var unit: IntensityUnit
        public var storedDataType: String
        public var notes: [String]
    }

    /// Converts one series of a DICOM file or folder to a NIfTI file without holding the volume. Child processes
    /// decode the planes in order into a ring of `windowPlanes` planes of shared memory (16 by default: 16 MiB at
    /// 512²; `DICOMIsolation.PlaneStream`), which this process scales (PET) and writes plane by plane
    /// (`NIfTIFile.write(shape:…produce:)`): each file is read once, and no pixel data is decoded in this process.
    /// A file that fails (GDCM's error, crash or hang) refuses the series; the partial output is removed. Gives the
    /// same file as `read` followed by `NIfTIFile.write` (tested). Enhanced multi-frame series, whose one file holds
    /// every plane, are read whole instead.
    /// - Parameters:
    ///   - modality: overrides the series' modality (`convert --modality`); its default unit comes with it.
    /// - Throws: as `read` and `NIfTIFile.write`.
    public static func writeNIfTI(_ url: URL, options: DICOMReadOptions = DICOMReadOptions(), to output: URL,
                                  dataType: NIfTIDataType = .float32, version: Int = 1,
                                  modality override: Modality? = nil, windowPlanes: Int = 16) throws -> Conversion {
        let scan = try DICOMScan.scan(url)
        let s = try scan.select(options.series)
        let shape = VolumeShape(depth: s.sliceCount, height: s.rows, width: s.columns)
        if s.frames.contains(where: { $0.framesInFile > 1 }) {
            var loaded = try scan.namingUnreadableFiles { try read(s, options: options, subject: url.path) }
            if let m = override {
                loaded.volume.modality = m
                loaded.volume.unit = m.defaultUnit
                loaded.notes.removeAll { $0.hasPrefix("MR series:") }
            }
            try NIfTIFile.write(loaded.volume, to: output, dataType: dataType, version: version)
            return Conversion(shape: shape, modality: loaded.volume.modality, unit: loaded.volume.unit,
                              storedDataType: loaded.storedDataType, notes: scan.notes + loaded.notes)
        }
        var notes = scan.notes
        let affine = try scan.namingUnreadableFiles { try geometry(of: s, subject: url.path, notes: &notes) }
        let meaning = try self.meaning(of: s, options: options, notes: &notes)
        if override != nil { notes.removeAll { $0.hasPrefix("MR series:") } }
        let factor = Float(meaning.factor)
        var storedTypes: Set<String> = []
        try NIfTIFile.write(shape: shape, affine: affine, modality: override ?? meaning.modality,
                            unit: override?.defaultUnit ?? meaning.unit, to: output, dataType: dataType,
                            version: version) { sink in
            storedTypes = try forEachPlane(of: s, window: windowPlanes, subject: url.path) { _, plane in
                if factor != 1 { for i in plane.indices { plane[i] *= factor } }
                try sink(UnsafeBufferPointer(plane))
            }
        }
        return Conversion(shape: shape, modality: override ?? meaning.modality, unit: override?.defaultUnit ?? meaning.unit,
                          storedDataType: storedTypes.sorted().joined(separator: "/"), notes: notes)
    }

    /// A series' modality, unit and the factor its values are multiplied by (PET: SUV), with the notes about them.
    static func meaning(of s: DICOMSeries, options: DICOMReadOptions,
                        notes: inout [String]) throws -> (modality: Modality, unit: IntensityUnit, factor: Double) {
        var result: (modality: Modality, unit: IntensityUnit, factor: Double) = (.unknown, .arbitrary, 1)
        switch s.modality {
        case "CT":
            result = (.ct, .hounsfield, 1)
        case "PT":
            result = (.pet, .suv, try suvFactor(s, override: options.suvFactor, notes: &notes))
        case "MR":
            notes.append("MR series: DICOM does not say which contrast (T1, T2, FLAIR…); set it with --modality")
        default:
            notes.append("DICOM modality \(s.modality): stored as unknown")
        }
        if s.photometric == "MONOCHROME1" {
            notes.append("MONOCHROME1 (white is low): values are kept as stored, not inverted")
        }
        if s.sliceCount > 1, let t = s.sliceThicknessMM, let spacing = s.sliceSpacingMM, abs(t - spacing) > 0.01 {
            notes.append(String(format: "slice spacing %.4g mm from the positions (SliceThickness says %.4g mm)", spacing, t))
        }
        return result
    }

    // MARK: - Geometry

    /// The voxel-to-RAS affine of a series after checking that its planes form a regular grid.
    static func geometry(of s: DICOMSeries, subject: String, notes: inout [String]) throws -> Affine {
        let frames = s.frames
        let first = frames[0]
        let n = first.normal
        let d = frames.map { dot($0.positionLPS, n) }
        var step: SIMD3<Double>
        if frames.count == 1 {
            let thickness = s.sliceThicknessMM ?? 1
            if s.sliceThicknessMM == nil { notes.append("one slice and no SliceThickness: 1 mm assumed along the normal") }
            step = n * thickness
        } else {
            for k in 1..<frames.count where d[k] - d[k - 1] < 1e-3 {
                throw MedSynthError(.unsupported, subject,
                                    "two images at the same position along the slice normal (\(frames[k - 1].label) and \(frames[k].label)): several echoes, time points or stacks in one series; MedSynth reads one 3D stack per series")
            }
            let median = s.sliceSpacingMM ?? (d[1] - d[0])
            let tolerance = max(0.02, spacingTolerance * median)
            for k in 1..<frames.count where abs(d[k] - d[k - 1] - median) > tolerance {
                let gap = d[k] - d[k - 1]
                let missing = gap > median ? String(format: " (about %.0f slice(s) missing?)", (gap / median).rounded() - 1) : ""
                throw MedSynthError(.corrupt, subject,
                                    String(format: "uneven slice spacing: %.4g mm between %@ and %@ where the series steps %.4g mm%@; MedSynth reads only evenly spaced series",
                                           gap, frames[k - 1].label, frames[k].label, median, missing))
            }
            step = (frames[frames.count - 1].positionLPS - first.positionLPS) / Double(frames.count - 1)
            // Every plane on the line first + k·step: a tilted gantry (or a sheared stack) moves planes in-plane.
            for (k, f) in frames.enumerated() {
                let offset = f.positionLPS - (first.positionLPS + step * Double(k))
                if norm(offset) > 0.02 + 1e-3 * norm(step) * Double(k) {
                    throw MedSynthError(.corrupt, subject, String(format: "slice %@ is %.3g mm off the line of the others: not a regular stack", f.label, norm(offset)))
                }
            }
            let inPlane = step - n * dot(step, n)
            if norm(inPlane) > 0.01 + 1e-3 * norm(step) {
                let tilt = s.gantryTiltDegrees.map { String(format: " (GantryDetectorTilt %.4g°)", $0) } ?? ""
                throw MedSynthError(.unsupported, subject,
                                    String(format: "gantry tilt or sheared stack%@: each slice moves %.3g mm in-plane besides %.4g mm along the normal; MedSynth does not resample tilted acquisitions (dcm2niix can: its tilt correction writes a '_Tilt_' volume)",
                                           tilt, norm(inPlane), dot(step, n)))
            }
        }
        let lpsToRAS = SIMD3<Double>(-1, -1, 1)
        // "+ 0" turns the -0 of negated zero entries into 0 (prints and compares as people expect).
        let c0 = first.rowCosines * first.pixelSpacing.y * lpsToRAS + 0
        let c1 = first.columnCosines * first.pixelSpacing.x * lpsToRAS + 0
        let c2 = step * lpsToRAS + 0
        let o = first.positionLPS * lpsToRAS + 0
        return Affine(rowMajor: [c0.x, c1.x, c2.x, o.x,
                                 c0.y, c1.y, c2.y, o.y,
                                 c0.z, c1.z, c2.z, o.z,
                                 0, 0, 0, 1])
    }

    // MARK: - Pixels

    /// Decodes every plane into physical values, plane k at offset k·rows·columns, in child processes (a crash
    /// inside GDCM fails its file, not the command): one file per plane through `forEachPlane`; enhanced
    /// multi-frame files by the dry run in children, then threads decoding in-process.
    /// - Returns: the values and the stored element type ("int16", …).
    static func pixels(of s: DICOMSeries) throws -> (voxels: [Float], storedType: String) {
        let plane = s.rows * s.columns
        var failure: Error?
        var storedTypes: Set<String> = []
        // Each plane is written once; when a file fails, the read throws and the array is never used, so it
        // starts uninitialised (Float is trivial) instead of zeroed: one pass over the volume less.
        let voxels = [Float](unsafeUninitializedCapacity: plane * s.sliceCount) { buffer, initialized in
            // A large volume is written once, plane by plane: 2 MiB pages spare most of its first-touch faults.
            HugePages.advise(UnsafeMutableRawPointer(buffer.baseAddress!), byteCount: buffer.count * MemoryLayout<Float>.stride)
            initialized = buffer.count
            if s.frames.allSatisfy({ $0.framesInFile == 1 }) {
                do {
                    storedTypes = try forEachPlane(of: s, window: 16, subject: s.frames[0].file) { k, values in
                        (buffer.baseAddress! + k * plane).update(from: values.baseAddress!, count: plane)
                    }
                } catch { failure = error }
            } else {
                let (files, jobs) = planeJobs(s)
                let results = DICOMIsolation.decode(files: files, jobs: jobs, rows: s.rows, columns: s.columns, into: buffer)
                do { try refuseFailures(results, series: s) } catch { failure = error }
                storedTypes = Set(results.map(\.storedType))
            }
        }
        if let failure { throw failure }
        return (voxels, storedTypes.sorted().joined(separator: "/"))
    }

    /// Runs `body(k, values)` for every plane k of `s` in order (one file per plane), decoded by child processes
    /// into a ring of `window` planes of shared memory (`DICOMIsolation.PlaneStream`): each file is read once and
    /// no pixel data is decoded in this process; `values` (stored × slope + intercept) may be changed in place.
    /// - Returns: the stored element types met.
    /// - Throws: the first failing file's error, saying that the series is refused (GDCM's error, a crash or a
    ///   hang in its child); whatever `body` throws (the children are then stopped).
    static func forEachPlane(of s: DICOMSeries, window: Int, subject: String,
                             _ body: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> Set<String> {
        let (files, jobs) = planeJobs(s)
        return try ForkGate.forking {
            let stream = try DICOMIsolation.PlaneStream(files: files, jobs: jobs, rows: s.rows, columns: s.columns,
                                                        window: max(1, window), subject: subject)
            for k in 0..<s.sliceCount {
                let plane: UnsafeMutableBufferPointer<Float>
                do { plane = try stream.plane(k) } catch let e as MedSynthError { throw refused(e, series: s) }
                try body(k, plane)
                stream.release(through: k)
            }
            return stream.storedTypes
        }
    }

    /// The series' files (sorted) and one job per plane, in plane order (job k writes plane k).
    static func planeJobs(_ s: DICOMSeries) -> (files: [String], jobs: [ms_dicom_plane_job]) {
        let files = Array(Set(s.frames.map(\.file))).sorted()
        let fileIndex = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        let jobs = s.frames.enumerated().map { k, f in
            ms_dicom_plane_job(file: Int32(fileIndex[f.file]!), frame: Int32(f.frame), plane: Int32(k), slope: f.slope,
                               intercept: f.intercept)
        }
        return (files, jobs)
    }

    /// Throws the first file's failure, saying that the series is refused because of it.
    static func refuseFailures(_ results: [DICOMIsolation.FileResult], series s: DICOMSeries) throws {
        guard let e = results.lazy.compactMap(\.error).first else { return }
        throw refused(e, series: s)
    }

    /// A file's failure, saying that the series is refused because of it.
    static func refused(_ e: MedSynthError, series s: DICOMSeries) -> MedSynthError {
        MedSynthError(e.kind, e.subject, e.message + " — the series (\(s.sliceCount) slice\(s.sliceCount == 1 ? "" : "s")) is refused: this file is one of them")
    }

    // MARK: - PET

    /// The factor from activity concentration (Bq/mL) to body-weight SUV (g/mL), as QIBA's FDG-PET profile and
    /// NEMA define it: weight (g) / injected dose decayed to the scan start (Bq).
    static func suvFactor(_ s: DICOMSeries, override: Double?, notes: inout [String]) throws -> Double {
        if let override {
            notes.append("PET values × \(override) (--suv-factor), not computed from the tags")
            return override
        }
        guard let pet = s.pet else { throw MedSynthError(.corrupt, s.frames[0].file, "PET series without PET tags") }
        let file = pet.file
        let escape = "; give the factor with --suv-factor F (SUV = value × F)"
        guard let units = pet.units else {
            throw MedSynthError(.unsupported, file, "PET image has no Units (0054,1001)\(escape)")
        }
        if units == "GML" {
            notes.append("PET Units GML: values are already body-weight SUV")
            return 1
        }
        guard units == "BQML" else {
            throw MedSynthError(.unsupported, file, "PET Units (0054,1001) is '\(units)', expected BQML (or GML, already SUV)\(escape)")
        }
        guard let weight = pet.patientWeightKG, weight > 0 else {
            throw MedSynthError(.corrupt, file, "PET image has no PatientWeight (0010,1030) (or it is 0): body-weight SUV needs it\(escape)")
        }
        guard let dose = pet.totalDoseBq, dose > 0 else {
            throw MedSynthError(.corrupt, file, "PET image has no RadionuclideTotalDose (0018,1074) in RadiopharmaceuticalInformationSequence (0054,0016)\(escape)")
        }
        let decay = pet.decayCorrection ?? ""
        var decayed = dose
        switch decay {
        case "START":
            guard let halfLife = pet.halfLifeSeconds, halfLife > 0 else {
                throw MedSynthError(.corrupt, file, "PET image has no RadionuclideHalfLife (0018,1075)\(escape)")
            }
            guard let injection = pet.radiopharmaceuticalStartSeconds else {
                throw MedSynthError(.corrupt, file, "PET image has no RadiopharmaceuticalStartTime (0018,1072)\(escape)")
            }
            // The scan start: SeriesTime, or the earliest AcquisitionTime when that is earlier (series re-saved later).
            let acquisitions = s.frames.compactMap(\.acquisitionSeconds)
            guard let seriesTime = pet.seriesSeconds ?? acquisitions.min() else {
                throw MedSynthError(.corrupt, file, "PET image has no SeriesTime (0008,0031) or AcquisitionTime (0008,0032)\(escape)")
            }
            let start = min(seriesTime, acquisitions.min() ?? seriesTime)
            var elapsed = start - injection
            if elapsed < 0 {
                elapsed += 86_400
                notes.append("PET: scan start before the injection time of day; taken as the next day")
            }
            decayed = dose * pow(2, -elapsed / halfLife)
            notes.append(String(format: "PET: body-weight SUV, dose decayed over %.0f s (half-life %.1f s), weight %.4g kg", elapsed, halfLife, weight))
        case "ADMIN":
            notes.append(String(format: "PET: body-weight SUV, images decay-corrected to the injection (ADMIN), weight %.4g kg", weight))
        default:
            throw MedSynthError(.unsupported, file, "PET DecayCorrection (0054,1102) is '\(decay)', expected START or ADMIN\(escape)")
        }
        return weight * 1000 / decayed
    }
}

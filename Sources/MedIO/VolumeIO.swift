import Foundation
import MedCore

/// Options for writing a volume, whichever the format; each writer uses the fields that apply to it.
public struct VolumeWriteOptions: Sendable {
    /// PNG: the physical range mapped to black…white. Nil: the modality's default window (CT [-1024, 3071] HU,
    /// labels [0, 255]) or else the data's own min…max.
    public var window: IntensityWindow?
    /// PNG: 8 or 16 bits per pixel.
    public var pngBitDepth: Int
    /// PNG: which axial slice of a multi-slice volume to write (PNG holds one slice).
    public var slice: Int?
    /// NIfTI: the on-disk element type.
    public var niftiDataType: NIfTIDataType
    /// NIfTI: format version 1 or 2.
    public var niftiVersion: Int
    /// HDF5: the case id under `/cases/` (defaults to the output file's stem).
    public var caseID: String?
    /// HDF5: deflate level 0…9, nil for no compression.
    public var deflateLevel: Int?

    /// Defaults: 16-bit PNG, float32 NIfTI-1, HDF5 deflate level 4.
    public init(window: IntensityWindow? = nil, pngBitDepth: Int = 16, slice: Int? = nil,
                niftiDataType: NIfTIDataType = .float32, niftiVersion: Int = 1,
                caseID: String? = nil, deflateLevel: Int? = 4) {
        self.window = window
        self.pngBitDepth = pngBitDepth
        self.slice = slice
        self.niftiDataType = niftiDataType
        self.niftiVersion = niftiVersion
        self.caseID = caseID
        self.deflateLevel = deflateLevel
    }
}

/// Reads and writes volumes in any supported format, choosing the codec from content (reading) or from the
/// file name (writing).
public enum VolumeIO {
    /// Reads one volume.
    /// - Parameters:
    ///   - url: a PNG, NIfTI (`.nii`, `.nii.gz`) or HDF5 file, or a DICOM file or folder.
    ///   - dataset: for HDF5, the dataset path; may be omitted when the file holds exactly one 2D/3D dataset.
    ///   - dicom: for DICOM, which series and how PET becomes SUV.
    /// - Throws: `MedSynthError` naming the file and the problem.
    public static func read(_ url: URL, dataset: String? = nil, dicom: DICOMReadOptions = DICOMReadOptions()) throws -> LoadedVolume {
        let format = try FileFormatDetector.detect(url)
        if dataset != nil && format != .hdf5 {
            throw MedSynthError(.invalidArgument, url.path, "a dataset path was given but the file is \(FileFormatDetector.describe(format)), not HDF5")
        }
        switch format {
        case .png: return try PNGFile.read(url)
        case .nifti1, .nifti2: return try NIfTIFile.read(url)
        case .dicom: return try DICOMReader.read(url, options: dicom)
        case .hdf5:
            if let dataset { return try HDF5VolumeStore.read(url, dataset: dataset) }
            let paths = try HDF5VolumeStore.datasetPaths(in: url)
            guard paths.count == 1 else {
                if paths.isEmpty { throw MedSynthError(.unsupported, url.path, "holds no 2D or 3D numeric dataset") }
                throw MedSynthError(.invalidArgument, url.path,
                                    "holds \(paths.count) image datasets; choose one with --dataset: \(paths.prefix(8).joined(separator: ", "))\(paths.count > 8 ? ", …" : "")")
            }
            return try HDF5VolumeStore.read(url, dataset: paths[0])
        }
    }

    /// Writes one volume, in the format its name says (`.png`, `.nii`, `.nii.gz`, `.h5`/`.hdf5`). The output
    /// appears complete or not at all.
    /// - Throws: `MedSynthError` naming the output when the name has no known extension, the options do not fit
    ///   the volume (a multi-slice volume to PNG without `slice`), or writing fails.
    public static func write(_ volume: Volume, to url: URL, options: VolumeWriteOptions = VolumeWriteOptions()) throws {
        guard let format = FileFormatDetector.formatFromName(url) else {
            throw MedSynthError(.invalidArgument, url.path, "unknown output extension; expected .png, .nii, .nii.gz, .h5 or .hdf5")
        }
        if format == .dicom {
            throw MedSynthError(.unsupported, url.path, "MedSynth reads DICOM but does not write it here; expected .png, .nii, .nii.gz, .h5 or .hdf5")
        }
        switch format {
        case .png:
            var image = volume
            if let k = options.slice {
                guard k >= 0 && k < volume.shape.depth else {
                    throw MedSynthError(.invalidArgument, url.path, "slice \(k) is outside 0..<\(volume.shape.depth)")
                }
                image = volume.slice(k)
            } else if volume.shape.depth > 1 {
                throw MedSynthError(.invalidArgument, url.path,
                                    "a PNG holds one slice but the volume has \(volume.shape.depth) (shape \(volume.shape)); choose one with --slice K")
            }
            let window = try options.window ?? defaultWindow(for: image)
            try PNGFile.write(image, to: url, bitDepth: options.pngBitDepth, window: window)
        case .nifti1, .nifti2:
            try NIfTIFile.write(volume, to: url, dataType: options.niftiDataType, version: options.niftiVersion)
        case .dicom:
            return
        case .hdf5:
            let caseID = options.caseID ?? stem(of: url)
            try HDF5VolumeStore.write([(caseID: caseID, volume: volume)], to: url, deflateLevel: options.deflateLevel)
        }
    }

    /// The window used for PNG output when none is given: CT's full range [-1024, 3071] HU, labels [0, 255],
    /// otherwise the volume's finite min…max (`IntensityWindow.covering`).
    /// - Throws: `MedSynthError(.invalidArgument)` when the volume has no finite value.
    public static func defaultWindow(for volume: Volume) throws -> IntensityWindow {
        switch volume.modality {
        case .ct: return IntensityWindow.ctFull
        case .label: return try IntensityWindow(lowerValue: 0, upperValue: 255)
        default: return try IntensityWindow.covering(volume.voxels)
        }
    }

    /// The file name without its extension (`brain.nii.gz` → `brain`).
    public static func stem(of url: URL) -> String {
        var name = url.lastPathComponent
        for ext in [".nii.gz", ".nii", ".png", ".h5", ".hdf5", ".hdf"] where name.lowercased().hasSuffix(ext) {
            name.removeLast(ext.count)
            break
        }
        return name.isEmpty ? "case" : name
    }
}

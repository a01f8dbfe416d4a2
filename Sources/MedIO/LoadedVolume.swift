/// The file formats MedSynth reads and writes.
public enum VolumeFileFormat: String, Codable, Sendable, CaseIterable {
    /// PNG, 8- or 16-bit grayscale.
    case png = "PNG"
    /// NIfTI-1 (`.nii`, `.nii.gz`).
    case nifti1 = "NIfTI-1"
    /// NIfTI-2 (`.nii`, `.nii.gz`).
    case nifti2 = "NIfTI-2"
    /// HDF5 (`.h5`, `.hdf5`).
    case hdf5 = "HDF5"
    /// DICOM (read only): a file or a folder of series, read through GDCM (`DICOMReader`).
    case dicom = "DICOM"
}

/// A volume read from a file, with what the file said about how it was stored.
public struct LoadedVolume: Sendable {
    /// The voxels in physical units, with geometry.
    public var volume: Volume
    /// The format the file was in.
    public var format: VolumeFileFormat
    /// The on-disk element type ("uint8", "int16", "uint16", "int32", "float32", "float64", ...).
    public var storedDataType: String
    /// Facts worth telling the user: conversions applied (color to grayscale, scaling), defaults assumed.
    public var notes: [String]

    /// Creates a loaded volume.
    public init(volume: Volume, format: VolumeFileFormat, storedDataType: String, notes: [String] = []) {
        self.volume = volume
        self.format = format
        self.storedDataType = storedDataType
        self.notes = notes
    }
}

import Foundation

/// What `medsynth info` reports about one image: format, geometry, storage type and value statistics.
public struct VolumeSummary: Codable, Sendable, Equatable {
    /// The file path.
    public var file: String
    /// For HDF5, the dataset path; nil otherwise.
    public var dataset: String?
    /// Format name ("PNG", "NIfTI-1", "NIfTI-2", "HDF5").
    public var format: String
    /// [depth, height, width].
    public var shape: [Int]
    /// Voxel size in mm along width (x), height (y) and depth (z).
    public var spacingMM: [Double]
    /// The on-disk element type.
    public var dtype: String
    /// Modality name ("CT", "T1", …, "unknown").
    public var modality: String
    /// Unit name ("HU", "SUV", "arbitrary", "label").
    public var unit: String
    /// 16 row-major entries of the voxel-to-world affine.
    public var affine: [Double]
    /// Value statistics over finite voxels, in `unit`.
    public var min: Double, max: Double, mean: Double, std: Double
    /// Count of NaN/infinite voxels.
    public var nonFinite: Int
    /// Conversions and assumptions made while reading.
    public var notes: [String]

    /// Summarises a loaded volume.
    public init(file: String, dataset: String? = nil, loaded: LoadedVolume) {
        let v = loaded.volume
        let s = VolumeStatistics(v.voxels)
        self.file = file
        self.dataset = dataset
        format = loaded.format.rawValue
        shape = [v.shape.depth, v.shape.height, v.shape.width]
        spacingMM = [v.spacingMM.x, v.spacingMM.y, v.spacingMM.z]
        dtype = loaded.storedDataType
        modality = v.modality.rawValue
        unit = v.unit.rawValue
        affine = v.affine.rowMajor
        min = s.min; max = s.max; mean = s.mean; std = s.std
        nonFinite = s.nonFiniteCount
        notes = loaded.notes
    }

    /// Aligned `key: value` lines for a terminal.
    public var textLines: [String] {
        func g(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "\(x)" }
        var lines = [
            "file:     \(file)" + (dataset.map { " [\($0)]" } ?? ""),
            "format:   \(format)",
            "shape:    \(shape.map(String.init).joined(separator: " x ")) (depth x height x width)",
            "spacing:  \(spacingMM.map(g).joined(separator: " x ")) mm (x y z)",
            "dtype:    \(dtype)",
            "modality: \(modality) (\(unit))",
            "affine:   " + (0..<3).map { r in "[" + (0..<4).map { g(affine[r * 4 + $0]) }.joined(separator: " ") + "]" }.joined(separator: " "),
            "values:   min \(g(min))  max \(g(max))  mean \(g(mean))  std \(g(std))" + (nonFinite > 0 ? "  non-finite \(nonFinite)" : ""),
        ]
        lines += notes.map { "note:     \($0)" }
        return lines
    }
}

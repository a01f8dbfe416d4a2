import MedCore

/// A medical image volume: Float32 voxels in physical units with geometry and meaning attached.
///
/// Axis order: `voxels` is C-ordered `[depth][height][width]` — width (NIfTI i) fastest, then height (j),
/// then depth (k, the axial slice axis). This is the same memory layout as a NIfTI file (i fastest), so
/// reading and writing NIfTI copies no axes; in h5py the array has shape (depth, height, width) and
/// `h5_array.transpose(2, 1, 0)` equals nibabel's `get_fdata()`. A 2D image is a volume with depth 1.
public struct Volume: Equatable, Sendable {
    /// The extents.
    public let shape: VolumeShape
    /// The voxel values, `shape.voxelCount` of them, in `unit`. Callers that replace the whole array keep the
    /// count (no observer checks it: an observer would copy the array on every element write).
    public var voxels: [Float]
    /// Voxel (i, j, k) → world millimetres.
    public var affine: Affine
    /// What the volume shows.
    public var modality: Modality
    /// The unit of `voxels`.
    public var unit: IntensityUnit

    /// Creates a volume.
    /// - Parameters:
    ///   - shape: extents.
    ///   - voxels: `shape.voxelCount` values, C order (width fastest).
    ///   - affine: voxel-to-world transform; defaults to 1 mm isotropic at the origin.
    ///   - modality: what it shows; the unit defaults to the modality's.
    ///   - unit: overrides the modality's default unit.
    /// - Precondition: `voxels.count == shape.voxelCount`.
    public init(shape: VolumeShape, voxels: [Float], affine: Affine = .identity,
                modality: Modality = .unknown, unit: IntensityUnit? = nil) {
        precondition(voxels.count == shape.voxelCount, "voxel count \(voxels.count) != \(shape.voxelCount) for \(shape)")
        self.shape = shape
        self.voxels = voxels
        self.affine = affine
        self.modality = modality
        self.unit = unit ?? modality.defaultUnit
    }

    /// A volume of `shape` filled with `value`.
    public init(shape: VolumeShape, filledWith value: Float = 0, affine: Affine = .identity,
                modality: Modality = .unknown, unit: IntensityUnit? = nil) {
        self.init(shape: shape, voxels: [Float](repeating: value, count: shape.voxelCount),
                  affine: affine, modality: modality, unit: unit)
    }

    /// Voxel spacing in millimetres along width (i), height (j) and depth (k), from the affine's columns.
    public var spacingMM: SIMD3<Double> { affine.columnLengthsMM }

    /// The linear index of voxel (slice `k`, row `j`, column `i`).
    @inline(__always) public func index(k: Int, j: Int, i: Int) -> Int { (k * shape.height + j) * shape.width + i }

    /// Voxel value at slice `k`, row `j`, column `i`.
    public subscript(k: Int, j: Int, i: Int) -> Float {
        get { voxels[index(k: k, j: j, i: i)] }
        set { voxels[index(k: k, j: j, i: i)] = newValue }
    }

    /// The voxels of axial slice `k`, without copying (`height × width` values, width fastest).
    /// - Precondition: `0 <= k < shape.depth`.
    public func sliceVoxels(_ k: Int) -> ArraySlice<Float> {
        precondition(k >= 0 && k < shape.depth, "slice \(k) out of 0..<\(shape.depth)")
        let n = shape.sliceCount
        return voxels[(k * n)..<((k + 1) * n)]
    }

    /// Axial slice `k` as a one-slice volume whose affine places it where it was in this volume.
    public func slice(_ k: Int) -> Volume {
        Volume(shape: VolumeShape(depth: 1, height: shape.height, width: shape.width),
               voxels: Array(sliceVoxels(k)), affine: affine.shifted(byVoxels: SIMD3(0, 0, Double(k))),
               modality: modality, unit: unit)
    }

    /// Stacks one-or-more-slice volumes of equal height and width along depth; geometry comes from the first.
    /// - Throws: `MedSynthError(.mismatch)` when slice sizes differ; `.invalidArgument` for an empty list.
    public static func stacking(_ parts: [Volume]) throws -> Volume {
        guard let first = parts.first else { throw MedSynthError(.invalidArgument, nil, "nothing to stack") }
        var voxels: [Float] = []
        var depth = 0
        for (n, p) in parts.enumerated() {
            guard p.shape.height == first.shape.height, p.shape.width == first.shape.width else {
                throw MedSynthError(.mismatch, nil, "part \(n) is \(p.shape), expected \(first.shape.height)x\(first.shape.width) slices")
            }
            voxels += p.voxels
            depth += p.shape.depth
        }
        return Volume(shape: VolumeShape(depth: depth, height: first.shape.height, width: first.shape.width),
                      voxels: voxels, affine: first.affine, modality: first.modality, unit: first.unit)
    }
}

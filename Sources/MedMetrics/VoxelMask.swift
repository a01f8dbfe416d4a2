import MedCore
import MedIO

/// A binary region of interest on a volume's grid: the voxels a metric averages over.
///
/// Built from a `Volume` (voxels `!= 0` are inside, or any predicate) or from a `[Bool]` of the same C order
/// as `Volume.voxels` (width fastest, then height, then depth).
public struct VoxelMask: Equatable, Sendable {
    /// The grid the mask lives on.
    public let shape: VolumeShape
    /// One flag per voxel, C order; `true` = the voxel counts.
    public let isInside: [Bool]
    /// The number of `true` flags.
    public let count: Int

    /// Creates a mask from flags.
    /// - Parameters:
    ///   - shape: the grid.
    ///   - isInside: `shape.voxelCount` flags, C order.
    /// - Throws: `MedSynthError(.mismatch)` when the flag count differs from the grid's voxel count.
    public init(shape: VolumeShape, isInside: [Bool]) throws {
        guard isInside.count == shape.voxelCount else {
            throw MedSynthError(.mismatch, "mask", "has \(isInside.count) flags, expected \(shape.voxelCount) for \(shape)")
        }
        self.shape = shape
        self.isInside = isInside
        self.count = isInside.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// A mask of the voxels of `volume` for which `predicate` holds (default: value `!= 0`).
    public init(_ volume: Volume, where predicate: (Float) -> Bool = { $0 != 0 }) {
        self.shape = volume.shape
        self.isInside = volume.voxels.map(predicate)
        self.count = isInside.reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// Checks that the mask lies on `shape` and selects at least one voxel.
    /// - Throws: `MedSynthError(.mismatch)` for another grid, `.invalidArgument` for an empty mask.
    func validate(for shape: VolumeShape, metric: String) throws {
        guard self.shape == shape else {
            throw MedSynthError(.mismatch, metric, "mask is \(self.shape), images are \(shape)")
        }
        guard count > 0 else {
            throw MedSynthError(.invalidArgument, metric, "mask selects no voxels; the mean over it is not defined")
        }
    }
}

/// Throws unless two volumes have the same shape.
func requireSameShape(_ a: Volume, _ b: Volume, metric: String) throws {
    guard a.shape == b.shape else {
        throw MedSynthError(.mismatch, metric, "images differ in shape: \(a.shape) vs \(b.shape)")
    }
}

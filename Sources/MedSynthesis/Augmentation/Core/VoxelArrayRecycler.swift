import Foundation

/// Voxel arrays released by pipeline runs, kept for later runs of the same pipeline.
///
/// A resampling step writes into a spare array (`AugmentationWorkspace`); the arrays it replaces become spares.
/// Without recycling, every run's first resampling step takes fresh memory, and the first write to a fresh
/// 32 MiB volume costs page faults and the kernel's zeroing (≈ 3 ms with huge pages, ≈ 14 ms without). With it,
/// `medsynth augment` (which runs one pipeline over many cases with `applyInPlace`) reuses the previous case's
/// spares: every run releases as many arrays as it takes. Arrays are only ever handed over whole and uniquely
/// held, so reuse never copies; their contents are stale and are overwritten completely by the step that takes
/// them.
public final class VoxelArrayRecycler: @unchecked Sendable {
    /// The most voxel bytes kept (older arrays beyond it are dropped).
    public let capacityBytes: Int
    private let lock = NSLock()
    private var arrays: [[Float]] = []   // guarded by lock

    /// - Parameter capacityBytes: the most bytes kept; default 512 MiB (16 volumes of 256 × 256 × 128).
    public init(capacityBytes: Int = 512 << 20) {
        self.capacityBytes = capacityBytes
    }

    /// An array of exactly `count` voxels (stale contents), or nil when none is kept.
    func take(count: Int) -> [Float]? {
        lock.lock()
        defer { lock.unlock() }
        guard let n = arrays.lastIndex(where: { $0.count == count }) else { return nil }
        return arrays.remove(at: n)
    }

    /// Keeps `released` (arrays nothing else holds) within the byte budget.
    func give(_ released: [[Float]]) {
        guard !released.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        arrays.append(contentsOf: released)
        var bytes = arrays.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride }
        while bytes > capacityBytes, !arrays.isEmpty {
            bytes -= arrays.removeFirst().count * MemoryLayout<Float>.stride
        }
    }

    /// The number of arrays kept.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return arrays.count
    }
}

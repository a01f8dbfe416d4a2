import MedCore
import MedIO

/// Mirrors the case along some axes (TorchIO's RandomFlip): each configured axis is flipped with its own
/// probability. Exact (a permutation of voxels), so images and labels keep their values.
public struct FlipAugmentation: AugmentationTransform {
    /// Flip settings.
    public struct Settings: TransformSettings {
        /// The axes that may be flipped. Default: width (left–right, the usual symmetry of a head).
        public var axes: [SpatialAxis] = [.width]
        /// The probability of flipping each listed axis, independently. Default 0.5.
        public var probabilityPerAxis: Double = 0.5

        /// The defaults.
        public init() {}
    }

    /// The drawn flips.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The axes flipped, in width, height, depth order; empty means identity.
        public var flippedAxes: [SpatialAxis]
        /// Creates parameters.
        public init(flippedAxes: [SpatialAxis]) { self.flippedAxes = flippedAxes }
    }

    public static let name = "flip"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for an empty axis list or a probability outside [0, 1].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.nonEmpty(settings.axes, "axes")
        try SettingsCheck.value(settings.probabilityPerAxis, within: 0...1, "probabilityPerAxis")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        var flipped: Set<SpatialAxis> = []
        for axis in settings.axes where generator.nextUnitDouble() < settings.probabilityPerAxis { flipped.insert(axis) }
        return Parameters(flippedAxes: flipped.sorted())
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard !parameters.flippedAxes.isEmpty else { return }
        let shape = workspace.geometry.shape
        let axes = Set(parameters.flippedAxes)
        for name in workspace.augmentationCase.imageNames {
            workspace.updateImage(name) { src, dst in Self.flip(src, dst, shape: shape, axes: axes) }
        }
        if workspace.augmentationCase.labels != nil {
            workspace.updateLabels { src, dst in Self.flip(src, dst, shape: shape, axes: axes) }
        }
    }

    /// Writes `src` reversed along `axes` into `dst`, which may be `src`: the voxels are visited in mirror pairs
    /// (a voxel and its image), both read before either is written. Parallel over pairs of slices.
    static func flip(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: VolumeShape, axes: Set<SpatialAxis>) {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let fx = axes.contains(.width), fy = axes.contains(.height), fz = axes.contains(.depth)
        // Slice k pairs with slice d − 1 − k when depth flips (the middle slice with itself), else with itself;
        // within a pair, row j of one with row h − 1 − j (or j) of the other, only half the rows when the two
        // slices are one.
        let slicePairs = fz ? (d + 1) / 2 : d
        Parallel.forEachChunk(count: slicePairs) { pairs in
            for k in pairs {
                let sk = fz ? d - 1 - k : k
                let rowPairs = fy && sk == k ? (h + 1) / 2 : h
                for j in 0..<rowPairs {
                    let sj = fy ? h - 1 - j : j
                    let a = (k * h + j) * w, b = (sk * h + sj) * w
                    swapRows(src + a, src + b, dst + a, dst + b, width: w, reverse: fx)
                }
            }
        }
    }

    /// outA = rowB, outB = rowA, each reversed when `reverse`; works when outA is rowA (in place) and when the
    /// two rows are one (a row mirrored onto itself).
    @inline(__always)
    private static func swapRows(_ rowA: UnsafePointer<Float>, _ rowB: UnsafePointer<Float>, _ outA: UnsafeMutablePointer<Float>,
                                 _ outB: UnsafeMutablePointer<Float>, width w: Int, reverse: Bool) {
        if !reverse {
            if rowA == rowB {
                if UnsafePointer(outA) != rowA { outA.update(from: rowA, count: w) }
                return
            }
            for i in 0..<w {
                let x = rowA[i], y = rowB[i]
                outA[i] = y
                outB[i] = x
            }
            return
        }
        var lo = 0, hi = w - 8
        // Eight voxels from each end at a time, lanes reversed.
        while lo + 8 <= hi {
            let a0 = UnsafeRawPointer(rowA + lo).loadUnaligned(as: SIMD8<Float>.self)
            let a1 = UnsafeRawPointer(rowA + hi).loadUnaligned(as: SIMD8<Float>.self)
            let b0 = UnsafeRawPointer(rowB + lo).loadUnaligned(as: SIMD8<Float>.self)
            let b1 = UnsafeRawPointer(rowB + hi).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(outA + lo).storeBytes(of: reversed(b1), as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(outA + hi).storeBytes(of: reversed(b0), as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(outB + lo).storeBytes(of: reversed(a1), as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(outB + hi).storeBytes(of: reversed(a0), as: SIMD8<Float>.self)
            lo += 8
            hi -= 8
        }
        // The middle (fewer than 16 voxels): one voxel from each end at a time.
        var i = lo, m = hi + 7
        while i <= m {
            let a0 = rowA[i], a1 = rowA[m], b0 = rowB[i], b1 = rowB[m]
            outA[i] = b1
            outA[m] = b0
            outB[i] = a1
            outB[m] = a0
            i += 1
            m -= 1
        }
    }

    @inline(__always)
    private static func reversed(_ v: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8(v[7], v[6], v[5], v[4], v[3], v[2], v[1], v[0])
    }
}

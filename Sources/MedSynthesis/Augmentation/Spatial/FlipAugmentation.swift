import MedCore
import MedIO

/// Mirrors the case along some axes (TorchIO's RandomFlip): each configured axis is flipped with its own
/// probability. Exact (a permutation of voxels), so images and labels keep their values.
public struct FlipAugmentation: AugmentationTransform {
    /// Flip settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// The axes that may be flipped. Default: width (left–right, the usual symmetry of a head).
        public var axes: [SpatialAxis] = [.width]
        /// The probability of flipping each listed axis, independently. Default 0.5.
        public var probabilityPerAxis: Double = 0.5

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: FlipAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            let defaults = Settings()
            axes = try r.value("axes", default: defaults.axes)
            probabilityPerAxis = try r.value("probabilityPerAxis", default: defaults.probabilityPerAxis)
            try r.finish()
        }
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

    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        guard !parameters.flippedAxes.isEmpty else { return augmentationCase }
        var out = augmentationCase
        let shape = augmentationCase.geometry.shape
        let axes = Set(parameters.flippedAxes)
        for name in out.imageNames { out.setImageVoxels(name, Self.flip(out.images[name]!.voxels, shape: shape, axes: axes)) }
        if let labels = out.labels { out.setLabelVoxels(Self.flip(labels.voxels, shape: shape, axes: axes)) }
        return out
    }

    /// Reverses `voxels` along `axes`; parallel over slices.
    static func flip(_ voxels: [Float], shape: VolumeShape, axes: Set<SpatialAxis>) -> [Float] {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let fx = axes.contains(.width), fy = axes.contains(.height), fz = axes.contains(.depth)
        return [Float](unsafeUninitializedCapacity: voxels.count) { out, count in
            let dst = out.baseAddress!
            voxels.withUnsafeBufferPointer { src in
                Parallel.forEachChunk(count: d) { slices in
                    for k in slices {
                        let sk = fz ? d - 1 - k : k
                        for j in 0..<h {
                            let sj = fy ? h - 1 - j : j
                            let from = src.baseAddress! + (sk * h + sj) * w, to = dst + (k * h + j) * w
                            if fx {
                                for i in 0..<w { to[i] = from[w - 1 - i] }
                            } else {
                                to.update(from: from, count: w)
                            }
                        }
                    }
                }
            }
            count = voxels.count
        }
    }
}

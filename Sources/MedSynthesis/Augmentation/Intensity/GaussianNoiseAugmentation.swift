import MedCore
import MedIO

/// Additive Gaussian noise (TorchIO's RandomNoise): x′ = x + σ·z, z standard normal, σ in the image's own unit
/// (HU for CT). Restrict it with `modalities` and give each modality its own entry when units differ.
public struct GaussianNoiseAugmentation: AugmentationTransform {
    /// Noise settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// σ in the image's unit. Default [0, 10].
        public var standardDeviation = ValueRange(0, 10)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: GaussianNoiseAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            standardDeviation = try r.value("standardDeviation", default: Settings().standardDeviation)
            modalities = try r.optional("modalities")
            try r.finish()
        }
    }

    /// The drawn σ and the seed of the per-voxel noise (see `NoiseStreams`).
    public struct Parameters: Codable, Sendable, Equatable {
        /// σ in the image's unit.
        public var standardDeviation: Double
        /// The noise seed.
        public var noiseSeed: UInt64
        /// Creates parameters.
        public init(standardDeviation: Double, noiseSeed: UInt64) {
            self.standardDeviation = standardDeviation
            self.noiseSeed = noiseSeed
        }
    }

    public static let name = "gaussianNoise"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for a σ range outside [0, 1e6].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.standardDeviation, within: 0...1e6, "standardDeviation")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let sigma = settings.standardDeviation.draw(using: &generator)
        return Parameters(standardDeviation: sigma, noiseSeed: generator.next())
    }

    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        try AugmentationWorkspace.applying(to: augmentationCase) { try apply(parameters, in: &$0) }
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.standardDeviation > 0 else { return }
        let sigma = Float(parameters.standardDeviation)
        let shape = workspace.geometry.shape
        workspace.updateImages(matching: settings.modalities) { name, src, dst in
            NoiseStreams.forEachSlice(seed: parameters.noiseSeed, image: name, shape: shape) { n, streams, slices in
                // Four independent slices per loop: their generators' dependency chains overlap in the core.
                if slices.count == 4 {
                    let k = slices.lowerBound * n
                    let (a0, a1, a2, a3) = (src + k, src + k + n, src + k + 2 * n, src + k + 3 * n)
                    let (d0, d1, d2, d3) = (dst + k, dst + k + n, dst + k + 2 * n, dst + k + 3 * n)
                    var (s0, s1, s2, s3) = (streams[0], streams[1], streams[2], streams[3])
                    for v in 0..<n {
                        d0[v] = a0[v] + sigma * s0.nextNormal()
                        d1[v] = a1[v] + sigma * s1.nextNormal()
                        d2[v] = a2[v] + sigma * s2.nextNormal()
                        d3[v] = a3[v] + sigma * s3.nextNormal()
                    }
                } else {
                    for (q, k) in slices.enumerated() {
                        var noise = streams[q]
                        let a = src + k * n, d = dst + k * n
                        for v in 0..<n { d[v] = a[v] + sigma * noise.nextNormal() }
                    }
                }
            }
        }
    }
}

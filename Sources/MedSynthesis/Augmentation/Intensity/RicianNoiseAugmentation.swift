import MedCore
import MedIO

/// Rician noise, the noise of MR magnitude images: x′ = |x + σz₁ + iσz₂| (see `RicianNoise`), σ in the image's
/// unit. MR images only by default.
public struct RicianNoiseAugmentation: AugmentationTransform {
    /// Noise settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// σ in the image's unit. Default [0, 20] (the phantom's MR receiver gain is 1000).
        public var standardDeviation = ValueRange(0, 20)
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: RicianNoiseAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            let defaults = Settings()
            standardDeviation = try r.value("standardDeviation", default: defaults.standardDeviation)
            modalities = try r.value("modalities", default: defaults.modalities)
            try r.finish()
        }
    }

    /// The drawn σ and noise seed.
    public typealias Parameters = GaussianNoiseAugmentation.Parameters

    public static let name = "ricianNoise"
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
                // Slices side by side, so the independent generators overlap (see GaussianNoiseAugmentation).
                if slices.count == 4 {
                    let k = slices.lowerBound * n
                    let (a0, a1, a2, a3) = (src + k, src + k + n, src + k + 2 * n, src + k + 3 * n)
                    let (d0, d1, d2, d3) = (dst + k, dst + k + n, dst + k + 2 * n, dst + k + 3 * n)
                    var (s0, s1, s2, s3) = (streams[0], streams[1], streams[2], streams[3])
                    for v in 0..<n {
                        d0[v] = RicianNoise.sample(signal: a0[v], sigma: sigma, z1: s0.nextNormal(), z2: s0.nextNormal())
                        d1[v] = RicianNoise.sample(signal: a1[v], sigma: sigma, z1: s1.nextNormal(), z2: s1.nextNormal())
                        d2[v] = RicianNoise.sample(signal: a2[v], sigma: sigma, z1: s2.nextNormal(), z2: s2.nextNormal())
                        d3[v] = RicianNoise.sample(signal: a3[v], sigma: sigma, z1: s3.nextNormal(), z2: s3.nextNormal())
                    }
                } else {
                    for (q, k) in slices.enumerated() {
                        var noise = streams[q]
                        let a = src + k * n, d = dst + k * n
                        for v in 0..<n {
                            let z1 = noise.nextNormal(), z2 = noise.nextNormal()
                            d[v] = RicianNoise.sample(signal: a[v], sigma: sigma, z1: z1, z2: z2)
                        }
                    }
                }
            }
        }
    }
}

import MedCore
import MedIO

/// Rician noise, the noise of MR magnitude images: x′ = |x + σz₁ + iσz₂| (see `RicianNoise`), σ in the image's
/// unit. MR images only by default.
public struct RicianNoiseAugmentation: AugmentationTransform {
    /// Noise settings.
    public struct Settings: TransformSettings {
        /// σ in the image's unit. Default [0, 20] (the phantom's MR receiver gain is 1000).
        public var standardDeviation = ValueRange(0, 20)
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}
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

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.standardDeviation > 0 else { return }
        let sigma = Float(parameters.standardDeviation)
        let shape = workspace.geometry.shape
        workspace.updateImages(matching: settings.modalities) { name, src, dst in
            NoiseStreams.forEachSlice(seed: parameters.noiseSeed, image: name, shape: shape, src, dst) { a, d, generator in
                SIMDKernels.addRicianNoise(a, d, count: shape.sliceCount, sigma: sigma, seededBy: generator)
            }
        }
    }
}

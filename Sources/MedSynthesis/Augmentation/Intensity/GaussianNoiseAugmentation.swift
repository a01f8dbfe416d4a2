import MedCore
import MedIO

/// Additive Gaussian noise (TorchIO's RandomNoise): x′ = x + σ·z, z standard normal, σ in the image's own unit
/// (HU for CT). Restrict it with `modalities` and give each modality its own entry when units differ.
public struct GaussianNoiseAugmentation: AugmentationTransform {
    /// Noise settings.
    public struct Settings: TransformSettings {
        /// σ in the image's unit. Default [0, 10].
        public var standardDeviation = ValueRange(0, 10)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
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

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.standardDeviation > 0 else { return }
        let sigma = Float(parameters.standardDeviation)
        let shape = workspace.geometry.shape
        workspace.updateImages(matching: settings.modalities) { name, src, dst in
            NoiseStreams.forEachSlice(seed: parameters.noiseSeed, image: name, shape: shape, src, dst) { a, d, generator in
                SIMDKernels.addGaussianNoise(a, d, count: shape.sliceCount, sigma: sigma, seededBy: generator)
            }
        }
    }
}

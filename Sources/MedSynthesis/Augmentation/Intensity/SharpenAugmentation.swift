import MedCore
import MedIO

/// Unsharp masking: x′ = x + a·(x − G_σ * x), with G_σ an isotropic Gaussian of σ mm (`PaddedBlur`) and a the
/// amount. Images only.
public struct SharpenAugmentation: AugmentationTransform {
    /// Sharpening settings.
    public struct Settings: TransformSettings {
        /// σ of the blur in mm. Default [0.5, 1.5].
        public var sigmaMM = ValueRange(0.5, 1.5)
        /// The amount a. Default [0, 1].
        public var amount = ValueRange(0, 1)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
    }

    /// The drawn width and amount.
    public struct Parameters: Codable, Sendable, Equatable {
        /// σ in mm.
        public var sigmaMM: Double
        /// a.
        public var amount: Double
        /// Creates parameters.
        public init(sigmaMM: Double, amount: Double) {
            self.sigmaMM = sigmaMM
            self.amount = amount
        }
    }

    public static let name = "sharpen"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for σ outside [0, 20] mm or an amount outside [0, 10].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.sigmaMM, within: 0...20, "sigmaMM")
        try SettingsCheck.range(settings.amount, within: 0...10, "amount")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let sigma = settings.sigmaMM.draw(using: &generator)
        return Parameters(sigmaMM: sigma, amount: settings.amount.draw(using: &generator))
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.amount != 0 else { return }
        let g = workspace.geometry
        let kernels = PaddedBlur.kernels(sigmaMM: SIMD3(repeating: parameters.sigmaMM), spacingMM: g.spacingMM)
        guard kernels.x.count > 1 || kernels.y.count > 1 || kernels.z.count > 1 else { return }
        let a = Float(parameters.amount)
        workspace.replaceImages(matching: settings.modalities) { _, src, dst in
            PaddedBlur.blur(src, dst, shape: g.shape, kernels: kernels, unsharpAmount: a)
        }
    }
}

import MedCore
import MedIO

/// Unsharp masking: x′ = x + a·(x − G_σ * x), with G_σ an isotropic Gaussian of σ mm (`PaddedBlur`) and a the
/// amount. Images only.
public struct SharpenAugmentation: AugmentationTransform {
    /// Sharpening settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// σ of the blur in mm. Default [0.5, 1.5].
        public var sigmaMM = ValueRange(0.5, 1.5)
        /// The amount a. Default [0, 1].
        public var amount = ValueRange(0, 1)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: SharpenAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            let defaults = Settings()
            sigmaMM = try r.value("sigmaMM", default: defaults.sigmaMM)
            amount = try r.value("amount", default: defaults.amount)
            modalities = try r.optional("modalities")
            try r.finish()
        }
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

    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        guard parameters.amount != 0 else { return augmentationCase }
        let g = augmentationCase.geometry
        let kernels = PaddedBlur.kernels(sigmaMM: SIMD3(repeating: parameters.sigmaMM), spacingMM: g.spacingMM)
        let a = Float(parameters.amount)
        return augmentationCase.mappingImages(matching: settings.modalities) { _, volume in
            var out = PaddedBlur.blur(volume.voxels, shape: g.shape, kernels: kernels)
            volume.voxels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    let x = src.baseAddress!, y = dst.baseAddress!
                    let count = src.count, block = VoxelMap.blockVoxels
                    Parallel.forEachChunk(count: (count + block - 1) / block) { range in
                        for n in (range.lowerBound * block)..<min(count, range.upperBound * block) { y[n] = x[n] + a * (x[n] - y[n]) }
                    }
                }
            }
            return out
        }
    }
}

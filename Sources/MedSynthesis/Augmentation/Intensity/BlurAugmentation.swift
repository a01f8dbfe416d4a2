import MedCore
import MedIO

/// Gaussian blur with σ in mm per axis (TorchIO's RandomBlur), separable, padded with the image's border mean
/// (`PaddedBlur`). Images only.
public struct BlurAugmentation: AugmentationTransform {
    /// Blur settings.
    public struct Settings: TransformSettings {
        /// σ in mm along x, y, z. Default [0, 2] (TorchIO's).
        public var sigmaMM = AxisRanges(all: ValueRange(0, 2))
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
    }

    /// The drawn widths.
    public struct Parameters: Codable, Sendable, Equatable {
        /// σ in mm along x, y, z.
        public var sigmaMM: SIMD3<Double>
        /// Creates parameters.
        public init(sigmaMM: SIMD3<Double>) { self.sigmaMM = sigmaMM }
    }

    public static let name = "blur"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for σ outside [0, 20] mm.
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.ranges(settings.sigmaMM, within: 0...20, "sigmaMM")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        Parameters(sigmaMM: settings.sigmaMM.draw(using: &generator))
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        let g = workspace.geometry
        let kernels = PaddedBlur.kernels(sigmaMM: parameters.sigmaMM, spacingMM: g.spacingMM)
        guard kernels.x.count > 1 || kernels.y.count > 1 || kernels.z.count > 1 else { return }
        workspace.replaceImages(matching: settings.modalities) { _, src, dst in
            PaddedBlur.blur(src, dst, shape: g.shape, kernels: kernels)
        }
    }
}

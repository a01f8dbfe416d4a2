import Foundation
import MedCore
import MedIO

/// Random gamma (TorchIO's RandomGamma): each image is rescaled to [0, 1] by its own minimum and maximum,
/// raised to γ = exp(logγ), and scaled back, so the range is kept and the transform is meaningful in HU too.
public struct GammaAugmentation: AugmentationTransform {
    /// Gamma settings.
    public struct Settings: TransformSettings {
        /// The range of log γ. Default [−0.3, 0.3] (TorchIO's), γ ≈ 0.74…1.35.
        public var logGamma = ValueRange(-0.3, 0.3)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
    }

    /// The drawn exponent.
    public struct Parameters: Codable, Sendable, Equatable {
        /// γ (1 is the identity).
        public var gamma: Double
        /// Creates parameters.
        public init(gamma: Double) { self.gamma = gamma }
    }

    public static let name = "gamma"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for a log γ range outside [−2, 2].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.logGamma, within: -2...2, "logGamma")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        Parameters(gamma: exp(settings.logGamma.draw(using: &generator)))
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.gamma != 1 else { return }
        let count = workspace.geometry.shape.voxelCount
        workspace.updateImages(matching: settings.modalities) { _, src, dst in
            let r = IntensityStatistics.range(UnsafeBufferPointer(start: src, count: count))
            Self.curve(src, dst, count: count, gamma: Float(parameters.gamma), lower: r.lowerBound, upper: r.upperBound)
        }
    }

    /// dst = lo + (hi − lo)·u^γ with u = (src − lo)/(hi − lo) ≥ 0 (lo is the minimum), and exactly lo where
    /// u = 0; a copy when hi = lo. `VoxelKernels.gammaCurve` at the machine's SIMD level, in parallel over fixed
    /// blocks; dst may be src.
    static func curve(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, gamma: Float,
                      lower lo: Float, upper hi: Float) {
        let span = hi - lo
        guard span > 0 else {
            if UnsafePointer(dst) != src { dst.update(from: src, count: count) }
            return
        }
        VoxelMap.blocks(count: count) { r in
            SIMDKernels.gammaCurve(src + r.lowerBound, dst + r.lowerBound, count: r.count, gamma: gamma, lower: lo, span: span)
        }
    }
}

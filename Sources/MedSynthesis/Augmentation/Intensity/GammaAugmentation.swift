import MedCore
import MedIO

/// Random gamma (TorchIO's RandomGamma): each image is rescaled to [0, 1] by its own minimum and maximum,
/// raised to γ = exp(logγ), and scaled back, so the range is kept and the transform is meaningful in HU too.
public struct GammaAugmentation: AugmentationTransform {
    /// Gamma settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// The range of log γ. Default [−0.3, 0.3] (TorchIO's), γ ≈ 0.74…1.35.
        public var logGamma = ValueRange(-0.3, 0.3)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: GammaAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            logGamma = try r.value("logGamma", default: Settings().logGamma)
            modalities = try r.optional("modalities")
            try r.finish()
        }
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

    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        guard parameters.gamma != 1 else { return augmentationCase }
        return augmentationCase.mappingImages(matching: settings.modalities) { _, volume in
            let r = IntensityStatistics.range(volume.voxels)
            let lo = r.lowerBound, span = r.upperBound - r.lowerBound
            guard span > 0 else { return volume.voxels }
            let g = Float(parameters.gamma), inv = 1 / span
            return VoxelMap.map(volume.voxels) { x in
                let u = (x - lo) * inv
                return u > 0 ? lo + span * exp(g * log(u)) : lo
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

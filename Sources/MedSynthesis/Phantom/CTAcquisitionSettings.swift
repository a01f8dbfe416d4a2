import MedCore
import MedIO

/// How the phantom's CT is rendered: partial-volume-mixed tissue HU plus white Gaussian noise.
public struct CTAcquisitionSettings: Codable, Sendable, Equatable {
    /// Standard deviation of the additive Gaussian noise (HU). Head CT at ≈ 1 mm has ≈ 5–15 HU.
    public var noiseStdHU: Double = 8
    /// Values are clamped below at this (HU); −1024 is the usual lower limit of stored CT.
    public var minimumHU: Double = Modality.ctFloorHU

    /// The default CT settings.
    public init() {}

    /// Checks the settings.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the bad value.
    public func validate() throws {
        guard noiseStdHU >= 0, noiseStdHU.isFinite else {
            throw MedSynthError(.invalidArgument, "ct.noiseStdHU", "is \(noiseStdHU); expected a finite value >= 0")
        }
        guard minimumHU.isFinite, minimumHU <= -1000 else {
            throw MedSynthError(.invalidArgument, "ct.minimumHU", "is \(minimumHU); expected a finite value <= -1000 (air)")
        }
    }
}

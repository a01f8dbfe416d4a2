import MedCore
import MedIO

/// MR ghosting (TorchIO's RandomGhosting): in each slice's k-space, every n-th line along the phase-encoding
/// axis (counted from the first line of the centred spectrum, like TorchIO) is scaled by (1 − intensity), except
/// the central lines |k| ≤ restoreFraction · N/2, which keep the image's contrast. The periodic modulation shows
/// as n faint copies of the object shifted along that axis. Per-slice 2D FFTs (`SliceFFT`); MR only by default.
public struct GhostingAugmentation: AugmentationTransform {
    /// Ghosting settings (defaults are TorchIO's).
    public struct Settings: Codable, Sendable, Equatable {
        /// The number of ghosts n, an integer range. Default [4, 10].
        public var ghostCount = ValueRange(4, 10)
        /// The line attenuation, 0 (none) … 1 (lines removed). Default [0.5, 1].
        public var intensity = ValueRange(0.5, 1)
        /// The phase-encoding axes to choose from (in-plane: height or width). Default both.
        public var axes: [SpatialAxis] = [.height, .width]
        /// The fraction of central k-space left untouched. Default 0.02.
        public var restoreFraction = 0.02
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}

        public init(from decoder: Decoder) throws {
            let r = try SettingsReader(decoder, transform: GhostingAugmentation.name, alsoAllowed: AugmentationPipeline.entryKeys)
            let defaults = Settings()
            ghostCount = try r.value("ghostCount", default: defaults.ghostCount)
            intensity = try r.value("intensity", default: defaults.intensity)
            axes = try r.value("axes", default: defaults.axes)
            restoreFraction = try r.value("restoreFraction", default: defaults.restoreFraction)
            modalities = try r.value("modalities", default: defaults.modalities)
            try r.finish()
        }
    }

    /// The drawn artifact.
    public struct Parameters: Codable, Sendable, Equatable {
        /// n: every n-th line is modulated.
        public var ghostCount: Int
        /// The attenuation of those lines.
        public var intensity: Double
        /// The phase-encoding axis.
        public var axis: SpatialAxis
        /// The fraction of central k-space left untouched.
        public var restoreFraction: Double
        /// Creates parameters.
        public init(ghostCount: Int, intensity: Double, axis: SpatialAxis, restoreFraction: Double) {
            self.ghostCount = ghostCount
            self.intensity = intensity
            self.axis = axis
            self.restoreFraction = restoreFraction
        }
    }

    public static let name = "ghosting"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for ghost counts outside 1…64 or not whole, intensity
    ///   outside [0, 1], an axis other than height/width, or a restore fraction outside [0, 1].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.ghostCount, within: 1...64, "ghostCount")
        guard settings.ghostCount.isIntegral else {
            throw MedSynthError(.invalidArgument, "ghostCount", "is \(settings.ghostCount); expected whole numbers")
        }
        try SettingsCheck.range(settings.intensity, within: 0...1, "intensity")
        try SettingsCheck.nonEmpty(settings.axes, "axes")
        if let bad = settings.axes.first(where: { $0 == .depth }) {
            throw MedSynthError(.invalidArgument, "axes", "contains '\(bad.rawValue)'; expected in-plane axes (height, width)")
        }
        try SettingsCheck.value(settings.restoreFraction, within: 0...1, "restoreFraction")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let n = settings.ghostCount.drawInteger(using: &generator)
        let intensity = settings.intensity.draw(using: &generator)
        let pick = min(settings.axes.count - 1, Int(generator.nextUnitDouble() * Double(settings.axes.count)))
        return Parameters(ghostCount: n, intensity: intensity, axis: settings.axes[pick], restoreFraction: settings.restoreFraction)
    }

    /// - Throws: `MedSynthError(.invalidArgument)` for a depth axis or a ghost count below 1 in the record.
    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        try AugmentationWorkspace.applying(to: augmentationCase) { try apply(parameters, in: &$0) }
    }

    /// - Throws: `MedSynthError(.invalidArgument)` for a depth axis or a ghost count below 1 in the record.
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.axis != .depth, parameters.ghostCount >= 1 else {
            throw MedSynthError(.invalidArgument, Self.name, "parameters \(parameters) need an in-plane axis and a ghost count >= 1")
        }
        let shape = workspace.geometry.shape
        let (h, w) = (shape.height, shape.width)
        let half = w / 2 + 1
        let fft = SliceFFT(height: h, width: w)
        let gain = Float(1 - parameters.intensity)
        let alongHeight = parameters.axis == .height
        let n = alongHeight ? h : w
        // modulated[q] for q = FFT row (height) or half-spectrum column (width).
        let modulated = (0..<(alongHeight ? h : half)).map { q -> Bool in
            let k = alongHeight ? SliceFFT.signedFrequency(q, count: h) : q
            return (k + n / 2) % parameters.ghostCount == 0 && Double(abs(k)) > parameters.restoreFraction * Double(n) / 2
        }
        workspace.updateImages(matching: settings.modalities) { _, source, destination in
            fft.transformSlices(source, destination, depth: shape.depth, spectra: 1) { _, slice, out, b in
                let spec = b.spectra[0]
                b.real.update(from: slice, count: h * w)
                fft.forward(b.real, spec)
                for ky in 0..<h {
                    let row = spec + 2 * ky * half
                    for kx in 0..<half where modulated[alongHeight ? ky : kx] {
                        row[2 * kx] *= gain
                        row[2 * kx + 1] *= gain
                    }
                }
                fft.inverse(spec, out)
            }
        }
    }
}

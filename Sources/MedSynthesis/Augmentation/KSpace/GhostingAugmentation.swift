import MedCore
import MedIO

/// MR ghosting (TorchIO's RandomGhosting): in each slice's k-space, every n-th line along the phase-encoding
/// axis (counted from the first line of the centred spectrum, like TorchIO) is scaled by (1 − intensity), except
/// the central lines |k| ≤ restoreFraction · N/2, which keep the image's contrast. The periodic modulation shows
/// as n faint copies of the object shifted along that axis. Per-slice 2D FFTs (`SliceFFT`); MR only by default.
///
/// The result is the real part of the inverse transform, as in TorchIO (`.real`). When the set of scaled lines is
/// not symmetric (N/2 not a multiple of n), lines k and −k get different gains; for a real image the real part
/// equals the inverse of the spectrum scaled by the mean of the two gains (`lineGain`), which is what is applied,
/// so the half-complex spectrum stays consistent (scaling its explicit lines alone would add the Hilbert
/// transform of the imaginary part).
public struct GhostingAugmentation: AugmentationTransform {
    /// Ghosting settings (defaults are TorchIO's).
    public struct Settings: TransformSettings {
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
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.axis != .depth, parameters.ghostCount >= 1 else {
            throw MedSynthError(.invalidArgument, Self.name, "parameters \(parameters) need an in-plane axis and a ghost count >= 1")
        }
        let shape = workspace.geometry.shape
        let (h, w) = (shape.height, shape.width)
        let half = w / 2 + 1
        let fft = SliceFFT(height: h, width: w)
        let alongHeight = parameters.axis == .height
        let n = alongHeight ? h : w
        // gains[q] for q = FFT row (height) or half-spectrum column (width): the gain of |k|.
        let gains = (0..<(alongHeight ? h : half)).map { q -> Float in
            let k = alongHeight ? SliceFFT.signedFrequency(q, count: h) : q
            return Self.lineGain(abs(k), count: n, parameters: parameters)
        }
        workspace.updateImages(matching: settings.modalities) { _, source, destination in
            fft.transformSlices(source, destination, depth: shape.depth, spectra: 1) { _, slice, out, b in
                let spec = b.spectra[0]
                b.real.update(from: slice, count: h * w)
                fft.forward(b.real, spec)
                for ky in 0..<h {
                    let row = spec + 2 * ky * half
                    if alongHeight {
                        let g = gains[ky]
                        if g != 1 { for m in 0..<(2 * half) { row[m] *= g } }
                    } else {
                        for kx in 0..<half where gains[kx] != 1 {
                            row[2 * kx] *= gains[kx]
                            row[2 * kx + 1] *= gains[kx]
                        }
                    }
                }
                fft.inverse(spec, out)
            }
        }
    }

    /// TorchIO's mask: whether the line of signed frequency k (−N/2 ≤ k < N/2, so an even N's Nyquist line is
    /// −N/2) is scaled — its index k + ⌊N/2⌋ in the centred spectrum is a multiple of n, outside the restored centre.
    static func isScaled(_ k: Int, count n: Int, parameters p: Parameters) -> Bool {
        (k + n / 2) % p.ghostCount == 0 && Double(abs(k)) > p.restoreFraction * Double(n) / 2
    }

    /// The gain applied to the lines ±k (0 ≤ k ≤ N/2): the mean of TorchIO's gains of k and −k (one line for
    /// k = 0 and for an even N's Nyquist k = N/2, which is −N/2).
    static func lineGain(_ k: Int, count n: Int, parameters p: Parameters) -> Float {
        let scaled = Float(1 - p.intensity)
        func gain(_ k: Int) -> Float { isScaled(k, count: n, parameters: p) ? scaled : 1 }
        if k == 0 { return gain(0) }
        if n % 2 == 0 && k == n / 2 { return gain(-k) }
        return (gain(k) + gain(-k)) / 2
    }
}

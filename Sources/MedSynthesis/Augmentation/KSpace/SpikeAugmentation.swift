import MedCore
import MedIO

/// MR spike (herringbone) artifact (TorchIO's RandomSpike): a few k-space samples of every slice get an added
/// value of intensity × the slice's DC coefficient, so the image gains plane-wave stripes of amplitude
/// intensity × the slice mean. Positions are drawn as fractions of k-space (ky in [−½, ½), kx in [0, ½]) so a
/// record replays on any grid. Per-slice 2D FFTs (`SliceFFT`); MR only by default.
public struct SpikeAugmentation: AugmentationTransform {
    /// Spike settings (defaults are TorchIO's).
    public struct Settings: TransformSettings {
        /// The number of spikes, an integer range. Default [1, 1].
        public var spikeCount = ValueRange(1, 1)
        /// The stripe amplitude relative to the slice mean. Default [1, 3].
        public var intensity = ValueRange(1, 3)
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}
    }

    /// One spike's position in k-space, as fractions of the extents.
    public struct Spike: Codable, Sendable, Equatable {
        /// ky / height in [−½, ½).
        public var kyFraction: Double
        /// kx / width in [0, ½].
        public var kxFraction: Double
        /// Creates a spike position.
        public init(kyFraction: Double, kxFraction: Double) {
            self.kyFraction = kyFraction
            self.kxFraction = kxFraction
        }
    }

    /// The drawn spikes.
    public struct Parameters: Codable, Sendable, Equatable {
        /// Positions.
        public var spikes: [Spike]
        /// Stripe amplitude relative to the slice mean (0 is the identity).
        public var intensity: Double
        /// Creates parameters.
        public init(spikes: [Spike], intensity: Double) {
            self.spikes = spikes
            self.intensity = intensity
        }
    }

    public static let name = "spike"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for spike counts outside 0…16 or not whole, or intensity
    ///   outside [0, 10].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.spikeCount, within: 0...16, "spikeCount")
        guard settings.spikeCount.isIntegral else {
            throw MedSynthError(.invalidArgument, "spikeCount", "is \(settings.spikeCount); expected whole numbers")
        }
        try SettingsCheck.range(settings.intensity, within: 0...10, "intensity")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let count = settings.spikeCount.drawInteger(using: &generator)
        let spikes = (0..<count).map { _ -> Spike in
            let ky = generator.nextUnitDouble() - 0.5
            return Spike(kyFraction: ky, kxFraction: 0.5 * generator.nextUnitDouble())
        }
        return Parameters(spikes: spikes, intensity: settings.intensity.draw(using: &generator))
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard !parameters.spikes.isEmpty else { return }
        let shape = workspace.geometry.shape
        let (h, w) = (shape.height, shape.width)
        let half = w / 2 + 1
        // (row, column, weight): a sample strictly inside the half spectrum stands for itself and its conjugate
        // mirror, so it gets half the amplitude to give the same stripe amplitude as a full-spectrum spike.
        let positions = parameters.spikes.map { s -> (Int, Int, Float) in
            let ky = min(h / 2, max(-h / 2, Int((s.kyFraction * Double(h)).rounded(.down))))
            let kx = min(w / 2, max(0, Int((s.kxFraction * Double(w)).rounded(.down))))
            let weight: Float = (kx == 0 || (w % 2 == 0 && kx == w / 2)) ? 1 : 0.5
            return ((ky + h) % h, kx, weight)
        }
        let fft = SliceFFT(height: h, width: w)
        let intensity = Float(parameters.intensity)
        workspace.updateImages(matching: settings.modalities) { _, source, destination in
            fft.transformSlices(source, destination, depth: shape.depth, spectra: 1) { _, slice, out, b in
                let spec = b.spectra[0]
                b.real.update(from: slice, count: h * w)
                fft.forward(b.real, spec)
                let dc = spec[0]
                for (row, column, weight) in positions { spec[2 * (row * half + column)] += weight * intensity * dc }
                fft.inverse(spec, out)
            }
        }
    }
}

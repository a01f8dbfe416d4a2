import MedCore
import MedIO

/// Random contrast and brightness: x′ = μ + c·(x − μ) + b·(max − min), with μ the image mean, c the contrast
/// factor and b the brightness shift as a fraction of the image's intensity range.
public struct ContrastAugmentation: AugmentationTransform {
    /// Contrast settings.
    public struct Settings: TransformSettings {
        /// Contrast factor c. Default [0.75, 1.25].
        public var contrastFactor = ValueRange(0.75, 1.25)
        /// Brightness shift b, a fraction of (max − min). Default [−0.05, 0.05].
        public var brightnessShiftFraction = ValueRange(-0.05, 0.05)
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
    }

    /// The drawn factors.
    public struct Parameters: Codable, Sendable, Equatable {
        /// c.
        public var contrastFactor: Double
        /// b.
        public var brightnessShiftFraction: Double
        /// Creates parameters.
        public init(contrastFactor: Double, brightnessShiftFraction: Double) {
            self.contrastFactor = contrastFactor
            self.brightnessShiftFraction = brightnessShiftFraction
        }
    }

    public static let name = "contrast"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for c outside [0, 10] or b outside [−1, 1].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.contrastFactor, within: 0...10, "contrastFactor")
        try SettingsCheck.range(settings.brightnessShiftFraction, within: -1...1, "brightnessShiftFraction")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let c = settings.contrastFactor.draw(using: &generator)
        return Parameters(contrastFactor: c, brightnessShiftFraction: settings.brightnessShiftFraction.draw(using: &generator))
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        let count = workspace.geometry.shape.voxelCount
        workspace.updateImages(matching: settings.modalities) { _, src, dst in
            let s = IntensityStatistics.summary(UnsafeBufferPointer(start: src, count: count))
            let mean = Float(s.mean)
            let c = Float(parameters.contrastFactor)
            let offset = mean + Float(parameters.brightnessShiftFraction) * (s.range.upperBound - s.range.lowerBound)
            VoxelMap.mapVectors(src, dst, count: count, Line(offset: offset, factor: c, mean: mean))
        }
    }

    /// x → offset + c·(x − mean), lane by lane.
    struct Line: VoxelVectorFunction {
        let offset: Float, factor: Float, mean: Float

        @inline(__always)
        func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { offset + factor * (x - mean) }
    }
}

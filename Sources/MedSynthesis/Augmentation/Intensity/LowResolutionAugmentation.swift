import MedCore
import MedIO

/// Simulated low resolution along one axis (TorchIO's RandomAnisotropy): every line along the axis is blurred
/// with a Gaussian of FWHM f voxels (the profile of a thick slice), sampled every f voxels, and interpolated back
/// linearly onto the original grid. Images only; the label map keeps the full resolution it is the truth for.
public struct LowResolutionAugmentation: AugmentationTransform {
    /// Low-resolution settings.
    public struct Settings: TransformSettings {
        /// The axes to choose from, uniformly. Default all three.
        public var axes: [SpatialAxis] = [.width, .height, .depth]
        /// The downsampling factor f ≥ 1. Default [1.5, 4].
        public var factor = ValueRange(1.5, 4)
        /// When true (default), blur before sampling (thick slices); when false, sample the raw values (gaps).
        public var antialias = true
        /// The modalities changed (all images when nil, the default).
        public var modalities: [Modality]?

        /// The defaults.
        public init() {}
    }

    /// The drawn axis and factor.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The axis made coarse.
        public var axis: SpatialAxis
        /// f.
        public var factor: Double
        /// Whether the lines were blurred first.
        public var antialias: Bool
        /// Creates parameters.
        public init(axis: SpatialAxis, factor: Double, antialias: Bool) {
            self.axis = axis
            self.factor = factor
            self.antialias = antialias
        }
    }

    public static let name = "lowResolution"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for no axes or a factor range outside [1, 16].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.nonEmpty(settings.axes, "axes")
        try SettingsCheck.range(settings.factor, within: 1...16, "factor")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let pick = min(settings.axes.count - 1, Int(generator.nextUnitDouble() * Double(settings.axes.count)))
        return Parameters(axis: settings.axes[pick], factor: settings.factor.draw(using: &generator), antialias: settings.antialias)
    }

    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard parameters.factor > 1 else { return }
        let shape = workspace.geometry.shape
        let kernel = parameters.antialias
            ? GaussianBlur3D.kernel(sigmaVoxels: GaussianBlur3D.sigma(fromFWHM: parameters.factor), radiusSigmas: PaddedBlur.radiusSigmas)
            : [1]
        let plan = LineDegradation(count: parameters.axis.extent(of: shape), factor: parameters.factor, kernel: kernel)
        workspace.updateImages(matching: settings.modalities) { _, src, dst in
            plan.apply(src, dst, shape: shape, axis: parameters.axis)
        }
    }

    /// Blurs (edge values replicated), samples every `factor` voxels and interpolates back, in place.
    static func degrade(_ line: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, count n: Int,
                        factor: Double, kernel: [Float]) {
        let r = kernel.count / 2
        for q in 0..<n {
            var s: Float = 0
            for t in 0..<kernel.count { s += kernel[t] * line[min(max(q + t - r, 0), n - 1)] }
            scratch[q] = s
        }
        // Samples m·f for m = 0..<samples; scratch holds the blurred line, `line` receives the result.
        let samples = Int(Double(n - 1) / factor) + 1
        func sample(_ m: Int) -> Float {
            let p = Double(m) * factor
            let p0 = min(Int(p), n - 1), p1 = min(p0 + 1, n - 1)
            let f = Float(p - Double(p0))
            return scratch[p0] + f * (scratch[p1] - scratch[p0])
        }
        var m0 = -1
        var v0: Float = 0, v1: Float = 0
        for q in 0..<n {
            let u = Double(q) / factor
            let m = min(Int(u), samples - 1)
            if m != m0 {
                m0 = m
                v0 = sample(m)
                v1 = m + 1 < samples ? sample(m + 1) : v0
            }
            let f = m + 1 < samples ? Float(u - Double(m)) : 0
            line[q] = v0 + f * (v1 - v0)
        }
    }
}

import MedCore
import MedIO
import MedKernels

/// A smooth multiplicative MR bias field (TorchIO's RandomBiasField): x′ = x·exp(P(x̂, ŷ, ẑ)), P a polynomial of
/// total degree ≤ `order` in coordinates normalised to [−1, 1] across the grid, with every non-constant
/// coefficient uniform in `coefficients` (the constant term is 0: global brightness is `contrast`'s job).
/// MR images only by default. The field is `BiasField`, the phantom's own model, evaluated with Horner's rule.
public struct BiasFieldAugmentation: AugmentationTransform {
    /// Bias-field settings (defaults are TorchIO's: order 3, coefficients in [−0.5, 0.5]).
    public struct Settings: TransformSettings {
        /// Total polynomial degree, 0…3. Default 3.
        public var order = 3
        /// Range of each coefficient. Default [−0.5, 0.5].
        public var coefficients = ValueRange(-0.5, 0.5)
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}
    }

    /// The drawn field.
    public typealias Parameters = BiasField

    public static let name = "biasField"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for an order outside 0…3 or coefficients outside [−2, 2].
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.value(settings.order, within: 0...3, "order")
        try SettingsCheck.range(settings.coefficients, within: -2...2, "coefficients")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let terms = BiasField.exponents(degree: settings.order)
        return BiasField(degree: settings.order, coefficients: terms.map {
            let c = settings.coefficients.draw(using: &generator)
            return $0 == .zero ? 0 : c
        })
    }

    /// - Throws: `MedSynthError(.invalidArgument)` for a record with the wrong number of coefficients.
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard (0...3).contains(parameters.degree),
              parameters.coefficients.count == BiasField.exponents(degree: parameters.degree).count else {
            throw MedSynthError(.invalidArgument, Self.name, "degree \(parameters.degree) with \(parameters.coefficients.count) coefficients is malformed")
        }
        guard parameters.coefficients.contains(where: { $0 != 0 }) else { return }
        let shape = workspace.geometry.shape
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        func normalised(_ i: Int, _ n: Int) -> Double { n > 1 ? 2 * Double(i) / Double(n - 1) - 1 : 0 }
        // x coordinates in groups of eight (the last group padded by repeating its last value).
        let groups = (w + 7) / 8
        let xs = (0..<groups).map { g in SIMD8<Float>((0..<8).map { Float(normalised(min(8 * g + $0, w - 1), w)) }) }
        workspace.updateImages(matching: settings.modalities) { _, source, destination in
            VoxelMap.perSlice(source, destination, shape: shape) { k, src, dst in
                let z = normalised(k, d)
                for j in 0..<h {
                    let r = SIMD4<Float>(parameters.rowPolynomial(y: normalised(j, h), z: z))
                    let from = src + j * w, to = dst + j * w
                    for g in 0..<groups {
                        let x = xs[g], i = 8 * g
                        let gain = FastMath.exp(r[0] + x * (r[1] + x * (r[2] + x * r[3])))
                        if i + 8 <= w {
                            let v = UnsafeRawPointer(from + i).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(to + i).storeBytes(of: v * gain, as: SIMD8<Float>.self)
                        } else {
                            for q in 0..<(w - i) { to[i + q] = from[i + q] * gain[q] }
                        }
                    }
                }
            }
        }
    }
}

import MedCore
import MedTensor

/// The reference CycleGAN/pix2pix `init_weights`: how a network's weights are (re)initialised after it is built.
///
/// For every convolution, transposed convolution and linear layer (`WeightedLayer`) the weight is drawn by the
/// chosen scheme and the bias set to 0; every batch-norm layer gets weight N(1, gain²) and bias 0 (the reference
/// matches `BatchNorm2d` only; here 3-D batch norm is treated alike). Other layers, affine instance norm
/// included, keep their values. The reference default is `.normal(gain: 0.02)`.
public enum WeightInitialization: Codable, Equatable, Sendable {
    /// N(0, gain²) (the reference 'normal').
    case normal(gain: Float)
    /// Xavier normal with the given gain (the reference 'xavier' passes `init_gain`, 0.02, as the gain).
    case xavier(gain: Float)
    /// Kaiming normal, fan_in, a = 0 (the reference 'kaiming'; the gain is not used).
    case kaiming
    /// Orthogonal times gain (the reference 'orthogonal').
    case orthogonal(gain: Float)

    /// The reference default, N(0, 0.02²).
    public static let reference = WeightInitialization.normal(gain: 0.02)

    /// The gain used for batch-norm weights, N(1, gain²) (0.02 for `.kaiming`, the reference's `init_gain`).
    var gain: Float {
        switch self {
        case .normal(let g), .xavier(let g), .orthogonal(let g): return g
        case .kaiming: return 0.02
        }
    }

    /// A weight of `shape` drawn by this scheme.
    public func weight(_ shape: [Int], using generator: inout SeededGenerator) -> Tensor {
        switch self {
        case .normal(let gain): return Initializers.normal(shape, std: gain, using: &generator)
        case .xavier(let gain): return Initializers.xavierNormal(shape, gain: gain, using: &generator)
        case .kaiming: return Initializers.kaimingNormal(shape, using: &generator)
        case .orthogonal(let gain): return Initializers.orthogonal(shape, gain: gain, using: &generator)
        }
    }

    /// Re-initialises every weighted and batch-norm layer of `module`, in the order of `namedModules()`.
    /// - Parameters:
    ///   - module: the network.
    ///   - generator: the source of the values.
    public func apply(to module: Module, using generator: inout SeededGenerator) {
        for (_, m) in module.namedModules() {
            if let layer = m as? any WeightedLayer {
                layer.weight.value = weight(layer.weight.shape, using: &generator)
                layer.bias?.value = Tensor.zeros(layer.bias!.shape)
            } else if let norm = m as? BatchNorm {
                norm.weight.value = Initializers.normal(norm.weight.shape, mean: 1, std: gain, using: &generator)
                norm.bias.value = Tensor.zeros(norm.bias.shape)
            }
        }
    }
}

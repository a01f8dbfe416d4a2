import MedCore
import MedTensor

/// A fully connected layer (PyTorch's `Linear`): y = x Wᵀ + b.
///
/// State: `weight` [out, in] and `bias` [out] when enabled, initialised as PyTorch does by default,
/// U(−1/√in, 1/√in).
public final class Linear: Module, WeightedLayer {
    /// The weight, [out, in].
    public let weight: Parameter
    /// The bias, [out], or nil.
    public let bias: Parameter?

    /// Creates a linear layer with PyTorch's default initialisation.
    /// - Parameters:
    ///   - inputFeatures: the input's last extent.
    ///   - outputFeatures: the output's last extent.
    ///   - bias: whether to add a learned bias.
    ///   - generator: the source of the initial values.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0,
                     "Linear needs positive feature counts, got \(inputFeatures)→\(outputFeatures)")
        let shape = [outputFeatures, inputFeatures]
        weight = Parameter(Initializers.defaultUniform(shape, weightShape: shape, using: &generator))
        self.bias = bias ? Parameter(Initializers.defaultUniform([outputFeatures], weightShape: shape, using: &generator)) : nil
    }

    /// x […, in] -> […, out].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures, "Linear expects […, \(inFeatures)], got \(x.shape)")
        let leading = Array(x.shape.dropLast())
        var y = x.reshaped([-1, inFeatures]).matmul(weight.value.transposed())
        if let bias { y = y + bias.value }
        return y.reshaped(leading + [outFeatures])
    }
}

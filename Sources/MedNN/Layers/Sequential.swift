import MedTensor

/// Layers applied one after another (PyTorch's `Sequential`); its layers' keys are their indices, so a network
/// holding a `Sequential` named `model` has keys `model.0.…`, `model.1.…`.
///
/// A normalisation layer directly followed by a ReLU or LeakyReLU runs as one fused kernel (the normalisation's
/// activation argument); the result is the same as running them in turn, and the indices are unchanged.
public final class Sequential: Module, UnaryLayer {
    /// The layers, in order.
    public let layers: [any UnaryLayer]

    /// Creates a sequence of layers.
    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
    }

    /// The layers named `0`, `1`, … (rather than `layers.0`).
    public override func directMembers() -> [(key: String, member: ModuleMember)] {
        layers.enumerated().map { ("\($0.offset)", .module($0.element)) }
    }

    /// The layers applied in order.
    public func callAsFunction(_ x: Tensor) -> Tensor { self(x, from: 0) }

    /// The layers from index `start` on applied in order (for networks that reuse an intermediate result, such
    /// as the U-Net skip connection taken after the first layer).
    public func callAsFunction(_ x: Tensor, from start: Int) -> Tensor {
        precondition(start >= 0 && start <= layers.count, "Sequential of \(layers.count) layers cannot start at \(start)")
        var y = x
        var i = start
        while i < layers.count {
            if let norm = layers[i] as? any NormalizationLayer, i + 1 < layers.count,
               let act = (layers[i + 1] as? any ActivationLayer)?.fusedActivation {
                y = norm(y, activation: act)
                i += 2
            } else {
                y = layers[i](y)
                i += 1
            }
        }
        return y
    }
}

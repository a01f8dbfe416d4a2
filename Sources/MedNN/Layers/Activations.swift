// The elementwise activation layers. They hold no state, so the family shares one file.
import MedTensor

/// max(x, 0) (PyTorch's `ReLU`).
public final class ReLU: Module, ActivationLayer {
    /// Creates the layer.
    public override init() { super.init() }
    /// max(x, 0).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
    /// `.relu`.
    public var fusedActivation: FusedActivation? { .relu }
}

/// x for x > 0, slope · x otherwise (PyTorch's `LeakyReLU`).
public final class LeakyReLU: Module, ActivationLayer {
    /// The slope for negative inputs (0.2 in the reference discriminators).
    public let negativeSlope: Float
    /// Creates the layer.
    /// - Parameter negativeSlope: the slope for negative inputs; PyTorch's default is 0.01.
    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
    }
    /// x or slope · x.
    public func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope: negativeSlope) }
    /// `.leakyRelu(slope:)`.
    public var fusedActivation: FusedActivation? { .leakyRelu(slope: negativeSlope) }
}

/// tanh(x) (PyTorch's `Tanh`).
public final class Tanh: Module, ActivationLayer {
    /// Creates the layer.
    public override init() { super.init() }
    /// tanh(x).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
    /// nil: the fused kernels have no tanh.
    public var fusedActivation: FusedActivation? { nil }
}

/// 1 / (1 + e^−x) (PyTorch's `Sigmoid`).
public final class Sigmoid: Module, ActivationLayer {
    /// Creates the layer.
    public override init() { super.init() }
    /// σ(x).
    public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
    /// nil: the fused kernels have no sigmoid.
    public var fusedActivation: FusedActivation? { nil }
}

/// The identity (PyTorch's `Identity`; the reference networks' "no normalisation" layer, which keeps its
/// index in a `Sequential`).
public final class Identity: Module, ActivationLayer {
    /// Creates the layer.
    public override init() { super.init() }
    /// x.
    public func callAsFunction(_ x: Tensor) -> Tensor { x }
    /// `.identity`.
    public var fusedActivation: FusedActivation? { .identity }
}

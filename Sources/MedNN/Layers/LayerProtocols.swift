import MedTensor

/// A layer with a weight and an optional bias that the weight initialisers treat as PyTorch's `init_weights`
/// treats `Conv*` and `Linear` modules.
public protocol WeightedLayer: UnaryLayer {
    /// The weight ([out, in, k…] for convolutions, [in, out, k…] for transposed ones, [out, in] for linear).
    var weight: Parameter { get }
    /// The bias, [out], or nil.
    var bias: Parameter? { get }
}

/// A normalisation layer that can apply an activation in the same pass (the fused kernels of MedTensor);
/// `Sequential` uses it to fuse a normalisation with the activation that follows it.
public protocol NormalizationLayer: UnaryLayer {
    /// The normalised `x` followed by `activation`.
    func callAsFunction(_ x: Tensor, activation: FusedActivation) -> Tensor
}

/// An elementwise activation layer.
public protocol ActivationLayer: UnaryLayer {
    /// The same activation as a fused-kernel activation, or nil when the kernels do not provide it.
    var fusedActivation: FusedActivation? { get }
}

extension NormalizationLayer {
    /// The normalised `x` without an activation.
    public func callAsFunction(_ x: Tensor) -> Tensor { self(x, activation: .identity) }
}

/// Checks that `x` is [N, C, spatial×rank] with `channels` channels.
func checkInput(_ layer: String, _ x: Tensor, spatialRank: Int, channels: Int) {
    precondition(x.rank == spatialRank + 2 && x.shape[1] == channels,
                 "\(layer) expects [N, \(channels), spatial×\(spatialRank)], got \(x.shape)")
}

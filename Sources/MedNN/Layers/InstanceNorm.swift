import MedTensor

/// Instance normalisation over each sample and channel (PyTorch's `InstanceNorm2d` / `InstanceNorm3d` with
/// `track_running_stats=False`, the reference CycleGAN setting): the same computation in training and
/// evaluation.
///
/// State: with `affine`, `weight` [C] (ones) and `bias` [C] (zeros); without (the reference default), none.
public final class InstanceNorm: Module, NormalizationLayer {
    /// γ, [C], or nil.
    public let weight: Parameter?
    /// β, [C], or nil.
    public let bias: Parameter?
    /// The number of channels.
    public let channels: Int
    /// 2 or 3.
    public let spatialRank: Int
    /// Added to the variance.
    public let eps: Float

    /// Creates an instance-norm layer.
    /// - Parameters:
    ///   - channels: C.
    ///   - spatialRank: 2 or 3.
    ///   - affine: learn γ and β per channel.
    ///   - eps: added to the variance, 1e-5 as in PyTorch.
    public init(channels: Int, spatialRank: Int = 2, affine: Bool = false, eps: Float = 1e-5) {
        precondition(channels > 0 && (spatialRank == 2 || spatialRank == 3),
                     "InstanceNorm needs channels > 0 and spatialRank 2 or 3, got \(channels), \(spatialRank)")
        weight = affine ? Parameter(Tensor.ones([channels])) : nil
        bias = affine ? Parameter(Tensor.zeros([channels])) : nil
        self.channels = channels
        self.spatialRank = spatialRank
        self.eps = eps
    }

    /// act((x − mean) / √(var + eps) · γ + β) with statistics over each (n, c) plane.
    public func callAsFunction(_ x: Tensor, activation: FusedActivation) -> Tensor {
        checkInput("InstanceNorm", x, spatialRank: spatialRank, channels: channels)
        return x.instanceNorm(weight: weight?.value, bias: bias?.value, eps: eps, activation: activation)
    }
}

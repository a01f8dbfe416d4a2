import MedTensor

/// Batch normalisation (PyTorch's `BatchNorm2d` / `BatchNorm3d` with `affine=True`,
/// `track_running_stats=True`).
///
/// In training mode it normalises with the batch's statistics and moves the running statistics towards them
/// (momentum 0.1, unbiased variance) and counts the batch; in evaluation mode it uses the running statistics.
///
/// State: parameters `weight` [C] (ones), `bias` [C] (zeros); buffers `running_mean` [C] (zeros),
/// `running_var` [C] (ones), `num_batches_tracked` (a rank-0 count; PyTorch stores it as int64, here a Float).
public final class BatchNorm: Module, NormalizationLayer {
    /// γ, [C].
    public let weight: Parameter
    /// β, [C].
    public let bias: Parameter
    /// The running mean, [C].
    public let runningMean: Buffer
    /// The running unbiased variance, [C].
    public let runningVar: Buffer
    /// The number of training batches seen, rank 0.
    public let numBatchesTracked: Buffer
    /// The number of channels.
    public let channels: Int
    /// 2 or 3.
    public let spatialRank: Int
    /// Added to the variance.
    public let eps: Float
    /// The weight of each new batch in the running statistics.
    public let momentum: Float

    /// PyTorch's names for the buffers.
    public override var stateKeyNames: [String: String] {
        ["runningMean": "running_mean", "runningVar": "running_var", "numBatchesTracked": "num_batches_tracked"]
    }

    /// Creates a batch-norm layer with γ = 1, β = 0 and fresh running statistics.
    /// - Parameters:
    ///   - channels: C.
    ///   - spatialRank: 2 or 3.
    ///   - eps: added to the variance, 1e-5 as in PyTorch.
    ///   - momentum: the running statistics' update weight, 0.1 as in PyTorch.
    public init(channels: Int, spatialRank: Int = 2, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(channels > 0 && (spatialRank == 2 || spatialRank == 3),
                     "BatchNorm needs channels > 0 and spatialRank 2 or 3, got \(channels), \(spatialRank)")
        weight = Parameter(Tensor.ones([channels]))
        bias = Parameter(Tensor.zeros([channels]))
        runningMean = Buffer(Tensor.zeros([channels]))
        runningVar = Buffer(Tensor.ones([channels]))
        numBatchesTracked = Buffer(Tensor(scalar: 0))
        self.channels = channels
        self.spatialRank = spatialRank
        self.eps = eps
        self.momentum = momentum
    }

    /// act(γ · (x − mean) / √(var + eps) + β), with batch statistics (training) or running ones (evaluation).
    public func callAsFunction(_ x: Tensor, activation: FusedActivation) -> Tensor {
        checkInput("BatchNorm", x, spatialRank: spatialRank, channels: channels)
        var statistics = BatchNormStatistics(channels: channels, momentum: momentum)
        statistics.mean = runningMean.value
        statistics.variance = runningVar.value
        guard isTraining else {
            return x.batchNorm(weight: weight.value, bias: bias.value, runningStatistics: statistics, eps: eps,
                               activation: activation)
        }
        let y = x.batchNorm(weight: weight.value, bias: bias.value, eps: eps, activation: activation,
                            updating: &statistics)
        runningMean.value = statistics.mean
        runningVar.value = statistics.variance
        numBatchesTracked.value = Tensor(scalar: numBatchesTracked.value.item + 1)
        return y
    }
}

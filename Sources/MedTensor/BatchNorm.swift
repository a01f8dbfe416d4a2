// Batch normalisation (fused with an optional activation) with its backward rules, in training and evaluation
// mode, and the running statistics a layer keeps between batches. Kernel: Kernels/BatchNormKernel.swift.

/// The running mean and variance of a batch-norm layer: updated by every training batch, used in evaluation.
///
/// As PyTorch's `running_mean`/`running_var`: they start at 0 and 1; each training batch moves them by
/// `momentum` towards the batch mean and the batch's *unbiased* variance (M / (M − 1) times the biased one,
/// M = N · spatial values per channel).
public struct BatchNormStatistics {
    /// The running mean per channel, [C].
    public var mean: Tensor
    /// The running (unbiased) variance per channel, [C].
    public var variance: Tensor
    /// The weight of each new batch, 0.1 as in PyTorch.
    public var momentum: Float

    /// Fresh statistics (mean 0, variance 1) for `channels` channels.
    public init(channels: Int, momentum: Float = 0.1) {
        mean = Tensor.zeros([channels])
        variance = Tensor.ones([channels])
        self.momentum = momentum
    }

    /// Moves the statistics towards one batch's mean and biased variance over `count` values per channel.
    mutating func update(batchMean: Tensor, batchVariance: Tensor, count: Int) {
        let (mom, correction) = (momentum, Float(count) / Float(count - 1))
        mean.withUnsafeMutableBufferPointer { m in
            for c in m.indices { m[c] = (1 - mom) * m[c] + mom * batchMean.storage.pointer[c] }
        }
        variance.withUnsafeMutableBufferPointer { v in
            for c in v.indices { v[c] = (1 - mom) * v[c] + mom * batchVariance.storage.pointer[c] * correction }
        }
        withExtendedLifetime((batchMean, batchVariance)) {}
    }
}

extension Tensor {
    /// Batch normalisation of a [N, C, spatial…] batch with the batch's own statistics (PyTorch's `BatchNorm2d`
    /// in training mode), followed by an optional activation in the same pass; `statistics` is updated.
    ///
    /// y = act(γ[c] · (x − mean) / √(var + eps) + β[c]), mean and biased var over all N · spatial values of
    /// channel c. Gradients flow through the batch statistics.
    /// - Parameters:
    ///   - weight: γ, [C], or nil for 1.
    ///   - bias: β, [C], or nil for 0.
    ///   - eps: added to the variance, 1e-5 as in PyTorch.
    ///   - activation: applied to the normalised value in the same kernel.
    ///   - statistics: the running statistics to update, or nil (PyTorch's `track_running_stats=False`).
    /// - Returns: the same shape as `self`.
    /// - Precondition: more than one value per channel.
    public func batchNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5,
                          activation: FusedActivation = .identity, updating statistics: inout BatchNormStatistics) -> Tensor {
        let (y, mean, variance) = batchNormTraining(weight: weight, bias: bias, eps: eps, activation: activation)
        precondition(statistics.mean.shape == mean.shape, "batchNorm statistics are for \(statistics.mean.shape) channels, input \(shape)")
        statistics.update(batchMean: mean, batchVariance: variance, count: count / shape[1])
        return y
    }

    /// Batch normalisation with the batch's own statistics and no running statistics
    /// (see `batchNorm(weight:bias:eps:activation:updating:)`).
    public func batchNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5,
                          activation: FusedActivation = .identity) -> Tensor {
        batchNormTraining(weight: weight, bias: bias, eps: eps, activation: activation).output
    }

    /// Batch normalisation with fixed statistics (PyTorch's `BatchNorm2d` in evaluation mode): an affine map per
    /// channel, y = act(γ[c] · (x − runningMean[c]) / √(runningVariance[c] + eps) + β[c]).
    /// Gradients flow to x, γ and β; the statistics are constants.
    public func batchNorm(weight: Tensor? = nil, bias: Tensor? = nil, runningStatistics statistics: BatchNormStatistics,
                          eps: Float = 1e-5, activation: FusedActivation = .identity) -> Tensor {
        let (batch, channels, spatial) = checkNormalizationArguments("batchNorm", weight, bias)
        precondition(statistics.mean.shape == [channels] && statistics.variance.shape == [channels],
                     "batchNorm statistics \(statistics.mean.shape) do not match input \(shape)")
        let runningMean = statistics.mean.detached()
        // rstd = 1 / √(runningVariance + eps) per channel.
        let rstd = Tensor(statistics.variance.scalars.map { 1 / ($0 + eps).squareRoot() })
        let y = Tensor(uninitializedShape: shape)
        BatchNormKernel.evaluationForward(storage.pointer, y.storage.pointer, batch: batch, channels: channels,
                                          spatial: spatial, gamma: weight?.storage.pointer, beta: bias?.storage.pointer,
                                          activation: activation, mean: runningMean.storage.pointer,
                                          rstd: rstd.storage.pointer)
        return recordNormalization("batch_norm_eval", y, weight, bias) { gy, x, gx, w, b, gammaGrad, betaGrad in
            BatchNormKernel.evaluationBackward(gy, x, gx, batch: batch, channels: channels, spatial: spatial, gamma: w,
                                               beta: b, activation: activation, mean: runningMean.storage.pointer,
                                               rstd: rstd.storage.pointer, gammaGrad: gammaGrad, betaGrad: betaGrad)
            withExtendedLifetime((runningMean, rstd)) {}
        }
    }

    /// Training-mode batch norm: the output and the batch mean and biased variance per channel.
    private func batchNormTraining(weight: Tensor?, bias: Tensor?, eps: Float,
                                   activation: FusedActivation) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let (batch, channels, spatial) = checkNormalizationArguments("batchNorm", weight, bias)
        precondition(batch * spatial > 1, "batchNorm in training needs more than one value per channel, input \(shape)")
        let y = Tensor(uninitializedShape: shape)
        let mean = Tensor(uninitializedShape: [channels]), variance = Tensor(uninitializedShape: [channels])
        let rstd = Tensor(uninitializedShape: [channels])
        BatchNormKernel.trainingForward(storage.pointer, y.storage.pointer, batch: batch, channels: channels,
                                        spatial: spatial, gamma: weight?.storage.pointer, beta: bias?.storage.pointer,
                                        eps: eps, activation: activation, mean: mean.storage.pointer,
                                        variance: variance.storage.pointer, rstd: rstd.storage.pointer)
        let (x, ySaved, hasBias) = (self, y.detached(), bias != nil)
        let statisticsAxes = [0] + Array(2..<rank)
        let output = recordNormalization("batch_norm", y, weight, bias, kernel: { gy, x, gx, w, b, gammaGrad, betaGrad in
            BatchNormKernel.trainingBackward(gy, x, gx, batch: batch, channels: channels, spatial: spatial, gamma: w,
                                             beta: b, activation: activation, mean: mean.storage.pointer,
                                             rstd: rstd.storage.pointer, gammaGrad: gammaGrad, betaGrad: betaGrad)
            withExtendedLifetime((mean, rstd)) {}
        }, differentiable: { gy, needs in
            Tensor.normalizationGradients(gy, x: x, output: ySaved, weight: weight, hasBias: hasBias,
                                          statisticsAxes: statisticsAxes, eps: eps, activation: activation, needs: needs)
        })
        return (output, mean, variance)
    }

    /// Checks a [N, C, spatial…] input and optional [C] affine parameters; returns (N, C, spatial count).
    private func checkNormalizationArguments(_ op: String, _ weight: Tensor?, _ bias: Tensor?) -> (Int, Int, Int) {
        precondition(rank >= 2, "\(op) needs [N, C, spatial…], got \(shape)")
        let channels = shape[1]
        precondition(weight == nil || weight!.shape == [channels], "\(op) weight must be [\(channels)], got \(weight!.shape)")
        precondition(bias == nil || bias!.shape == [channels], "\(op) bias must be [\(channels)], got \(bias!.shape)")
        return (shape[0], channels, shape[2...].reduce(1, *))
    }

    /// Records a normalisation op whose backward kernel writes dL/dx and per-channel dL/dγ, dL/dβ.
    /// The kernel gets (gy, x, gx, γ or nil, β or nil, gammaGrad [C], betaGrad [C]).
    private func recordNormalization(
        _ opName: String, _ y: Tensor, _ weight: Tensor?, _ bias: Tensor?,
        kernel: @escaping (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafePointer<Float>?,
                           UnsafePointer<Float>?, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
        differentiable: ((Tensor, [Bool]) -> [Tensor?])? = nil
    ) -> Tensor {
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let (xSaved, wSaved, bSaved) = (detached(), weight?.detached(), bias?.detached())
        let channels = shape[1]
        return withExtendedLifetime((self, weight, bias)) { y }.recorded(opName, from: inputs, backward: { gy in
            let gx = Tensor(uninitializedShape: xSaved.shape)
            let gammaGrad = Tensor(uninitializedShape: [channels]), betaGrad = Tensor(uninitializedShape: [channels])
            kernel(gy.storage.pointer, xSaved.storage.pointer, gx.storage.pointer, wSaved?.storage.pointer,
                   bSaved?.storage.pointer, gammaGrad.storage.pointer, betaGrad.storage.pointer)
            var grads: [Tensor?] = [gx]
            if wSaved != nil { grads.append(gammaGrad) }
            if bSaved != nil { grads.append(betaGrad) }
            return withExtendedLifetime((gy, xSaved, wSaved, bSaved)) { grads }
        }, differentiable: differentiable)
    }
}

// Instance normalisation (fused with an optional activation) with its backward rule.
// Kernel: Kernels/InstanceNormKernel.swift.

extension Tensor {
    /// Instance normalisation of a [N, C, spatial…] batch, as PyTorch's `InstanceNorm2d`/`3d` in training mode
    /// (statistics of each sample and channel, biased variance, no running statistics), followed by an optional
    /// activation in the same pass.
    ///
    /// y = act(γ[c] · (x − mean) / √(var + eps) + β[c]), with mean and var over the spatial values of each (n, c).
    /// - Parameters:
    ///   - weight: γ, [C], or nil for 1 (PyTorch's `affine=False`).
    ///   - bias: β, [C], or nil for 0.
    ///   - eps: added to the variance, 1e-5 as in PyTorch.
    ///   - activation: applied to the normalised value in the same kernel.
    /// - Returns: the same shape as `self`.
    public func instanceNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5,
                             activation: FusedActivation = .identity) -> Tensor {
        precondition(rank >= 3, "instanceNorm needs [N, C, spatial…], got \(shape)")
        let (batch, channels) = (shape[0], shape[1])
        let spatial = shape[2...].reduce(1, *)
        precondition(spatial > 0, "instanceNorm needs a non-empty spatial extent, got \(shape)")
        precondition(weight == nil || weight!.shape == [channels], "instanceNorm weight must be [\(channels)], got \(weight!.shape)")
        precondition(bias == nil || bias!.shape == [channels], "instanceNorm bias must be [\(channels)], got \(bias!.shape)")
        let planes = batch * channels
        let y = Tensor(uninitializedShape: shape)
        // Per-plane statistics, saved for the backward pass.
        let mean = Tensor(uninitializedShape: [planes]), rstd = Tensor(uninitializedShape: [planes])
        InstanceNormKernel.forward(storage.pointer, y.storage.pointer, planes: planes, channels: channels, spatial: spatial,
                                   gamma: weight?.storage.pointer, beta: bias?.storage.pointer, eps: eps,
                                   activation: activation, mean: mean.storage.pointer, rstd: rstd.storage.pointer)
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let (xSaved, wSaved, bSaved) = (detached(), weight?.detached(), bias?.detached())
        let (x, ySaved, hasBias) = (self, y.detached(), bias != nil)
        let statisticsAxes = Array(2..<rank)
        return withExtendedLifetime((self, weight, bias)) { y }.recorded("instance_norm", from: inputs, backward: { gy in
            let gx = Tensor(uninitializedShape: xSaved.shape)
            let gammaPlanes = Tensor(uninitializedShape: [batch, channels])
            let betaPlanes = Tensor(uninitializedShape: [batch, channels])
            InstanceNormKernel.backward(gy.storage.pointer, xSaved.storage.pointer, gx.storage.pointer,
                                        planes: planes, channels: channels, spatial: spatial,
                                        gamma: wSaved?.storage.pointer, beta: bSaved?.storage.pointer,
                                        activation: activation, mean: mean.storage.pointer, rstd: rstd.storage.pointer,
                                        gammaGrad: gammaPlanes.storage.pointer, betaGrad: betaPlanes.storage.pointer)
            var grads: [Tensor?] = [gx]
            if wSaved != nil { grads.append(gammaPlanes.sum(axes: [0])) }
            if bSaved != nil { grads.append(betaPlanes.sum(axes: [0])) }
            return withExtendedLifetime((gy, xSaved, wSaved, bSaved, mean, rstd)) { grads }
        }, differentiable: { gy, needs in
            Tensor.normalizationGradients(gy, x: x, output: ySaved, weight: weight, hasBias: hasBias,
                                          statisticsAxes: statisticsAxes, eps: eps, activation: activation, needs: needs)
        })
    }
}

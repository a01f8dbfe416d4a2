// The differentiable (second-order) rule shared by instance norm and training-mode batch norm: the gradients
// of y = act(γ · (x − mean) · rstd + β) written with recorded ops, the statistics recomputed from x so that
// the result depends on x as the fused kernel's does. Used only by `gradients(withRespectTo:createGraph: true)`;
// the fused kernels keep their own first-order rules.

extension Tensor {
    /// dL/dx, dL/dγ and dL/dβ of a normalisation with statistics over `statisticsAxes`, as recorded ops.
    ///
    /// With x̂ = (x − mean)·rstd and g_z = dL/dy · act′(z):
    /// dL/dx = rstd · (g_x̂ − mean(g_x̂) − x̂ · mean(g_x̂ · x̂)) with g_x̂ = γ · g_z; dL/dγ = Σ g_z · x̂; dL/dβ = Σ g_z
    /// (sums over every axis but the channel). act′(z) is 1 where y > 0 and the activation's slope elsewhere
    /// (y > 0 exactly where z > 0 for slopes ≥ 0); it is constant almost everywhere, so it is a constant mask.
    /// - Parameters:
    ///   - gy: dL/dy, [N, C, spatial…].
    ///   - x: the input, with its graph.
    ///   - y: the op's output (values only).
    ///   - weight: γ [C] with its graph, or nil.
    ///   - hasBias: whether β is an input (its gradient follows γ's in the result).
    ///   - statisticsAxes: the axes of the mean and variance (spatial: instance norm; batch and spatial: batch norm).
    ///   - eps: added to the variance.
    ///   - activation: the fused activation.
    ///   - needs: per input (x, γ if any, β if any), whether its gradient is wanted.
    /// - Returns: one gradient (or nil) per input.
    static func normalizationGradients(_ gy: Tensor, x: Tensor, output y: Tensor, weight: Tensor?, hasBias: Bool,
                                       statisticsAxes axes: [Int], eps: Float, activation: FusedActivation,
                                       needs: [Bool]) -> [Tensor?] {
        var channelShape = [Int](repeating: 1, count: x.rank)
        channelShape[1] = x.shape[1]
        let allButChannel = [0] + Array(2..<x.rank)
        let mean = x.mean(axes: axes, keepDims: true)
        let centred = x - mean
        let variance = (centred * centred).mean(axes: axes, keepDims: true)
        let rstd = 1 / (variance + eps).sqrt()
        let normalized = centred * rstd
        var gz = gy
        if activation != .identity {
            gz = gy * Tensor.slopeMask(y, negativeSlope: activation.negativeSlope)
        }
        var grads: [Tensor?] = []
        if needs[0] {
            let gxh = weight.map { gz * $0.reshaped(channelShape) } ?? gz
            grads.append(rstd * (gxh - gxh.mean(axes: axes, keepDims: true)
                                 - normalized * (gxh * normalized).mean(axes: axes, keepDims: true)))
        } else {
            grads.append(nil)
        }
        if weight != nil { grads.append(needs[1] ? (gz * normalized).sum(axes: allButChannel) : nil) }
        if hasBias { grads.append(needs[grads.count] ? gz.sum(axes: allButChannel) : nil) }
        return grads
    }
}

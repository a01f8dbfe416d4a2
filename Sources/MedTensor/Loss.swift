// Regression losses, fused (one pass forward, one backward), with their backward rules.

/// The mean squared error, mean((prediction − target)²), as PyTorch's `MSELoss()` (reduction "mean").
/// - Parameters:
///   - prediction: any shape.
///   - target: the same shape as `prediction`; gradients flow into it too when it requires grad.
/// - Returns: a rank-0 tensor.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    regressionLoss("mse_loss", prediction, target, squared: true)
}

/// The mean absolute error, mean(|prediction − target|), as PyTorch's `L1Loss()` (reduction "mean"); its
/// gradient where prediction equals target is 0.
/// - Parameters:
///   - prediction: any shape.
///   - target: the same shape as `prediction`.
/// - Returns: a rank-0 tensor.
public func l1Loss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    regressionLoss("l1_loss", prediction, target, squared: false)
}

/// mean((p − t)²) or mean(|p − t|), forward and backward.
private func regressionLoss(_ name: String, _ p: Tensor, _ t: Tensor, squared: Bool) -> Tensor {
    precondition(p.shape == t.shape, "\(name) needs equal shapes, got \(p.shape) and \(t.shape)")
    precondition(p.count > 0, "\(name) of empty tensors")
    let n = p.count
    // Per-element loss summed in Double by the reduction kernel.
    let perElement = squared ? Elementwise.zip(p, t, SquaredDifference()) : Elementwise.zip(p, t, AbsoluteDifference())
    let y = Tensor(scalar: Float(Reduce.sumAll(perElement.storage.pointer, count: n) / Double(n)))
    let (pSaved, tSaved) = (p.detached(), t.detached())
    let needT = t.requiresGrad
    return withExtendedLifetime(perElement) { y }.recorded(name, from: [p, t]) { g in
        // dL/dp = g · 2(p − t)/n (squared) or g · sign(p − t)/n; dL/dt = −dL/dp.
        let scale = g.item / Float(n)
        let gp = squared ? Elementwise.zip(pSaved, tSaved, ScaledDifference(scale: 2 * scale))
                         : Elementwise.zip(pSaved, tSaved, ScaledSignDifference(scale: scale))
        return [gp, needT ? -gp : nil]
    }
}

/// (a − b)².
struct SquaredDifference: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { let d = a - b; return d * d }
}
/// |a − b|.
struct AbsoluteDifference: BinaryFunction {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { Swift.abs(a - b) }
}
/// scale · (a − b).
struct ScaledDifference: BinaryFunction {
    let scale: Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { scale * (a - b) }
}
/// scale · sign(a − b), sign(0) = 0.
struct ScaledSignDifference: BinaryFunction {
    let scale: Float
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? scale : (a < b ? -scale : 0) }
}

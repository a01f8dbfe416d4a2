// Binary cross-entropy on logits, fused and numerically stable, with its backward rule.
import Foundation

/// The binary cross-entropy of sigmoid(logits) against targets in [0, 1], averaged over all values, as
/// PyTorch's `BCEWithLogitsLoss()` (reduction "mean", no weights):
///
/// ℓ = mean( max(x, 0) − x·t + log(1 + e^−|x|) ),
///
/// the stable form of −[t·log σ(x) + (1 − t)·log(1 − σ(x))]. Gradients: dℓ/dx = (σ(x) − t) / n and
/// dℓ/dt = −x / n.
/// - Parameters:
///   - logits: any shape.
///   - target: the same shape as `logits`, values in [0, 1].
/// - Returns: a rank-0 tensor.
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor) -> Tensor {
    precondition(logits.shape == target.shape,
                 "binaryCrossEntropyWithLogits needs equal shapes, got \(logits.shape) and \(target.shape)")
    precondition(logits.count > 0, "binaryCrossEntropyWithLogits of empty tensors")
    let n = logits.count
    // x: [n], t: [n] -> Σ ℓᵢ in Double.
    let x = logits.storage.pointer, t = target.storage.pointer
    var total = 0.0
    for i in 0..<n {
        let xi = Double(x[i]), ti = Double(t[i])
        total += max(xi, 0) - xi * ti + Foundation.log1p(Foundation.exp(-Swift.abs(xi)))
    }
    let y = Tensor(scalar: Float(total / Double(n)))
    let (xSaved, tSaved) = (logits.detached(), target.detached())
    let needT = target.requiresGrad
    return withExtendedLifetime((logits, target)) { y }.recorded("bce_with_logits", from: [logits, target]) { g in
        let scale = g.item / Float(n)
        let gx = Tensor(uninitializedShape: xSaved.shape)
        let (xs, ts, out) = (xSaved.storage.pointer, tSaved.storage.pointer, gx.storage.pointer)
        for i in 0..<n {
            // σ(x) computed without overflow for either sign of x.
            let e = Foundation.exp(-Swift.abs(Double(xs[i])))
            let sigma = xs[i] >= 0 ? 1 / (1 + e) : e / (1 + e)
            out[i] = scale * (Float(sigma) - ts[i])
        }
        let gt = needT ? xSaved * (-scale) : nil
        return withExtendedLifetime((xSaved, tSaved)) { [gx, gt] }
    }
}

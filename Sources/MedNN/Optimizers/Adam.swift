import Foundation

/// Adam (PyTorch's `torch.optim.Adam`, amsgrad off): with g the gradient plus L2 weight decay,
///
///     g  ← g + weightDecay · p
///     m  ← β1 · m + (1 − β1) · g                      (exp_avg)
///     v  ← β2 · v + (1 − β2) · g²                     (exp_avg_sq)
///     p  ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
///
/// t is the parameter's step count. The reference CycleGAN uses lr 2e-4 and β1 0.5.
public struct Adam: ParameterUpdateRule, Codable, Equatable {
    /// The decay of the first-moment average, 0.9 (the reference GAN trainers use 0.5).
    public var beta1: Float
    /// The decay of the second-moment average, 0.999.
    public var beta2: Float
    /// Added to the denominator, 1e-8.
    public var eps: Float
    /// The L2 penalty added to the gradient, 0 (PyTorch's `weight_decay`, not decoupled AdamW).
    public var weightDecay: Float

    /// Creates the rule with PyTorch's defaults.
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2) && eps >= 0 && weightDecay >= 0,
                     "Adam needs β1, β2 in [0, 1), eps ≥ 0, weight decay ≥ 0; got \(beta1), \(beta2), \(eps), \(weightDecay)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    /// `exp_avg`, `exp_avg_sq`.
    public var stateNames: [String] { ["exp_avg", "exp_avg_sq"] }

    /// One Adam step (see the type's formula).
    public func update(parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                       state: [UnsafeMutableBufferPointer<Float>], step: Int, learningRate: Float) {
        let (m, v) = (state[0], state[1])
        // The bias corrections in Double, as PyTorch computes them in Python floats.
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2Root = (1 - Foundation.pow(Double(beta2), Double(step))).squareRoot()
        let stepSize = Float(Double(learningRate) / correction1)
        let rootScale = Float(1 / correction2Root)
        let (b1, b2, eps, wd) = (beta1, beta2, eps, weightDecay)
        for i in 0..<p.count {
            let gi = wd == 0 ? g[i] : g[i] + wd * p[i]
            m[i] += (1 - b1) * (gi - m[i])
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            p[i] -= stepSize * m[i] / (v[i].squareRoot() * rootScale + eps)
        }
    }
}

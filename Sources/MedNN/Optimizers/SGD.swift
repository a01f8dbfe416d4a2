/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay (PyTorch's
/// `torch.optim.SGD`): with g the gradient,
///
///     g ← g + weightDecay · p
///     b ← g on the first step, else momentum · b + (1 − dampening) · g      (momentum_buffer; when momentum > 0)
///     g ← g + momentum · b (Nesterov) or b
///     p ← p − lr · g
public struct SGD: ParameterUpdateRule, Codable, Equatable {
    /// The momentum factor, 0 for plain SGD.
    public var momentum: Float
    /// The damping of new gradients in the momentum buffer, 0.
    public var dampening: Float
    /// Nesterov momentum (needs momentum > 0 and dampening 0).
    public var nesterov: Bool
    /// The L2 penalty added to the gradient, 0.
    public var weightDecay: Float

    /// Creates the rule with PyTorch's defaults (plain SGD).
    public init(momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum >= 0 && weightDecay >= 0, "SGD momentum \(momentum) and weight decay \(weightDecay) must be ≥ 0")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and dampening 0")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// `momentum_buffer` when momentum is used, otherwise none.
    public var stateNames: [String] { momentum > 0 ? ["momentum_buffer"] : [] }

    /// One SGD step (see the type's formula).
    public func update(parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                       state: [UnsafeMutableBufferPointer<Float>], step: Int, learningRate lr: Float) {
        let (mu, damp, wd) = (momentum, dampening, weightDecay)
        for i in 0..<p.count {
            var gi = wd == 0 ? g[i] : g[i] + wd * p[i]
            if mu > 0 {
                let b = state[0]
                b[i] = step == 1 ? gi : mu * b[i] + (1 - damp) * gi
                gi = nesterov ? gi + mu * b[i] : b[i]
            }
            p[i] -= lr * gi
        }
    }
}

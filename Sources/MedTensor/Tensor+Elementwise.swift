// Elementwise ops with their backward rules: broadcasting arithmetic, scalar arithmetic, math functions and
// activations. Kernels: Kernels/ElementwiseKernels.swift.

extension Tensor {
    // MARK: - Broadcasting arithmetic

    /// a + b with NumPy broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let y = Elementwise.broadcast(a, b, Add())
        let (sa, sb) = (a.shape, b.shape)
        return y.recordedDifferentiably("add", from: [a, b]) { g, needs in
            [needs[0] ? g.sum(toShape: sa) : nil, needs[1] ? g.sum(toShape: sb) : nil]
        }
    }

    /// a − b with NumPy broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let y = Elementwise.broadcast(a, b, Subtract())
        let (sa, sb) = (a.shape, b.shape)
        return y.recordedDifferentiably("sub", from: [a, b]) { g, needs in
            [needs[0] ? g.sum(toShape: sa) : nil, needs[1] ? (-g).sum(toShape: sb) : nil]
        }
    }

    /// a · b (elementwise) with NumPy broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let y = Elementwise.broadcast(a, b, Multiply())
        let (aSaved, bSaved) = (a.detached(), b.detached())
        let (needA, needB) = (a.requiresGrad, b.requiresGrad)
        return y.recorded("mul", from: [a, b], backward: { g in
            [needA ? Elementwise.broadcast(g, bSaved, Multiply()).sum(toShape: aSaved.shape) : nil,
             needB ? Elementwise.broadcast(g, aSaved, Multiply()).sum(toShape: bSaved.shape) : nil]
        }, differentiable: { g, needs in
            // Inputs, not results, are captured with their graph, so no node retains itself.
            [needs[0] ? (g * b).sum(toShape: a.shape) : nil, needs[1] ? (g * a).sum(toShape: b.shape) : nil]
        })
    }

    /// a / b (elementwise) with NumPy broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let y = Elementwise.broadcast(a, b, Divide())
        let (sa, bSaved, ySaved) = (a.shape, b.detached(), y.detached())
        let (needA, needB) = (a.requiresGrad, b.requiresGrad)
        return y.recorded("div", from: [a, b]) { g in
            // d(a/b)/da = 1/b; d(a/b)/db = −a/b² = −(1/b)·y.
            let gOverB = Elementwise.broadcast(g, bSaved, Divide())
            return [needA ? gOverB.sum(toShape: sa) : nil,
                    needB ? Elementwise.zip(gOverB, ySaved, NegMultiply()).sum(toShape: bSaved.shape) : nil]
        }
    }

    /// −x.
    public static prefix func - (x: Tensor) -> Tensor {
        Elementwise.map(x, Negate()).recorded("neg", from: [x], backward: { g in [Elementwise.map(g, Negate())] },
                                              differentiable: { g, _ in [-g] })
    }

    // MARK: - Scalar arithmetic

    /// scale · x + shift, the one op behind the scalar forms of +, − and ·.
    func affine(scale: Float, shift: Float) -> Tensor {
        Elementwise.map(self, Affine(scale: scale, shift: shift)).recordedDifferentiably("affine", from: [self]) { g, _ in
            [scale == 1 ? g : g.affine(scale: scale, shift: 0)]
        }
    }

    /// x + s.
    public static func + (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: s) }
    /// s + x.
    public static func + (s: Float, x: Tensor) -> Tensor { x.affine(scale: 1, shift: s) }
    /// x − s.
    public static func - (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1, shift: -s) }
    /// s − x.
    public static func - (s: Float, x: Tensor) -> Tensor { x.affine(scale: -1, shift: s) }
    /// x · s.
    public static func * (x: Tensor, s: Float) -> Tensor { x.affine(scale: s, shift: 0) }
    /// s · x.
    public static func * (s: Float, x: Tensor) -> Tensor { x.affine(scale: s, shift: 0) }
    /// x / s.
    public static func / (x: Tensor, s: Float) -> Tensor { x.affine(scale: 1 / s, shift: 0) }

    /// s / x.
    public static func / (s: Float, x: Tensor) -> Tensor {
        let xSaved = x.detached()
        return Elementwise.map(x, ScalarOver(numerator: s)).recorded("scalar_div", from: [x]) { g in
            [Elementwise.zip(g, xSaved, ScalarOverGrad(numerator: s))]
        }
    }

    // MARK: - Math functions

    /// eˣ.
    public func exp() -> Tensor {
        let y = Elementwise.map(self, Exp())
        let ySaved = y.detached()
        return y.recorded("exp", from: [self]) { g in [Elementwise.zip(g, ySaved, Multiply())] }
    }

    /// The natural logarithm (NaN below 0, −∞ at 0).
    public func log() -> Tensor {
        let xSaved = detached()
        return Elementwise.map(self, Log()).recorded("log", from: [self]) { g in
            [Elementwise.zip(g, xSaved, Divide())]
        }
    }

    /// The square root (NaN below 0; its gradient is infinite at 0).
    public func sqrt() -> Tensor {
        let y = Elementwise.map(self, Sqrt())
        let ySaved = y.detached()
        return y.recorded("sqrt", from: [self]) { g in [Elementwise.zip(g, ySaved, SqrtGrad())] }
    }

    /// |x|; its gradient at 0 is 0, as in PyTorch.
    public func abs() -> Tensor {
        let xSaved = detached()
        return Elementwise.map(self, Abs()).recorded("abs", from: [self]) { g in
            [Elementwise.zip(g, xSaved, AbsGrad())]
        }
    }

    /// xᵖ for a constant exponent p (`pow(2)` squares exactly).
    public func pow(_ exponent: Float) -> Tensor {
        let xSaved = detached()
        let y = exponent == 2 ? Elementwise.map(self, Square()) : Elementwise.map(self, Power(exponent: exponent))
        return y.recorded("pow", from: [self]) { g in
            [exponent == 2 ? Elementwise.zip(g, xSaved, Multiply()).affine(scale: 2, shift: 0)
                           : Elementwise.zip(g, xSaved, PowerGrad(exponent: exponent))]
        }
    }

    // MARK: - Activations

    /// max(x, 0); the gradient at 0 is 0.
    public func relu() -> Tensor {
        let xSaved = detached()
        return Elementwise.map(self, Relu()).recorded("relu", from: [self], backward: { g in
            [Elementwise.zip(g, xSaved, ReluGrad())]
        }, differentiable: { g, _ in
            // The slope is constant away from 0, so its own derivative is 0: g times a constant mask.
            [g * Tensor.slopeMask(xSaved, negativeSlope: 0)]
        })
    }

    /// x for x > 0, slope · x otherwise (PyTorch's LeakyReLU(negative_slope)).
    public func leakyRelu(slope: Float) -> Tensor {
        let xSaved = detached()
        return Elementwise.map(self, LeakyRelu(slope: slope)).recorded("leaky_relu", from: [self], backward: { g in
            [Elementwise.zip(g, xSaved, LeakyReluGrad(slope: slope))]
        }, differentiable: { g, _ in
            [g * Tensor.slopeMask(xSaved, negativeSlope: slope)]
        })
    }

    /// 1 where `x` > 0 and `negativeSlope` elsewhere: the derivative of ReLU (slope 0) and LeakyReLU, constant
    /// almost everywhere, so their second-order rules multiply by it as a constant.
    static func slopeMask(_ x: Tensor, negativeSlope: Float) -> Tensor {
        Elementwise.zip(Tensor.ones(x.shape), x.detached(), LeakyReluGrad(slope: negativeSlope))
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        let y = Elementwise.map(self, Tanh())
        let ySaved = y.detached()
        return y.recorded("tanh", from: [self]) { g in [Elementwise.zip(g, ySaved, TanhGrad())] }
    }

    /// The logistic function 1 / (1 + e⁻ˣ).
    public func sigmoid() -> Tensor {
        let y = Elementwise.map(self, Sigmoid())
        let ySaved = y.detached()
        return y.recorded("sigmoid", from: [self]) { g in [Elementwise.zip(g, ySaved, SigmoidGrad())] }
    }
}

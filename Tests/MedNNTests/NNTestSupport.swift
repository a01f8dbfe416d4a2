import MedCore
import MedTensor
import Testing

/// Finite-difference gradient checks for the composed losses (the same method as MedTensor's GradCheck):
/// L = Σ r·op(x) with fixed random r; numeric dL/dx by central differences in Double; agreement within
/// atol + rtol·max(|analytic|, |numeric|), rtol 1e-2, atol 1e-3·max(1, max|numeric|).
enum NNGradCheck {
    static func check(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 1e-2,
                      sourceLocation: SourceLocation = #_sourceLocation, _ op: ([Tensor]) -> Tensor) {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let y = op(leaves)
        var generator = SeededGenerator(seed: 7)
        let weights = Tensor.randn(y.shape, using: &generator)
        (y * weights).sum().backward()
        func loss(_ xs: [Tensor]) -> Double {
            withNoGrad { zip(op(xs).scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        }
        for (index, leaf) in leaves.enumerated() {
            guard let analytic = leaf.grad?.scalars else {
                Issue.record("input \(index) received no gradient", sourceLocation: sourceLocation)
                continue
            }
            var numeric = [Double](repeating: 0, count: leaf.count)
            for i in 0..<leaf.count {
                var plus = leaves.map { $0.detached() }, minus = plus
                plus[index].withUnsafeMutableBufferPointer { $0[i] += eps }
                minus[index].withUnsafeMutableBufferPointer { $0[i] -= eps }
                numeric[i] = (loss(plus) - loss(minus)) / (Double(plus[index].scalars[i]) - Double(minus[index].scalars[i]))
            }
            let atol = 1e-3 * max(1, numeric.map(Swift.abs).max() ?? 0)
            for i in 0..<leaf.count {
                let (a, n) = (Double(analytic[i]), numeric[i])
                if Swift.abs(a - n) > atol + rtol * max(Swift.abs(a), Swift.abs(n)) {
                    Issue.record("input \(index) element \(i): analytic \(a), numeric \(n)", sourceLocation: sourceLocation)
                    break
                }
            }
        }
    }
}

/// Deterministic normal test data.
func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.randn(shape, std: std, using: &g)
}

/// Expects |a − b| ≤ atol + rtol·|b| elementwise.
func expectClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "counts \(a.count) and \(b.count)", sourceLocation: sourceLocation)
    for i in 0..<min(a.count, b.count) where Swift.abs(a[i] - b[i]) > atol + rtol * Swift.abs(b[i]) {
        Issue.record("element \(i): \(a[i]) vs expected \(b[i])", sourceLocation: sourceLocation)
        return
    }
}

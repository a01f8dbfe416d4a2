import MedCore
import MedTestSupport
import Testing
@testable import MedTensor

/// Finite-difference checks of backward rules.
///
/// The op under test maps the inputs to a tensor y of any shape; the checked scalar is L = Σ r·y with fixed
/// random weights r (so every output element and its position matter). The analytic gradient comes from
/// `backward()`; the numeric one from central differences (L(x + ε) − L(x − ε)) / 2ε, each L evaluated by
/// running the Float op with tracking off and summing in Double. With ε ≈ 1e-2 on values of order 1 the
/// truncation error is O(ε²) ≈ 1e-4 and Float rounding adds ≈ 1e-5, so the default tolerance is
/// |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) with rtol = 1e-2 and atol = 1e-3·max(1, max|numeric|).
enum GradCheck {
    /// Checks every input's gradient and records an issue for the first mismatch of each input.
    static func check(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 1e-2, atolScale: Double = 1e-3,
                      seed: UInt64 = 99, sourceLocation: SourceLocation = #_sourceLocation,
                      _ op: ([Tensor]) -> Tensor) {
        for problem in mismatches(inputs, eps: eps, rtol: rtol, atolScale: atolScale, seed: seed, op) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }

    /// The first mismatch between analytic and numeric gradient of each input, described; empty when all agree.
    static func mismatches(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 1e-2, atolScale: Double = 1e-3,
                           seed: UInt64 = 99, _ op: ([Tensor]) -> Tensor) -> [String] {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let y = op(leaves)
        var generator = SeededGenerator(seed: seed)
        let weights = Tensor.randn(y.shape, using: &generator)
        (y * weights).sum().backward()

        func loss(_ xs: [Tensor]) -> Double {
            withNoGrad {
                let out = op(xs)
                return zip(out.scalars, weights.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }

        var problems: [String] = []
        for (index, leaf) in leaves.enumerated() {
            guard let analytic = leaf.grad, analytic.shape == leaf.shape else {
                problems.append("input \(index) received no gradient of its shape \(leaf.shape)")
                continue
            }
            var numeric = [Double](repeating: 0, count: leaf.count)
            for i in 0..<leaf.count {
                var plus = leaves.map { $0.detached() }, minus = plus
                plus[index].withUnsafeMutableBufferPointer { $0[i] += eps }
                minus[index].withUnsafeMutableBufferPointer { $0[i] -= eps }
                // The perturbation actually applied, after Float rounding.
                let h = Double(plus[index].scalars[i]) - Double(minus[index].scalars[i])
                numeric[i] = (loss(plus) - loss(minus)) / h
            }
            let atol = atolScale * max(1, numeric.map(Swift.abs).max() ?? 0)
            let a = analytic.scalars
            if let i = (0..<leaf.count).first(where: { i in
                let (ai, ni) = (Double(a[i]), numeric[i])
                return Swift.abs(ai - ni) > atol + rtol * max(Swift.abs(ai), Swift.abs(ni))
            }) {
                problems.append("input \(index) element \(i): analytic \(a[i]), numeric \(numeric[i])")
            }
        }
        return problems
    }
}

/// Deterministic test data.
enum TestData {
    /// Normal values from a fixed seed.
    static func randn(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randn(shape, std: std, using: &g)
    }

    /// Normal values pushed at least `margin` away from 0 (for ops with a kink at 0).
    static func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
        let t = randn(shape, seed: seed)
        return Tensor(t.scalars.map { $0 >= 0 ? $0 + margin : $0 - margin }, shape: shape)
    }

    /// Uniform values in [lower, upper).
    static func uniform(_ shape: [Int], seed: UInt64, _ lower: Float, _ upper: Float) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.uniform(shape, lower: lower, upper: upper, using: &g)
    }
}

/// Expects two value arrays to agree elementwise within |a − b| ≤ atol + rtol·|b|.
func expectClose(_ a: [Float], _ b: [Float], rtol: Double = 1e-4, atol: Double = 1e-4,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "counts \(a.count) and \(b.count)", sourceLocation: sourceLocation)
    guard a.count == b.count else { return }
    for i in a.indices where !Approx.isClose(Double(a[i]), Double(b[i]), rtol: rtol, atol: atol) {
        Issue.record("element \(i): \(a[i]) vs expected \(b[i]) (max |diff| \(Approx.maxAbsDifference(a, b)))",
                     sourceLocation: sourceLocation)
        return
    }
}

import MedCore
import MedTensor
import Testing

/// Finite-difference checks of backward rules, shared by the MedTensor tests (single ops) and the MedNN tests
/// (composed losses).
///
/// The op under test maps the inputs to a tensor y of any shape; the checked scalar is L = Σ r·y with fixed
/// random weights r (so every output element and its position matter). The analytic gradient comes from
/// `backward()`; the numeric one from central differences (L(x + ε) − L(x − ε)) / 2ε, each L evaluated by
/// running the Float op with tracking off and summing in Double. With ε ≈ 1e-2 on values of order 1 the
/// truncation error is O(ε²) ≈ 1e-4 and Float rounding adds ≈ 1e-5, so the default tolerance is
/// |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) with rtol = 1e-2 and atol = 1e-3·max(1, max|numeric|).
///
/// The test is written `!(difference <= tolerance)`, so a NaN (or infinite) analytic or numeric gradient, and a
/// NaN forward value (which makes every numeric derivative NaN), is a mismatch.
public enum GradCheck {
    /// Checks every input's gradient and records an issue for the first mismatch of each input.
    /// - Parameters:
    ///   - eps: the central-difference step (input units).
    ///   - rtol: relative tolerance; `atolScale`: absolute tolerance per unit of max(1, max |numeric|).
    ///   - seed: the seed of the random output weights r.
    public static func check(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 1e-2, atolScale: Double = 1e-3,
                             seed: UInt64 = 99, sourceLocation: SourceLocation = #_sourceLocation,
                             _ op: ([Tensor]) -> Tensor) {
        for problem in mismatches(inputs, eps: eps, rtol: rtol, atolScale: atolScale, seed: seed, op) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }

    /// The first mismatch between analytic and numeric gradient of each input, described; empty when all agree.
    /// An input that receives no gradient, or one of another shape, is a mismatch too.
    public static func mismatches(_ inputs: [Tensor], eps: Float = 1e-2, rtol: Double = 1e-2, atolScale: Double = 1e-3,
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
            // A NaN or infinite numeric gradient fails `agrees` below whatever atol becomes.
            let atol = atolScale * max(1, numeric.map(Swift.abs).max() ?? 0)
            let a = analytic.scalars
            if let i = (0..<leaf.count).first(where: { i in
                !agrees(Double(a[i]), numeric[i], rtol: rtol, atol: atol)
            }) {
                problems.append("input \(index) element \(i): analytic \(a[i]), numeric \(numeric[i]) "
                                + "(tolerance \(atol) + \(rtol)·max(|analytic|, |numeric|))")
            }
        }
        return problems
    }

    /// |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|), both finite; false for NaN or infinite values
    /// (an infinite side would otherwise pass, ∞ ≤ ∞).
    public static func agrees(_ analytic: Double, _ numeric: Double, rtol: Double, atol: Double) -> Bool {
        guard analytic.isFinite, numeric.isFinite else { return false }
        return Swift.abs(analytic - numeric) <= atol + rtol * Swift.max(Swift.abs(analytic), Swift.abs(numeric))
    }
}

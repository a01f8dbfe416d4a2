import MedTensorTestSupport
import Testing
@testable import MedTensor

/// GradCheck reports NaN and infinite gradients as mismatches (the test is !(|a − n| ≤ tol), not |a − n| > tol).
@Suite struct GradCheckTests {
    /// Control: a correct backward rule passes.
    @Test func correctGradientPasses() {
        #expect(GradCheck.mismatches([TestData.randn([2, 3], seed: 1)]) { $0[0] * $0[0] }.isEmpty)
    }

    /// A forward that gives NaN (log of negative inputs) makes every numeric derivative NaN while the analytic
    /// one, r/x, is finite: a mismatch for the input.
    @Test func nanForwardIsAMismatch() {
        let x = TestData.uniform([2, 3], seed: 2, -2, -1)
        let problems = GradCheck.mismatches([x]) { $0[0].log() }
        #expect(problems.count == 1 && problems[0].contains("nan"), "\(problems)")
    }

    /// A finite forward whose backward is NaN: sqrt(x²) = |x| is 0.01 at x = ±0.01 (numeric derivative 0), but
    /// the chain rule at x = 0 gives sqrt′(0)·2x = ∞·0 = NaN.
    @Test func nanBackwardIsAMismatch() {
        let x = Tensor([0, 0.5, -1, 2], shape: [4])
        let problems = GradCheck.mismatches([x]) { $0[0].pow(2).sqrt() }
        #expect(problems.count == 1 && problems[0].contains("element 0") && problems[0].contains("nan"), "\(problems)")
    }

    /// An input that receives no gradient is reported.
    @Test func missingGradientIsAMismatch() {
        let problems = GradCheck.mismatches([TestData.randn([3], seed: 3), TestData.randn([3], seed: 4)]) { $0[0] * 2 }
        #expect(problems.count == 1 && problems[0].contains("input 1"), "\(problems)")
    }

    /// The element predicate: NaN or infinite on either side never agrees.
    @Test func agreementRejectsNonFiniteValues() {
        #expect(GradCheck.agrees(1, 1.001, rtol: 1e-2, atol: 1e-3))
        for (a, n) in [(Double.nan, 1.0), (1, .nan), (.nan, .nan), (.infinity, 1), (1, -.infinity), (.infinity, .infinity)] {
            #expect(!GradCheck.agrees(a, n, rtol: 1e-2, atol: 1e300), "analytic \(a), numeric \(n)")
        }
    }
}

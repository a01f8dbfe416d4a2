import Testing
@testable import MedMetrics

/// Holm's step-down adjustment against values computed by hand (and by statsmodels
/// `multipletests([0.01, 0.04, 0.03, 0.005], method="holm")` → [0.03, 0.06, 0.06, 0.02]).
@Suite struct HolmCorrectionTests {
    @Test func adjustsInStepDownOrder() throws {
        // Sorted: 0.005 (×4 = 0.02), 0.01 (×3 = 0.03), 0.03 (×2 = 0.06), 0.04 (×1 = 0.04 → monotone 0.06).
        let adjusted = HolmCorrection.adjust([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        for (a, e) in zip(adjusted, expected) { #expect(abs(try #require(a) - e) < 1e-15) }
    }

    @Test func capsAtOneAndSkipsMissingTests() throws {
        let adjusted = HolmCorrection.adjust([0.6, nil, 0.2])
        #expect(adjusted[1] == nil)
        // m = 2: 0.2 × 2 = 0.4; 0.6 × 1 = 0.6.
        #expect(abs(try #require(adjusted[2]) - 0.4) < 1e-15)
        #expect(abs(try #require(adjusted[0]) - 0.6) < 1e-15)
        #expect(HolmCorrection.adjust([0.7, 0.8]).map { $0! } == [1, 1])
        #expect(HolmCorrection.adjust([]).isEmpty)
    }

    /// An adjusted comparison keeps its differences and re-decides its verdict.
    @Test func adjustedComparisonRedecidesTheVerdict() {
        let c = PairedComparison(treatment: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7], baseline: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], higherIsBetter: true)
        #expect(c.verdict == .better)
        let a = c.adjusted(pValue: 0.0625)
        #expect(a.verdict == .noSignificantDifference && a.pValue == 0.0625 && a.meanDifference == c.meanDifference)
        #expect(c.adjusted(pValue: 0.01).verdict == .better)
    }
}

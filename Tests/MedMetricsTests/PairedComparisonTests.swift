import Foundation
@testable import MedMetrics
import MedTestSupport
import Testing

/// `PairedComparison` on small fixed inputs, every number computed by hand in the comments (and checked
/// independently by scripts/make_paired_comparison_reference.py with numpy 2.4.6 / scipy 1.17.1).
///
/// Wilcoxon by hand: with n non-zero differences of distinct |d|, every one of the 2ⁿ sign patterns of the ranks
/// 1…n is equally likely under the null, and p = 2 · #(patterns with positive-rank sum ≤ T) / 2ⁿ, T the smaller
/// signed-rank sum. t quantiles (scipy.stats.t.ppf): t_{0.975,5} = 2.5705818356, t_{0.95,5} = 2.0150483733.
@Suite struct PairedComparisonTests {
    /// |a − b| ≤ 1e-12 + 1e-9·|b|: the inputs are decimal fractions, so the differences carry rounding of ~1e-17,
    /// and the t quantile agrees with scipy to ~1e-10 relative.
    static func close(_ a: Double, _ b: Double) -> Bool { Approx.isClose(a, b, rtol: 1e-9, atol: 1e-12) }

    // d = treatment − baseline = [0.02, 0.05, 0.01, 0.04, 0.06, 0.03] (Dice, higher is better).
    static let diceBaseline: [Double?] = [0.70, 0.65, 0.80, 0.72, 0.60, 0.75]
    static let diceTreatment: [Double?] = [0.72, 0.70, 0.81, 0.76, 0.66, 0.78]

    /// mean = 0.21 / 6 = 0.035; deviations −0.015, +0.015, −0.025, +0.005, +0.025, −0.005, Σdev² = 17.5e-4,
    /// SD = √(17.5e-4 / 5) = √3.5e-4 = 0.0187082869; SE = SD/√6 = 0.0076376262;
    /// 95% CI = 0.035 ± 2.5705818356 · SE = 0.035 ± 0.0196331431 = (0.0153668569, 0.0546331431).
    /// Wilcoxon: all six differences positive and distinct, R⁺ = 21, T = 0; only the all-positive pattern has
    /// R⁺ ≥ 21, so p = 2 · 1/64 = 0.03125 < 0.05 → better.
    @Test func allPairsImproveIsBetter() throws {
        let c = PairedComparison(treatment: Self.diceTreatment, baseline: Self.diceBaseline, higherIsBetter: true)
        #expect(c.count == 6 && c.dropped == 0)
        #expect(Self.close(c.meanDifference, 0.035))
        let d = try #require(c.difference)
        #expect(Self.close(d.std, 0.018708286933869705))
        #expect(Self.close(d.ciLower, 0.015366856930196772) && Self.close(d.ciUpper, 0.05463314306980325))
        #expect(d.confidence == 1 - 0.05)
        let w = try #require(c.wilcoxon)
        #expect(w.statistic == 0 && w.positiveRankSum == 21 && w.count == 6 && w.method == .exact)
        #expect(c.pValue == 0.03125)
        #expect(c.verdict == .better)
        #expect(c.sentence(metric: "Dice", treatment: "arm c", baseline: "arm a", unit: " points", scale: 100)
                == "Dice: arm c vs arm a: +3.5 points (95% CI +1.5 to +5.5), Wilcoxon signed-rank p = 0.031 over 6 pairs — significantly better.")
    }

    /// The same pairs with the arms swapped: every difference changes sign, mean −0.035, CI (−0.0546, −0.0154),
    /// T and p unchanged (0, 0.03125) → worse.
    @Test func swappedArmsIsWorse() throws {
        let c = PairedComparison(treatment: Self.diceBaseline, baseline: Self.diceTreatment, higherIsBetter: true)
        #expect(Self.close(c.meanDifference, -0.035))
        let d = try #require(c.difference)
        #expect(Self.close(d.ciLower, -0.05463314306980325) && Self.close(d.ciUpper, -0.015366856930196772))
        #expect(c.pValue == 0.03125 && c.wilcoxon?.positiveRankSum == 0)
        #expect(c.verdict == .worse)
        #expect(c.sentence(metric: "Dice", treatment: "arm a", baseline: "arm c", unit: " points", scale: 100)
                == "Dice: arm a vs arm c: -3.5 points (95% CI -5.5 to -1.5), Wilcoxon signed-rank p = 0.031 over 6 pairs — significantly worse.")
    }

    /// d = [0.10, 0.03, 0.15, −0.05, 0.20, 0.08]; |d| ranks 0.03→1, 0.05→2, 0.08→3, 0.10→4, 0.15→5, 0.20→6, so
    /// R⁻ = 2, R⁺ = 19, T = 2. Patterns of 1…6 with positive sum ≤ 2: {}, {1}, {2} = 3 of 64 → p = 6/64 = 0.09375.
    /// mean = 0.51 / 6 = 0.085, SD = 0.0882609767, SE = 0.0360323…;
    /// 95% CI = 0.085 ± 2.5705818356 · SE = (−0.0076242145, 0.1776242145): p ≥ 0.05 → no significant difference;
    /// at alpha = 0.1: 90% CI = 0.085 ± 2.0150483733 · SE = (0.0123929854, 0.1576070146), p < 0.1 → better.
    @Test func mixedSignsAtTwoLevels() throws {
        let treatment: [Double?] = [0.80, 0.73, 0.85, 0.65, 0.90, 0.78]
        let baseline: [Double?] = Array(repeating: 0.70, count: 6)
        let c = PairedComparison(treatment: treatment, baseline: baseline, higherIsBetter: true)
        #expect(c.wilcoxon?.statistic == 2 && c.pValue == 0.09375)
        #expect(Self.close(c.meanDifference, 0.085))
        let d = try #require(c.difference)
        #expect(Self.close(d.ciLower, -0.007624214513222871) && Self.close(d.ciUpper, 0.177624214513223))
        #expect(c.verdict == .noSignificantDifference)
        #expect(c.sentence(metric: "Dice", treatment: "arm b", baseline: "arm a", unit: " points", scale: 100)
                == "Dice: arm b vs arm a: +8.5 points (95% CI -0.8 to +17.8), Wilcoxon signed-rank p = 0.094 over 6 pairs — no significant difference.")

        let loose = PairedComparison(treatment: treatment, baseline: baseline, higherIsBetter: true, alpha: 0.1)
        #expect(loose.alpha == 0.1 && loose.pValue == 0.09375 && loose.verdict == .better)
        let d90 = try #require(loose.difference)
        #expect(Self.close(d90.ciLower, 0.012392985432841522) && Self.close(d90.ciUpper, 0.15760701456715848))
        #expect(loose.sentence(metric: "Dice", treatment: "arm b", baseline: "arm a", unit: " points", scale: 100)
                == "Dice: arm b vs arm a: +8.5 points (90% CI +1.2 to +15.8), Wilcoxon signed-rank p = 0.094 over 6 pairs — significantly better.")
    }

    /// HD95 in mm, lower is better, with three undefined pairs: index 2 (treatment nil: no prediction), 5
    /// (treatment +inf), 8 (baseline NaN) are dropped. Used d = [−2, −1, −4, −0.5, −6, −0.75] (exact in binary).
    /// mean = −14.25 / 6 = −2.375; deviations 0.375, 1.375, −1.625, 1.875, −3.625, 1.625, Σdev² = 23.96875,
    /// SD = √(23.96875 / 5) = √4.79375 = 2.1894634046; half-width = 2.5705818356 · SD/√6 = 2.2977009290,
    /// CI = (−4.6727009290, −0.0772990710). All differences negative and distinct: R⁺ = 0, p = 2/64 = 0.03125.
    /// Lower is better, so a negative mean difference → better; read as higher-is-better it would be worse.
    @Test func lowerIsBetterWithUndefinedPairs() throws {
        let treatment: [Double?] = [10, 7, nil, 11, 8.5, .infinity, 14, 10.25, 3]
        let baseline: [Double?] = [12, 8, 5, 15, 9, 6, 20, 11, .nan]
        let c = PairedComparison(treatment: treatment, baseline: baseline, higherIsBetter: false)
        #expect(c.count == 6 && c.dropped == 3)
        #expect(c.meanDifference == -2.375)
        let d = try #require(c.difference)
        #expect(d.count == 6 && d.median == -1.5)
        #expect(Self.close(d.std, 2.1894634045811316))
        #expect(Self.close(d.ciLower, -4.67270092901544) && Self.close(d.ciUpper, -0.07729907098455957))
        #expect(c.pValue == 0.03125 && c.wilcoxon?.positiveRankSum == 0)
        #expect(c.verdict == .better && !c.higherIsBetter)
        #expect(c.sentence(metric: "HD95", treatment: "arm c", baseline: "arm a", unit: " mm")
                == "HD95: arm c vs arm a: -2.4 mm (95% CI -4.7 to -0.1), Wilcoxon signed-rank p = 0.031 over 6 pairs (3 pairs without a defined value left out) — significantly better.")
        #expect(PairedComparison(treatment: treatment, baseline: baseline, higherIsBetter: true).verdict == .worse)
    }

    /// d = [1, 2, …, 11, −66]: mean exactly 0, median (5 + 6)/2 = 5.5. Ranks: 1…11 for the gains, 12 for the loss,
    /// so R⁻ = 12, R⁺ = 66, T = 12. Subsets of {1…12} with sum ≤ 12 are the partitions of 0…12 into distinct
    /// parts: 1+1+1+2+2+3+4+5+6+8+10+12+15 = 70, so p = 2 · 70 / 4096 = 0.0341796875 < 0.05; the mean gives no
    /// direction, the median (+5.5) does → better.
    @Test func zeroMeanFallsBackToMedian() throws {
        let treatment: [Double?] = (1...11).map { Double($0) } + [-66]
        let c = PairedComparison(treatment: treatment, baseline: Array(repeating: 0, count: 12), higherIsBetter: true)
        #expect(c.meanDifference == 0 && c.difference?.median == 5.5)
        #expect(c.wilcoxon?.statistic == 12 && c.pValue == 0.0341796875)
        #expect(c.verdict == .better)
        #expect(PairedComparison(treatment: treatment, baseline: Array(repeating: 0, count: 12), higherIsBetter: false).verdict == .worse)
    }

    /// d = [0, 1, 2, 3, 4, −0.5]: the zero difference is a used pair (count 6) that the signed-rank test drops
    /// (zeros = 1). Ranks of the five others: 0.5→1, 1→2, 2→3, 3→4, 4→5; R⁻ = 1, R⁺ = 14; scipy's exhaustive
    /// permutation path (a zero present): patterns with sum ≤ 1 are {}, {1} = 2 of 32, p = 4/32 = 0.125.
    /// mean = 9.5 / 6 = 1.5833333.
    @Test func zeroDifferenceAmongOthers() {
        let c = PairedComparison(treatment: [0, 1, 2, 3, 4, -0.5], baseline: Array(repeating: 0, count: 6), higherIsBetter: true)
        #expect(c.count == 6 && c.wilcoxon?.zeros == 1 && c.wilcoxon?.count == 5 && c.wilcoxon?.method == .permutation)
        #expect(c.pValue == 0.125 && c.verdict == .noSignificantDifference)
        #expect(Self.close(c.meanDifference, 9.5 / 6))
    }

    /// Every used difference exactly 0: the arms agree on every pair, the test is not defined and not run, and
    /// the verdict is no significant difference (a single identical pair too).
    @Test func allDifferencesZero() {
        let values: [Double?] = [0.8, 0.7, 0.9, 0.75, nil]
        let c = PairedComparison(treatment: values, baseline: [0.8, 0.7, 0.9, 0.75, 0.6], higherIsBetter: true)
        #expect(c.count == 4 && c.dropped == 1 && c.meanDifference == 0)
        #expect(c.wilcoxon == nil && c.pValue == nil && c.verdict == .noSignificantDifference)
        #expect(c.sentence(metric: "Dice", treatment: "arm b", baseline: "arm a", unit: " points", scale: 100)
                == "Dice: arm b vs arm a: +0.0 points, identical in all 4 pairs (1 pair without a defined value left out) — no significant difference.")
        let one = PairedComparison(treatment: [3], baseline: [3], higherIsBetter: false)
        #expect(one.count == 1 && one.verdict == .noSignificantDifference)
        #expect(one.sentence(metric: "HD95", treatment: "b", baseline: "a", unit: " mm") == "HD95: b vs a: +0.0 mm, identical in the 1 pair — no significant difference.")
    }

    /// Fewer than 2 used pairs, no pairs at all, and differences the test refuses (finite values whose
    /// difference overflows to +inf) are not testable.
    @Test func notTestable() throws {
        // One used pair: d = 0.9 − 0.8 ≈ 0.1; no SD or CI from one value.
        let one = PairedComparison(treatment: [0.9, nil], baseline: [0.8, 0.7], higherIsBetter: true)
        #expect(one.count == 1 && one.dropped == 1 && one.verdict == .notTestable && one.wilcoxon == nil && one.pValue == nil)
        #expect(Self.close(one.meanDifference, 0.1))
        #expect(try #require(one.difference).ciLower.isNaN)
        #expect(one.sentence(metric: "Dice", treatment: "arm b", baseline: "arm a", unit: " points", scale: 100)
                == "Dice: arm b vs arm a: +10.0 points over 1 pair (1 pair without a defined value left out) — not testable (fewer than 2 pairs with defined values).")

        let none = PairedComparison(treatment: [nil, .nan], baseline: [1, 2], higherIsBetter: true)
        #expect(none.count == 0 && none.dropped == 2 && none.meanDifference.isNaN && none.difference == nil)
        #expect(none.verdict == .notTestable)
        #expect(none.sentence(metric: "Dice", treatment: "arm b", baseline: "arm a")
                == "Dice: arm b vs arm a: no pair with defined values (2 pairs without a defined value left out) — not testable.")
        let empty = PairedComparison(treatment: [], baseline: [], higherIsBetter: true)
        #expect(empty.count == 0 && empty.dropped == 0 && empty.verdict == .notTestable)

        let overflow = PairedComparison(treatment: [1e308, 1e308], baseline: [-1e308, -1e308], higherIsBetter: true)
        #expect(overflow.count == 2 && overflow.verdict == .notTestable && overflow.wilcoxon == nil)
        #expect(overflow.sentence(metric: "X", treatment: "b", baseline: "a").hasSuffix(
            "— not testable (the Wilcoxon signed-rank test is not defined for these differences)."))
    }

    /// 15 gains 1…15: R⁺ = 120, T = 0, p = 2 / 2¹⁵ = 6.1e-5, printed as "p < 0.0001"; p-values keep 2 significant
    /// digits with their trailing zeros.
    @Test func pValueWording() {
        let c = PairedComparison(treatment: (1...15).map { Double($0) }, baseline: Array(repeating: 0, count: 15), higherIsBetter: true)
        #expect(c.pValue == 2.0 / 32768 && c.verdict == .better)
        // mean 8, SD √20 = 4.4721360, 95% CI 8 ± 2.1447866879 · 4.4721360/√15 = (5.5234137, 10.4765863).
        #expect(c.sentence(metric: "Score", treatment: "b", baseline: "a", digits: 2)
                == "Score: b vs a: +8.00 (95% CI +5.52 to +10.48), Wilcoxon signed-rank p < 0.0001 over 15 pairs — significantly better.")
        #expect(PairedComparison.formatP(0.0031) == "p = 0.0031")
        #expect(PairedComparison.formatP(0.41) == "p = 0.41")
        #expect(PairedComparison.formatP(0.5) == "p = 0.50")
        #expect(PairedComparison.formatP(1) == "p = 1.0")
        #expect(PairedComparison.formatP(0.0001) == "p = 0.00010")
        #expect(PairedComparison.formatP(0.0000999) == "p < 0.0001")
    }

    /// The comparison survives a JSON round trip (finite case; JSON has no NaN).
    @Test func codableRoundTrip() throws {
        let c = PairedComparison(treatment: Self.diceTreatment, baseline: Self.diceBaseline, higherIsBetter: true)
        let decoded = try JSONDecoder().decode(PairedComparison.self, from: JSONEncoder().encode(c))
        #expect(decoded == c)
    }
}

import Foundation

/// A paired comparison of one metric between two arms (a treatment and a baseline), over index-aligned pairs
/// (same seed, same test case): the mean difference with its confidence interval and a two-sided Wilcoxon
/// signed-rank test, condensed into a verdict and a plain-language sentence for reports.
///
/// - differences dᵢ = treatmentᵢ − baselineᵢ over the pairs where both values are defined (non-nil, finite);
///   the other pairs are counted in `dropped`, never imputed;
/// - `difference`: `SampleSummary` of the dᵢ, its interval at confidence 1 − alpha (95% for alpha = 0.05), so
///   the interval and the test use the same level;
/// - `wilcoxon`: `WilcoxonSignedRank(differences:)`, scipy's `wilcoxon` defaults (zero differences dropped);
/// - `verdict`:
///   - `noSignificantDifference` when every used difference is exactly 0 (count ≥ 1): the arms agree on
///     every pair, and the signed-rank test, which is not defined then, is not run;
///   - otherwise `notTestable` when fewer than 2 pairs are used or the test is not defined;
///   - `better` / `worse` when p < alpha, by the sign of the mean difference read with `higherIsBetter`; when
///     the mean difference is exactly 0, by the sign of the median difference, and when that is 0 too, by the
///     side the signed-rank sums lean to (R⁺ against its null mean n(n+1)/4);
///   - `noSignificantDifference` otherwise.
///
/// The direction follows the mean difference, the number the sentence reports, so a verdict never contradicts
/// its headline. With a skewed difference distribution (many small gains, one large loss) the signed-rank
/// test can reject symmetry about 0 while the mean points the other way; `wilcoxon.positiveRankSum` shows it.
public struct PairedComparison: Codable, Equatable, Sendable {
    /// What the comparison says about the treatment against the baseline.
    public enum Verdict: String, Codable, Sendable {
        /// p < alpha and the treatment is better (by `higherIsBetter`).
        case better
        /// p < alpha and the treatment is worse.
        case worse
        /// p ≥ alpha, or every used difference is exactly 0.
        case noSignificantDifference
        /// Fewer than 2 used pairs, or the signed-rank test is not defined for the differences.
        case notTestable
    }

    /// Pairs where both values are defined (non-nil and finite); the differences are taken over these.
    public var count: Int
    /// Pairs left out because either value is nil or not finite.
    public var dropped: Int
    /// Mean of treatment − baseline over the used pairs (NaN when none is used).
    public var meanDifference: Double
    /// Summary of the differences, with the confidence interval of the mean difference at 1 − alpha; nil when
    /// no pair is used.
    public var difference: SampleSummary?
    /// The signed-rank test of the differences; nil when it was not run (fewer than 2 pairs, or all differences
    /// 0) or is not defined.
    public var wilcoxon: WilcoxonSignedRank?
    /// The two-sided p-value of `wilcoxon`; nil when it is nil.
    public var pValue: Double?
    /// The significance level of the test; the interval is at confidence 1 − alpha.
    public var alpha: Double
    /// Whether a higher metric value is better (Dice: true; HD95, MAE: false).
    public var higherIsBetter: Bool
    /// The conclusion; see the type's documentation for the rule.
    public var verdict: Verdict

    /// Compares `treatment` against `baseline`, pair by pair.
    /// - Parameters:
    ///   - treatment: the metric of the arm under test, one value per pair (nil where undefined, e.g. HD95 of an
    ///     empty prediction).
    ///   - baseline: the metric of the reference arm, index-aligned with `treatment`.
    ///   - higherIsBetter: whether a higher metric value is better.
    ///   - alpha: the two-sided significance level, in (0, 1).
    /// - Precondition: `treatment` and `baseline` have the same length; 0 < alpha < 1.
    public init(treatment: [Double?], baseline: [Double?], higherIsBetter: Bool, alpha: Double = 0.05) {
        precondition(treatment.count == baseline.count,
                     "paired samples have \(treatment.count) treatment and \(baseline.count) baseline values; expected the same number")
        precondition(alpha > 0 && alpha < 1, "alpha must be in (0, 1), got \(alpha)")
        var differences: [Double] = []
        differences.reserveCapacity(treatment.count)
        for (t, b) in zip(treatment, baseline) {
            if let t, let b, t.isFinite, b.isFinite { differences.append(t - b) }
        }
        count = differences.count
        dropped = treatment.count - differences.count
        self.alpha = alpha
        self.higherIsBetter = higherIsBetter
        // The difference of two finite values is never NaN (it can overflow to ±inf, which the test refuses).
        let summary = differences.isEmpty ? nil : SampleSummary(differences, confidence: 1 - alpha)
        difference = summary
        meanDifference = summary?.mean ?? .nan
        wilcoxon = nil
        pValue = nil

        if count >= 1 && differences.allSatisfy({ $0 == 0 }) {
            verdict = .noSignificantDifference
            return
        }
        guard count >= 2, let test = try? WilcoxonSignedRank(differences: differences) else {
            verdict = .notTestable
            return
        }
        wilcoxon = test
        pValue = test.pValue
        verdict = .noSignificantDifference
        verdict = decided(pValue: test.pValue)
    }

    /// The verdict for a p-value of the test that was run: the direction follows the mean difference (then the
    /// median, then the rank sums).
    private func decided(pValue p: Double) -> Verdict {
        guard let test = wilcoxon, p < alpha else { return .noSignificantDifference }
        var direction = meanDifference
        if direction == 0 { direction = difference?.median ?? 0 }
        if direction == 0 { direction = test.positiveRankSum - Double(test.count * (test.count + 1)) / 4 }
        if direction == 0 || direction.isNaN { return .noSignificantDifference }
        return (direction > 0) == higherIsBetter ? .better : .worse
    }

    /// The comparison with its p-value replaced by a multiplicity-adjusted one (`HolmCorrection`) and the verdict
    /// decided again at `alpha`. A comparison without a test result is returned unchanged.
    public func adjusted(pValue p: Double) -> PairedComparison {
        guard wilcoxon != nil, pValue != nil else { return self }
        var c = self
        c.pValue = p
        c.verdict = c.decided(pValue: p)
        return c
    }

    /// The comparison as one plain-language sentence, e.g.
    /// "Dice: arm c vs arm a: +6.3 points (95% CI +2.1 to +10.5), Wilcoxon signed-rank p = 0.0031 over 50 pairs
    /// — significantly better."
    ///
    /// Differences are printed with an explicit sign, after multiplying by `scale`; p-values with 2 significant
    /// digits, and as "p < 0.0001" below 10⁻⁴. Pairs left out are mentioned when there are any.
    /// - Parameters:
    ///   - metric: the metric's name ("Dice", "HD95").
    ///   - treatment: the treatment arm's name.
    ///   - baseline: the baseline arm's name.
    ///   - unit: appended to the mean difference, with its leading space (" points", " mm").
    ///   - scale: multiplies the differences before printing (100 shows Dice in points).
    ///   - digits: decimals of the printed differences.
    /// - Returns: the sentence, ending with a full stop.
    public func sentence(metric: String, treatment: String, baseline: String, unit: String = "",
                         scale: Double = 1, digits: Int = 1) -> String {
        let head = "\(metric): \(treatment) vs \(baseline): "
        let leftOut = dropped == 0 ? ""
            : " (\(Self.pairs(dropped)) without a defined value left out)"
        func signed(_ v: Double) -> String { String(format: "%+.\(max(0, digits))f", v * scale) }

        guard count > 0 else {
            return head + "no pair with defined values" + leftOut + " — not testable."
        }
        var text = head + signed(meanDifference) + unit
        if verdict == .noSignificantDifference && wilcoxon == nil {
            // Every used difference is exactly 0.
            let all = count == 1 ? "the 1 pair" : "all \(count) pairs"
            return text + ", identical in \(all)" + leftOut + " — no significant difference."
        }
        if let d = difference, d.ciLower.isFinite, d.ciUpper.isFinite {
            let level = String(format: "%g", d.confidence * 100)
            text += " (\(level)% CI \(signed(d.ciLower)) to \(signed(d.ciUpper)))"
        }
        guard let p = pValue else {
            let why = count < 2 ? "fewer than 2 pairs with defined values"
                : "the Wilcoxon signed-rank test is not defined for these differences"
            return text + " over \(Self.pairs(count))" + leftOut + " — not testable (\(why))."
        }
        text += ", Wilcoxon signed-rank \(Self.formatP(p)) over \(Self.pairs(count))" + leftOut
        switch verdict {
        case .better: return text + " — significantly better."
        case .worse: return text + " — significantly worse."
        case .noSignificantDifference, .notTestable: return text + " — no significant difference."
        }
    }

    /// "p = 0.0031" with 2 significant digits (trailing zeros kept: "p = 0.50"), "p < 0.0001" below 10⁻⁴.
    static func formatP(_ p: Double) -> String {
        p < 1e-4 ? "p < 0.0001" : "p = " + String(format: "%#.2g", p)
    }

    /// "1 pair", "7 pairs".
    static func pairs(_ n: Int) -> String { n == 1 ? "1 pair" : "\(n) pairs" }
}

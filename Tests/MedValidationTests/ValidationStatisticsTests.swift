import Foundation
import MedMetrics
import Testing
@testable import MedValidation

/// The experiment's statistics on small fixed inputs, against values computed by hand.
@Suite struct ValidationStatisticsTests {
    static func result(_ arm: ValidationArm, size: Int = 2, seed: UInt64, dice: [Double], hd95: [Double?]) -> ValidationJobResult {
        ValidationJobResult(arm: arm, cohortSize: size, seed: seed, trainingCases: 6, finalLoss: 0.5, steps: 300, keptStep: 200,
                            validationCurve: [ValidationCurvePoint(step: 100, dice: 0.3), ValidationCurvePoint(step: 200, dice: 0.5),
                                              ValidationCurvePoint(step: 300, dice: 0.4)], seconds: 10,
                            cases: dice.indices.map { i in
                                ValidationCaseScore(caseID: "case00\(i)", dice: dice[i], hd95MM: hd95[i], referenceVoxels: 100, predictedVoxels: 90)
                            })
    }

    /// Arm (c) − arm (a) differences d = [0.10, 0.20, −0.05, 0.30, 0.15, 0.25] over one seed and six cases.
    /// By hand: mean d = 0.95 / 6 = 0.158333; |d| ranks 2, 4, 1, 6, 3, 5, so W+ = 20 and W− = 1; the exact
    /// two-sided p is 2 · P(W ≤ 1) = 2 · 2/64 = 0.0625 (W+ = 0 and W+ = 1 have one sign pattern each).
    /// SD of d: Σ(d − mean)² = 0.0034028 + 0.0017361 + 0.0434028 + 0.0200694 + 0.0000694 + 0.0084028 = 0.0770833,
    /// / 5 = 0.0154167, √ = 0.124164; CI half-width t(0.975, 5) · SD / √6 = 2.570582 · 0.124164 / 2.449490 = 0.130302.
    @Test func pairedDifferencesMatchHandComputedValues() throws {
        var config = ValidationExperimentConfig()
        config.seeds = [0]
        config.data.cohortSizes = [2]
        let a = [0.5, 0.6, 0.7, 0.4, 0.3, 0.8]
        let d = [0.10, 0.20, -0.05, 0.30, 0.15, 0.25]
        let c = zip(a, d).map { $0 + $1 }
        let results = [Self.result(.real, seed: 0, dice: a, hd95: [10, 12, nil, 8, 20, 6]),
                       Self.result(.syntheticLesions, seed: 0, dice: c, hd95: [8, 12, 9, nil, 14, 5])]
        let s = ValidationSummary(config: config, arms: [.real, .syntheticLesions], results: results,
                                  testCaseIDs: (0..<6).map { "case00\($0)" }, translatorCheckpoint: nil, seconds: 1, directory: "/tmp/x")
        let arm = try #require(s.arms.first { $0.arm == .syntheticLesions })
        // Dice of (a): mean 0.55, SD √(0.175 / 5) = 0.187083.
        let base = try #require(s.arms.first { $0.arm == .real })
        #expect(abs(base.dice.mean - 0.55) < 1e-12)
        #expect(abs(base.dice.std - 0.187083) < 1e-6)
        #expect(base.hd95Undefined == 1)
        let cmp = try #require(arm.diceComparison)
        #expect(cmp.count == 6)
        #expect(abs(cmp.meanDifference - 0.158333) < 1e-6)
        #expect(abs(try #require(cmp.pValue) - 0.0625) < 1e-12)
        let ci = try #require(cmp.difference)
        #expect(abs(ci.std - 0.124164) < 1e-6)
        #expect(abs((ci.ciUpper - ci.ciLower) / 2 - 0.130302) < 1e-5)
        #expect(cmp.verdict == .noSignificantDifference)
        #expect(arm.verdict.contains("no significant difference"))
        // HD95: pairs 3 and 4 lack a value on one side; d = [−2, 0, −6, −1] → one zero.
        let hd = try #require(arm.hd95Comparison)
        #expect(hd.count == 4 && hd.dropped == 2)
        #expect(abs(hd.meanDifference - (-2.25)) < 1e-12)
        // +15.8 points but p = 0.0625: the target is not met, and the report says so.
        let target = try #require(s.targets.first)
        #expect(target.met == false)
        #expect(target.measured.contains("+15.8 points"))
        #expect(target.measured.contains("0.0625"))
        // per_case.csv: header + 12 rows, an undefined HD95 left empty.
        let rows = s.perCaseCSV.split(separator: "\n")
        #expect(rows.count == 13)
        #expect(rows[3] == "a-real,2,0,case002,0.7,,100,90")
    }

    @Test func crossModalityTargetIsTheRatioToTheCeiling() throws {
        var config = ValidationExperimentConfig()
        config.seeds = [0, 1]
        config.data.cohortSizes = [2]
        let results = [Self.result(.translated, seed: 0, dice: [0.4, 0.5], hd95: [5, 6]),
                       Self.result(.targetReal, seed: 0, dice: [0.5, 0.5], hd95: [4, 4]),
                       Self.result(.translated, seed: 1, dice: [0.45, 0.45], hd95: [5, 5]),
                       Self.result(.targetReal, seed: 1, dice: [0.5, 0.5], hd95: [4, 4])]
        let s = ValidationSummary(config: config, arms: [.translated, .targetReal], results: results,
                                  testCaseIDs: ["case000", "case001"], translatorCheckpoint: "t.h5", seconds: 1, directory: "/tmp/x")
        // (0.4 + 0.5 + 0.45 + 0.45) / 4 = 0.45 of 0.5: 90%.
        let target = try #require(s.targets.last)
        #expect(target.met == true)
        #expect(target.measured.hasPrefix("90.0%"))
        #expect(s.arms.first?.diceBySeed == [0.45, 0.45])
        // A ceiling that does not segment makes the ratio meaningless: not met, and said why.
        let low = results.map { r -> ValidationJobResult in
            var r = r
            r.cases = r.cases.map { var c = $0; c.dice /= 10; return c }
            return r
        }
        let t2 = try #require(ValidationSummary(config: config, arms: [.translated, .targetReal], results: low, testCaseIDs: ["case000", "case001"],
                                                translatorCheckpoint: nil, seconds: 1, directory: "/tmp/x").targets.last)
        #expect(t2.met == false)
        #expect(t2.measured.contains("not meaningful"))
    }

    @Test func reportHoldsTableVerdictsAndBoxPlots() throws {
        var config = ValidationExperimentConfig()
        config.seeds = [0]
        config.data.cohortSizes = [2]
        let results = [Self.result(.real, seed: 0, dice: [0.5, 0.6], hd95: [10, nil]),
                       Self.result(.augment, seed: 0, dice: [0.55, 0.65], hd95: [9, 7])]
        let s = ValidationSummary(config: config, arms: [.real, .augment], results: results, testCaseIDs: ["case000", "case001"],
                                  translatorCheckpoint: nil, seconds: 75, directory: "/tmp/exp <1>")
        let html = ValidationReport(summary: s, configYAML: "seeds: [0]\n").html()
        #expect(html.contains("<svg"))
        // Learning curves of Dice and HD95, one validation-curve chart per size, one box plot.
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(html.contains("exp &lt;1&gt;"))
        #expect(html.contains("per_case.csv"))
        #expect(html.contains("(b) real + 2 offline augmented copies per case"))
        #expect(html.contains("not met") || html.contains("not measured"))
        #expect(ValidationReport.duration(75) == "1 min 15 s")
    }

    /// Two cohort sizes: each size is compared with (a) at that size, and the p-values are Holm-adjusted across the
    /// sizes of the arm. (c) − (a) at n = 2: six differences all +0.1 … +0.6 (distinct, positive): exact two-sided
    /// p = 2/64 = 0.03125; at n = 4 the same pattern gives the same p. Holm over m = 2: the smaller is doubled
    /// (0.0625), the larger is max(0.0625, 1 · 0.03125) = 0.0625 — neither is significant at 0.05 any more.
    @Test func learningCurveComparesPerSizeWithHolmAdjustment() throws {
        var config = ValidationExperimentConfig()
        config.seeds = [0]
        config.data.cohortSizes = [2, 4]
        let a = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
        let d = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        let hd: [Double?] = [5, 5, 5, 5, 5, 5]
        var results: [ValidationJobResult] = []
        for size in [2, 4] {
            results.append(Self.result(.real, size: size, seed: 0, dice: a, hd95: hd))
            results.append(Self.result(.syntheticLesions, size: size, seed: 0, dice: zip(a, d).map { min(1, $0 + $1 / Double(size)) }, hd95: hd))
        }
        let s = ValidationSummary(config: config, arms: [.real, .syntheticLesions], results: results,
                                  testCaseIDs: (0..<6).map { "case00\($0)" }, translatorCheckpoint: nil, seconds: 1, directory: "/tmp/x")
        #expect(s.arms.map(\.cohortSize) == [2, 4, 2, 4])
        let c2 = try #require(s.arms.first { $0.arm == .syntheticLesions && $0.cohortSize == 2 })
        let c4 = try #require(s.arms.first { $0.arm == .syntheticLesions && $0.cohortSize == 4 })
        #expect(abs(try #require(c2.diceRawPValue) - 0.03125) < 1e-12)
        #expect(abs(try #require(c2.diceComparison?.pValue) - 0.0625) < 1e-12)
        #expect(abs(try #require(c4.diceComparison?.pValue) - 0.0625) < 1e-12)
        #expect(c2.diceComparison?.verdict == .noSignificantDifference)
        #expect(c2.verdict.hasPrefix("n = 2: ") && c2.verdict.contains("Holm"))
        // The gain at n = 2 (mean d / 2 = +17.5 points) is larger than at n = 4 (+8.75): the "shrinks" target is met.
        let shrink = try #require(s.targets.first { $0.goal.contains("shrinks") })
        #expect(shrink.met == true)
        // An arm that loses at the smallest size is not judged: a loss that grows is not a gain that shrinks.
        let losing = results.map { r -> ValidationJobResult in
            guard r.arm == .syntheticLesions else { return r }
            var r = r
            r.cases = r.cases.map { var c = $0; c.dice = max(0, c.dice - (r.cohortSize == 2 ? 0.3 : 0.5)); return c }
            return r
        }
        let lossTarget = try #require(ValidationSummary(config: config, arms: [.real, .syntheticLesions], results: losing,
                                                        testCaseIDs: (0..<6).map { "case00\($0)" }, translatorCheckpoint: nil, seconds: 1,
                                                        directory: "/tmp/x").targets.first { $0.goal.contains("shrinks") })
        #expect(lossTarget.met == nil)
        #expect(abs(c2.diceComparison!.meanDifference - 0.175) < 1e-9 && abs(c4.diceComparison!.meanDifference - 0.0875) < 1e-9)
        // The learning curve's interval is over seeds: one seed, so the bar collapses to the point.
        #expect(c2.diceSeeds.count == 1)
        #expect(abs(c2.meanSteps - 300) < 1e-12 && abs(c2.meanKeptStep - 200) < 1e-12)
    }
}

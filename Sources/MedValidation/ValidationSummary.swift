import Foundation
import MedCore
import MedMetrics

/// One arm's scores over every seed and test case, and its comparison with its baseline arm.
public struct ArmStatistics: Codable, Sendable {
    public var arm: ValidationArm
    public var tag: String
    public var title: String
    /// Training cases per training (real and added).
    public var trainingCases: Int
    /// Dice over all (seed, test case) pairs: mean, SD, median, 95% CI of the mean (Student t).
    public var dice: SampleSummary
    /// The mean Dice of each seed's segmenter, in `seeds` order.
    public var diceBySeed: [Double]
    /// HD95 (mm) over the pairs where it is defined.
    public var hd95MM: SampleSummary
    /// Pairs without HD95 (the prediction or the reference is empty).
    public var hd95Undefined: Int
    /// Mean wall seconds per training.
    public var secondsPerTraining: Double
    /// The arm compared with, by the paired tests.
    public var baseline: ValidationArm?
    /// Dice: this arm − baseline, paired by (seed, test case).
    public var diceComparison: PairedComparison?
    /// HD95: this arm − baseline over pairs where both are defined (lower is better).
    public var hd95Comparison: PairedComparison?
    /// The plain-language verdict.
    public var verdict: String
}

/// A target of the issue, measured.
public struct ValidationTarget: Codable, Sendable {
    public var goal: String
    public var measured: String
    /// nil when the arms it needs did not run.
    public var met: Bool?
}

/// The outcome of `medsynth validate`: `summary.json`.
public struct ValidationSummary: Codable, Sendable {
    public var name: String
    public var directory: String
    public var seeds: [UInt64]
    public var testCases: [String]
    public var arms: [ArmStatistics]
    public var targets: [ValidationTarget]
    public var translatorCheckpoint: String?
    /// Wall seconds of this invocation.
    public var seconds: Double
    /// Every training's result (per test case), in (seed, arm) order.
    public var results: [ValidationJobResult]

    /// Computes the statistics.
    public init(config: ValidationExperimentConfig, arms: [ValidationArm], results: [ValidationJobResult],
                testCaseIDs: [String], translatorCheckpoint: String?, seconds: Double, directory: String) {
        name = URL(fileURLWithPath: directory).lastPathComponent
        self.directory = directory
        seeds = config.seeds
        testCases = testCaseIDs
        self.translatorCheckpoint = translatorCheckpoint
        self.seconds = seconds
        self.results = results
        func pairs(_ arm: ValidationArm) -> [ValidationCaseScore] {
            config.seeds.flatMap { seed in results.first { $0.arm == arm && $0.seed == seed }?.cases ?? [] }
        }
        var statistics: [ArmStatistics] = []
        for arm in arms {
            let scores = pairs(arm)
            let mine = results.filter { $0.arm == arm }
            var s = ArmStatistics(
                arm: arm, tag: arm.tag, title: arm.title(config), trainingCases: mine.first?.trainingCases ?? 0,
                dice: SampleSummary(scores.map(\.dice)),
                diceBySeed: config.seeds.map { seed in
                    let c = mine.first { $0.seed == seed }?.cases ?? []
                    return c.isEmpty ? .nan : c.map(\.dice).reduce(0, +) / Double(c.count)
                },
                hd95MM: SampleSummary(scores.compactMap(\.hd95MM)), hd95Undefined: scores.filter { $0.hd95MM == nil }.count,
                secondsPerTraining: mine.isEmpty ? 0 : mine.map(\.seconds).reduce(0, +) / Double(mine.count),
                baseline: nil, diceComparison: nil, hd95Comparison: nil, verdict: "")
            if let b = arm.baseline, arms.contains(b) {
                let base = pairs(b)
                s.baseline = b
                let dice = PairedComparison(treatment: scores.map { Optional($0.dice) }, baseline: base.map { Optional($0.dice) },
                                            higherIsBetter: true, alpha: config.alpha)
                let hd95 = PairedComparison(treatment: scores.map(\.hd95MM), baseline: base.map(\.hd95MM),
                                            higherIsBetter: false, alpha: config.alpha)
                s.diceComparison = dice
                s.hd95Comparison = hd95
                s.verdict = dice.sentence(metric: "Dice", treatment: arm.tag, baseline: b.tag, unit: " points", scale: 100)
                    + " " + hd95.sentence(metric: "HD95", treatment: arm.tag, baseline: b.tag, unit: " mm", scale: 1)
            } else {
                s.verdict = arm == .real ? "Baseline of (b)–(d)." : "Ceiling of the cross-modality arms."
            }
            statistics.append(s)
        }
        self.arms = statistics
        var targets: [ValidationTarget] = []
        let byArm = Dictionary(statistics.map { ($0.arm, $0) }, uniquingKeysWith: { a, _ in a })
        if let c = byArm[.syntheticLesions], let d = c.diceComparison {
            let points = d.meanDifference * 100
            let p = d.pValue.map { String(format: "%.3g", $0) } ?? "not testable"
            targets.append(ValidationTarget(goal: "(c) improves Dice over (a) by at least 5 points with p < \(config.alpha)",
                                            measured: String(format: "%+.1f points, p = %@", points, p),
                                            met: points >= 5 && (d.pValue ?? 1) < config.alpha))
        } else {
            targets.append(ValidationTarget(goal: "(c) improves Dice over (a) by at least 5 points with p < \(config.alpha)",
                                            measured: "arm (c) did not run", met: nil))
        }
        if let e = byArm[.translated], let ceiling = byArm[.targetReal] {
            let ratio = e.dice.mean / ceiling.dice.mean
            let goal = "(e) reaches at least 80% of the Dice of the segmenter trained on real \(config.arms.crossModality.target)"
            if ceiling.dice.mean < Self.meaningfulCeilingDice {
                // A ratio of two near-zero Dice values says nothing about the translator.
                targets.append(ValidationTarget(goal: goal,
                                                measured: String(format: "not meaningful: the ceiling itself reaches only Dice %.3f (below %.2f); (e) %.3f", ceiling.dice.mean, Self.meaningfulCeilingDice, e.dice.mean),
                                                met: false))
            } else {
                targets.append(ValidationTarget(goal: goal,
                                                measured: String(format: "%.1f%% (Dice %.3f of %.3f)", ratio * 100, e.dice.mean, ceiling.dice.mean),
                                                met: ratio >= 0.8))
            }
        } else {
            targets.append(ValidationTarget(goal: "(e) reaches at least 80% of the real-MR-label Dice", measured: "arm (e) did not run", met: nil))
        }
        self.targets = targets
    }

    /// Below this ceiling Dice the (e) ratio is not judged (0.1).
    public static let meaningfulCeilingDice = 0.1

    /// `per_case.csv`: one row per arm, seed and test case.
    public var perCaseCSV: String {
        var out = "arm,seed,case,dice,hd95_mm,reference_voxels,predicted_voxels\n"
        for r in results {
            for c in r.cases {
                out += "\(r.arm.rawValue),\(r.seed),\(c.caseID),\(c.dice),\(c.hd95MM.map { String($0) } ?? ""),\(c.referenceVoxels),\(c.predictedVoxels)\n"
            }
        }
        return out
    }
}

import Foundation
import MedCore
import MedMetrics

/// One arm's scores at one real-cohort size over every seed and test case, and its comparison with its baseline
/// arm at the same size.
public struct ArmStatistics: Codable, Sendable {
    public var arm: ValidationArm
    public var tag: String
    public var title: String
    /// Real cases in the cohort.
    public var cohortSize: Int
    /// Training cases per training (real and added).
    public var trainingCases: Int
    /// Dice over all (seed, test case) pairs: mean, SD, median, 95% CI of the mean (Student t).
    public var dice: SampleSummary
    /// The mean Dice of each seed's segmenter, in `seeds` order.
    public var diceBySeed: [Double]
    /// The per-seed means summarised (the interval of the learning curve: seeds are the independent repeats).
    public var diceSeeds: SampleSummary
    /// HD95 (mm) over the pairs where it is defined.
    public var hd95MM: SampleSummary
    /// Pairs without HD95 (the prediction or the reference is empty).
    public var hd95Undefined: Int
    /// Mean wall seconds per training.
    public var secondsPerTraining: Double
    /// Mean steps run, and mean step of the weights tested.
    public var meanSteps: Double
    public var meanKeptStep: Double
    /// The arm compared with, by the paired tests, at the same cohort size.
    public var baseline: ValidationArm?
    /// Dice: this arm − baseline, paired by (seed, test case); its p-value is Holm-adjusted across the cohort sizes
    /// of this arm, and its verdict decided on the adjusted value.
    public var diceComparison: PairedComparison?
    /// The unadjusted Wilcoxon p-value of `diceComparison`.
    public var diceRawPValue: Double?
    /// HD95: this arm − baseline over pairs where both are defined (lower is better), Holm-adjusted as Dice.
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
    /// The real-cohort sizes of the learning curve.
    public var cohortSizes: [Int]
    public var testCases: [String]
    /// One entry per arm and cohort size it ran at, in arm order, then size.
    public var arms: [ArmStatistics]
    public var targets: [ValidationTarget]
    public var translatorCheckpoint: String?
    /// Wall seconds of this invocation.
    public var seconds: Double
    /// Every training's result (per test case).
    public var results: [ValidationJobResult]

    /// The arms whose extra data are synthetic (the learning-curve target is about them).
    public static let syntheticArms: [ValidationArm] = [.syntheticLesions, .carveMix, .domainRandomised]
    /// The largest cohort the "scarce data" target looks at.
    public static let scarceCohort = 4
    /// The gain the "scarce data" target asks for, in Dice points.
    public static let targetGainPoints = 5.0

    /// Computes the statistics.
    public init(config: ValidationExperimentConfig, arms: [ValidationArm], results: [ValidationJobResult],
                testCaseIDs: [String], translatorCheckpoint: String?, seconds: Double, directory: String) {
        name = URL(fileURLWithPath: directory).lastPathComponent
        self.directory = directory
        seeds = config.seeds
        cohortSizes = config.data.cohortSizes
        testCases = testCaseIDs
        self.translatorCheckpoint = translatorCheckpoint
        self.seconds = seconds
        self.results = results
        func mine(_ arm: ValidationArm, _ size: Int) -> [ValidationJobResult] {
            results.filter { $0.arm == arm && $0.cohortSize == size }
        }
        func pairs(_ arm: ValidationArm, _ size: Int) -> [ValidationCaseScore] {
            config.seeds.flatMap { seed in results.first { $0.arm == arm && $0.cohortSize == size && $0.seed == seed }?.cases ?? [] }
        }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
        var statistics: [ArmStatistics] = []
        for arm in arms {
            var group: [ArmStatistics] = []
            for size in arm.cohortSizes(config) {
                let scores = pairs(arm, size), jobs = mine(arm, size)
                let bySeed = config.seeds.map { seed in
                    mean(jobs.first { $0.seed == seed }?.cases.map(\.dice) ?? [])
                }
                var s = ArmStatistics(
                    arm: arm, tag: arm.tag, title: arm.title(config), cohortSize: size, trainingCases: jobs.first?.trainingCases ?? 0,
                    dice: SampleSummary(scores.map(\.dice)), diceBySeed: bySeed, diceSeeds: SampleSummary(bySeed.filter(\.isFinite)),
                    hd95MM: SampleSummary(scores.compactMap(\.hd95MM)), hd95Undefined: scores.filter { $0.hd95MM == nil }.count,
                    secondsPerTraining: jobs.isEmpty ? 0 : mean(jobs.map(\.seconds)),
                    meanSteps: mean(jobs.map { Double($0.steps) }), meanKeptStep: mean(jobs.map { Double($0.keptStep) }),
                    baseline: nil, diceComparison: nil, diceRawPValue: nil, hd95Comparison: nil, verdict: "")
                if let b = arm.baseline, arms.contains(b) {
                    let base = pairs(b, size)
                    s.baseline = b
                    if base.count == scores.count {
                        s.diceComparison = PairedComparison(treatment: scores.map { Optional($0.dice) }, baseline: base.map { Optional($0.dice) },
                                                            higherIsBetter: true, alpha: config.alpha)
                        s.diceRawPValue = s.diceComparison?.pValue
                        s.hd95Comparison = PairedComparison(treatment: scores.map(\.hd95MM), baseline: base.map(\.hd95MM),
                                                            higherIsBetter: false, alpha: config.alpha)
                    }
                }
                group.append(s)
            }
            // Holm across the sizes of this arm: the family is "this arm differs from its baseline at some size".
            let dice = HolmCorrection.adjust(group.map { $0.diceComparison?.pValue })
            let hd95 = HolmCorrection.adjust(group.map { $0.hd95Comparison?.pValue })
            for i in group.indices {
                if let p = dice[i] { group[i].diceComparison = group[i].diceComparison?.adjusted(pValue: p) }
                if let p = hd95[i] { group[i].hd95Comparison = group[i].hd95Comparison?.adjusted(pValue: p) }
                let s = group[i]
                if let b = s.baseline, let d = s.diceComparison, let h = s.hd95Comparison {
                    let holm = group.count > 1 ? " (p Holm-adjusted over \(group.count) cohort sizes)" : ""
                    group[i].verdict = "n = \(s.cohortSize): "
                        + d.sentence(metric: "Dice", treatment: arm.tag, baseline: b.tag, unit: " points", scale: 100)
                        + " " + h.sentence(metric: "HD95", treatment: arm.tag, baseline: b.tag, unit: " mm", scale: 1) + holm
                } else if s.baseline != nil {
                    group[i].verdict = "n = \(s.cohortSize): not compared (the baseline's results are incomplete)."
                } else {
                    group[i].verdict = arm == .real ? "Baseline of (b)–(d) and (f)." : "Ceiling of the cross-modality arms."
                }
            }
            statistics += group
        }
        self.arms = statistics
        targets = Self.targets(config: config, statistics: statistics)
    }

    /// The issue's targets, measured.
    static func targets(config: ValidationExperimentConfig, statistics: [ArmStatistics]) -> [ValidationTarget] {
        var targets: [ValidationTarget] = []
        let alpha = config.alpha
        func stat(_ arm: ValidationArm, _ size: Int) -> ArmStatistics? { statistics.first { $0.arm == arm && $0.cohortSize == size } }
        func gain(_ s: ArmStatistics) -> Double { (s.diceComparison?.meanDifference ?? .nan) * 100 }
        func p(_ s: ArmStatistics) -> String { s.diceComparison?.pValue.map { String(format: "%.3g", $0) } ?? "not testable" }

        // 1. At a scarce cohort a synthetic-data arm gains ≥ 5 points, significantly.
        let goal1 = "At a cohort of at most \(scarceCohort) real cases, a synthetic-data arm ((c), (d) or (f)) improves Dice over (a) by at least \(Int(targetGainPoints)) points with Holm-adjusted p < \(alpha)"
        let scarce = config.data.cohortSizes.filter { $0 <= scarceCohort }
        let candidates = scarce.flatMap { size in syntheticArms.compactMap { stat($0, size) } }.filter { $0.diceComparison != nil }
        if scarce.isEmpty {
            targets.append(ValidationTarget(goal: goal1, measured: "no cohort of at most \(scarceCohort) cases in data.cohortSizes", met: nil))
        } else if candidates.isEmpty {
            targets.append(ValidationTarget(goal: goal1, measured: "no synthetic-data arm ran", met: nil))
        } else {
            let measured = candidates.map { s in String(format: "%@ at n = %d: %+.1f points, p = %@", s.tag, s.cohortSize, gain(s), p(s)) }
            let met = candidates.contains { gain($0) >= targetGainPoints && $0.diceComparison?.verdict == .better }
            targets.append(ValidationTarget(goal: goal1, measured: measured.joined(separator: "; "), met: met))
        }
        // 2. The gain shrinks as the cohort grows.
        let goal2 = "The synthetic-data arms' gain over (a) shrinks as the real cohort grows (smallest vs largest cohort; arms that gain at the smallest)"
        if let small = config.data.cohortSizes.first, let large = config.data.cohortSizes.last, small < large {
            // (measured text, gains at the smallest size, shrinks) per arm; an arm that loses at the smallest size
            // has no gain to shrink and is listed but not judged.
            let rows = syntheticArms.compactMap { arm -> (String, Bool, Bool)? in
                guard let a = stat(arm, small), let b = stat(arm, large), a.diceComparison != nil, b.diceComparison != nil else { return nil }
                return (String(format: "%@ %+.1f points at n = %d, %+.1f at n = %d", arm.tag, gain(a), small, gain(b), large),
                        gain(a) > 0, gain(b) < gain(a))
            }
            let judged = rows.filter(\.1)
            targets.append(ValidationTarget(goal: goal2, measured: rows.isEmpty ? "no synthetic-data arm ran" : rows.map(\.0).joined(separator: "; "),
                                            met: judged.isEmpty ? nil : judged.allSatisfy(\.2)))
        } else {
            targets.append(ValidationTarget(goal: goal2, measured: "one cohort size only", met: nil))
        }
        // 3. Offline augmentation no longer hurts.
        let goal3 = "Offline augmented copies (b) are not significantly worse than (a) at any cohort size"
        let b = statistics.filter { $0.arm == .augment && $0.diceComparison != nil }
        if b.isEmpty {
            targets.append(ValidationTarget(goal: goal3, measured: "arm (b) did not run", met: nil))
        } else {
            targets.append(ValidationTarget(goal: goal3, measured: b.map { String(format: "n = %d: %+.1f points, p = %@", $0.cohortSize, gain($0), p($0)) }.joined(separator: "; "),
                                            met: !b.contains { $0.diceComparison?.verdict == .worse }))
        }
        // 4. The translated arm against the real-target ceiling.
        let size = config.crossModalityCohortSize
        let goal4 = "(e) reaches at least 80% of the Dice of the segmenter trained on real \(config.arms.crossModality.target) (n = \(size))"
        if let e = stat(.translated, size), let ceiling = stat(.targetReal, size) {
            let ratio = e.dice.mean / ceiling.dice.mean
            if ceiling.dice.mean < meaningfulCeilingDice {
                // A ratio of two near-zero Dice values says nothing about the translator.
                targets.append(ValidationTarget(goal: goal4,
                                                measured: String(format: "not meaningful: the ceiling itself reaches only Dice %.3f (below %.2f); (e) %.3f", ceiling.dice.mean, meaningfulCeilingDice, e.dice.mean),
                                                met: false))
            } else {
                targets.append(ValidationTarget(goal: goal4,
                                                measured: String(format: "%.1f%% (Dice %.3f of %.3f)", ratio * 100, e.dice.mean, ceiling.dice.mean),
                                                met: ratio >= 0.8))
            }
        } else {
            targets.append(ValidationTarget(goal: goal4, measured: "arm (e) did not run", met: nil))
        }
        return targets
    }

    /// Below this ceiling Dice the (e) ratio is not judged (0.1).
    public static let meaningfulCeilingDice = 0.1

    /// `per_case.csv`: one row per arm, cohort size, seed and test case.
    public var perCaseCSV: String {
        var out = "arm,cohort_size,seed,case,dice,hd95_mm,reference_voxels,predicted_voxels\n"
        for r in results {
            for c in r.cases {
                out += "\(r.arm.rawValue),\(r.cohortSize),\(r.seed),\(c.caseID),\(c.dice),\(c.hd95MM.map { String($0) } ?? ""),\(c.referenceVoxels),\(c.predictedVoxels)\n"
            }
        }
        return out
    }
}

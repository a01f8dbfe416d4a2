import Foundation
import MedReporting
import MedCore
import MedMetrics
import MedTraining

/// The experiment's outputs: `summary.json` (`ValidationSummary`), `per_case.csv` and `report.html` — led by the
/// learning curve (Dice against real-cohort size per arm, 95% intervals), then the targets, the table of arms and
/// sizes (mean ± SD and 95% CI of Dice and HD95, the paired difference to the baseline arm with its Holm-adjusted
/// Wilcoxon signed-rank p-value), a verdict per arm and size, the validation curves of every training, box plots
/// as inline SVG, and the exact configuration.
/// The page needs no server and no scripts.
public struct ValidationReport {
    public var summary: ValidationSummary
    public var configYAML: String
    /// A line shown above everything (the interim report says what it covers).
    public var note: String? = nil

    public init(summary: ValidationSummary, configYAML: String) {
        self.summary = summary
        self.configYAML = configYAML
    }

    /// Writes the three files into `directory` (each atomically).
    public func write(to directory: URL) throws {
        try RunFiles.writeAtomically(summary.perCaseCSV, to: directory.appendingPathComponent("per_case.csv"))
        try RunFiles.writeAtomically(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self) + "\n",
                                     to: directory.appendingPathComponent("summary.json"))
        try RunFiles.writeAtomically(html(), to: directory.appendingPathComponent("report.html"))
    }

    /// "1 h 05 min", "3 min 20 s", "12 s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return "\(s) s"
    }

    static func escape(_ text: String) -> String { SVGLineChart.escape(text) }

    static func number(_ v: Double, _ digits: Int = 3) -> String {
        v.isFinite ? String(format: "%.\(digits)f", v) : "–"
    }

    /// "0.612 ± 0.210 [0.552, 0.672]"
    static func meanSD(_ s: SampleSummary, scale: Double = 1, digits: Int = 3) -> String {
        guard s.count > 0 else { return "–" }
        var text = number(s.mean * scale, digits)
        if s.count >= 2 { text += " ± \(number(s.std * scale, digits))" }
        return text
    }

    static func interval(_ s: SampleSummary, scale: Double = 1, digits: Int = 3) -> String {
        s.count >= 2 ? "[\(number(s.ciLower * scale, digits)), \(number(s.ciUpper * scale, digits))]" : "–"
    }

    static func difference(_ c: PairedComparison?, scale: Double, digits: Int) -> String {
        guard let c, c.count > 0 else { return "–" }
        var text = String(format: "%+.\(digits)f", c.meanDifference * scale)
        if let d = c.difference, d.count >= 2 {
            text += String(format: " [%+.\(digits)f, %+.\(digits)f]", d.ciLower * scale, d.ciUpper * scale)
        }
        return text
    }

    static func pValue(_ c: PairedComparison?) -> String {
        guard let p = c?.pValue else { return "–" }
        return p < 1e-4 ? "&lt; 0.0001" : String(format: "%.2g", p)
    }

    /// The learning curve: mean Dice (or HD95) per cohort size, one series per arm that runs at several sizes,
    /// with the 95% interval of the per-seed means (seeds are the independent repeats).
    func learningCurve(hd95: Bool) -> String {
        Self.learningCurve(arms: summary.arms, cohortSizes: summary.cohortSizes, hd95: hd95)
    }

    /// `learningCurve(hd95:)` for any arm statistics (the demo's report draws it too).
    static func learningCurve(arms: [ArmStatistics], cohortSizes: [Int], hd95: Bool) -> String {
        let curveArms = arms.map(\.arm).reduce(into: [ValidationArm]()) { if !$0.contains($1) { $0.append($1) } }
            .filter { arm in arms.filter { $0.arm == arm }.count > 1 || cohortSizes.count == 1 }
        let series = curveArms.map { arm -> SVGLineChart.Series in
            let rows = arms.filter { $0.arm == arm }
            if hd95 {
                return SVGLineChart.Series(name: arm.tag, points: rows.map { (Double($0.cohortSize), $0.hd95MM.count > 0 ? $0.hd95MM.mean : .nan) })
            }
            return SVGLineChart.Series(name: arm.tag, points: rows.map { (Double($0.cohortSize), $0.diceSeeds.mean) },
                                       intervals: rows.map { $0.diceSeeds.count >= 2 ? ($0.diceSeeds.ciLower, $0.diceSeeds.ciUpper) : ($0.diceSeeds.mean, $0.diceSeeds.mean) })
        }
        var chart = SVGLineChart(title: hd95 ? "Learning curve: lesion HD95 (mm, where defined) against real cases"
                                             : "Learning curve: lesion Dice (mean of seeds, 95% CI) against real cases",
                                 xLabel: "real labelled cases in training", yLabel: hd95 ? "HD95 (mm)" : "Dice", series: series)
        chart.logarithmicX = true
        chart.markers = true
        chart.width = 760
        chart.height = 340
        if !hd95 { chart.yRange = 0...1 }
        return chart.render()
    }

    /// Each arm's validation Dice against the step at one cohort size, averaged over the seeds that ran that step.
    func validationCurves(size: Int) -> String {
        let s = summary
        let arms = s.arms.filter { $0.cohortSize == size }.map(\.arm)
        let series = arms.map { arm -> SVGLineChart.Series in
            let curves = s.results.filter { $0.arm == arm && $0.cohortSize == size }.map(\.validationCurve)
            let steps = Set(curves.flatMap { $0.map(\.step) }).sorted()
            return SVGLineChart.Series(name: arm.tag, points: steps.map { step in
                let values = curves.compactMap { $0.first { $0.step == step }?.dice }
                return (Double(step), values.reduce(0, +) / Double(values.count))
            })
        }
        var chart = SVGLineChart(title: "Validation Dice during training, \(size) real cases (mean over seeds still training)",
                                 xLabel: "step", yLabel: "validation Dice", series: series)
        chart.yRange = 0...1
        return chart.render()
    }

    /// The page.
    public func html() -> String {
        let s = summary
        let e = Self.escape
        let sizes = s.cohortSizes.map(String.init).joined(separator: ", ")
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>MedSynth validation \(e(s.name))</title>
        <style>
        body { font-family: sans-serif; margin: 2em; max-width: 1100px; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        td.verdict { text-align: left; max-width: 620px; }
        .met { color: #006400; font-weight: bold; } .missed { color: #b00000; font-weight: bold; }
        pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
        </style></head><body>
        <h1>Does synthetic data improve a lesion segmenter, and when?</h1>
        \(note.map { "<p><b>\(e($0))</b></p>" } ?? "")
        \(learningCurve(hd95: false))
        <p>Experiment <b>\(e(s.name))</b>: \(Set(s.arms.map(\.arm)).count) arms at real-cohort sizes \(sizes) × \(s.seeds.count) seeds
        (\(s.seeds.map(String.init).joined(separator: ", "))), each segmenter tested on the same \(s.testCases.count) held-out phantom cases;
        \(s.results.count) trainings. Everything but the training data is fixed across arms. The curve's points are the mean of the
        per-seed mean Dice, its bars the 95% interval of those \(s.seeds.count) means. The table's statistics are over the
        \(s.seeds.count) × \(s.testCases.count) (seed, test case) pairs; the paired test is the Wilcoxon signed-rank test (two-sided,
        scipy's defaults) on the differences to the baseline arm at the same cohort size, pair by pair, and its p-values are
        Holm-adjusted across the cohort sizes of each arm. The pairs are not independent (each test case appears once per seed),
        so even adjusted p-values are optimistic; the per-seed means are listed for that reason.
        Files: <a href="per_case.csv">per_case.csv</a>, <a href="summary.json">summary.json</a>, <a href="config.yaml">config.yaml</a>.</p>
        <h2>Targets</h2><ul>
        """
        for t in s.targets {
            let state = t.met.map { $0 ? "<span class=\"met\">met</span>" : "<span class=\"missed\">not met</span>" } ?? "not measured"
            h += "<li>\(e(t.goal)): \(e(t.measured)) — \(state)</li>\n"
        }
        h += "</ul>\n<h2>Arms</h2>\n<table><tr><th>arm</th><th>real cases</th><th>training cases</th><th>Dice mean ± SD</th><th>Dice 95% CI</th>"
            + "<th>Δ Dice vs baseline (points) [95% CI]</th><th>p (Dice, Holm)</th><th>HD95 mm mean ± SD</th>"
            + "<th>HD95 undefined</th><th>Δ HD95 mm</th><th>p (HD95, Holm)</th><th>steps run / kept</th><th>s / training</th></tr>\n"
        for a in s.arms {
            h += "<tr><td>\(e(a.title))</td><td>\(a.cohortSize)</td><td>\(a.trainingCases)</td><td>\(Self.meanSD(a.dice))</td><td>\(Self.interval(a.dice))</td>"
                + "<td>\(Self.difference(a.diceComparison, scale: 100, digits: 1))\(a.baseline.map { " vs \($0.tag)" } ?? "")</td>"
                + "<td>\(Self.pValue(a.diceComparison))</td><td>\(Self.meanSD(a.hd95MM, digits: 1))</td>"
                + "<td>\(a.hd95Undefined)</td>"
                + "<td>\(Self.difference(a.hd95Comparison, scale: 1, digits: 1))</td><td>\(Self.pValue(a.hd95Comparison))</td>"
                + "<td>\(Self.number(a.meanSteps, 0)) / \(Self.number(a.meanKeptStep, 0))</td>"
                + "<td>\(Self.number(a.secondsPerTraining, 0))</td></tr>\n"
        }
        h += "</table>\n<h2>Verdicts</h2>\n<table><tr><th>arm</th><th>verdict</th></tr>\n"
        for a in s.arms { h += "<tr><td>\(e(a.tag))</td><td class=\"verdict\">\(e(a.verdict))</td></tr>\n" }
        h += "</table>\n<h2>HD95</h2>\n" + learningCurve(hd95: true) + "\n"
        h += "<h2>Training to convergence</h2>\n<p>Each training is validated on held-out real cases; the weights of the best validation Dice are the ones tested. A flat or falling end of each curve shows that a \"no gain\" is not under-fitting.</p>\n"
        for size in Set(s.arms.map(\.cohortSize)).sorted() { h += validationCurves(size: size) + "\n" }
        h += "<h2>Distributions at \(s.cohortSizes.first.map(String.init) ?? "?") real cases</h2>\n"
        let smallest = s.cohortSizes.first ?? 0
        h += SVGBoxPlot(title: "Lesion Dice per (seed, test case), \(smallest) real cases", yLabel: "Dice",
                        groups: s.arms.filter { $0.cohortSize == smallest }.map { a in SVGBoxPlot.Group(label: a.tag, values: pairs(a.arm, a.cohortSize).map(\.dice)) },
                        yRange: 0...1).render()
        h += "\n<h2>Mean Dice per seed</h2>\n<table><tr><th>arm</th><th>real cases</th>" + s.seeds.map { "<th>seed \($0)</th>" }.joined() + "</tr>\n"
        for a in s.arms {
            h += "<tr><td>\(e(a.tag))</td><td>\(a.cohortSize)</td>" + a.diceBySeed.map { "<td>\(Self.number($0))</td>" }.joined() + "</tr>\n"
        }
        h += "</table>\n"
        if let t = s.translatorCheckpoint { h += "<p>Translator of the cross-modality arms: <code>\(e(t))</code>.</p>\n" }
        h += "<h2>Configuration</h2>\n<pre>\(e(configYAML))</pre>\n"
        h += "<p>MedSynth \(e(MedSynthVersion.string)); this invocation took \(Self.duration(s.seconds)).</p>\n</body></html>\n"
        return h
    }

    private func pairs(_ arm: ValidationArm, _ size: Int) -> [ValidationCaseScore] {
        summary.seeds.flatMap { seed in summary.results.first { $0.arm == arm && $0.cohortSize == size && $0.seed == seed }?.cases ?? [] }
    }
}

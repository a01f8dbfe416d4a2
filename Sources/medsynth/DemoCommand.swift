import ArgumentParser
import Foundation
import MedCore
import MedTraining
import MedValidation

/// `medsynth demo`: the main job — the whole tool end to end on the built-in phantom (`EndToEndDemo`).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run MedSynth end to end on the built-in phantom: data → translator → translation → validation → report.",
        discussion: """
        1. phantom cases with lesions and augmented copies in HDF5 (OUT/data/);
        2. a short CT → MR translator (OUT/translator/, a medsynth train run);
        3. held-out cases translated and scored by PSNR / SSIM / MAE inside the head (OUT/translation/);
        4. a reduced validation experiment (OUT/validation/, a medsynth validate run);
        5. OUT/report.html, which links everything, and OUT/summary.json.

        About 11–12 minutes on 2 cores; --quick shrinks every stage (under 2 minutes) for tests. Running it again resumes what a stopped run (Ctrl-C) left. For sample files only, see medsynth sample.

        Examples:
          medsynth demo
          medsynth demo --quick --out Outputs/demo-quick
        """
    )

    @Flag(help: "Shrink every stage (tiny grid, few steps): under 2 minutes, for tests.")
    var quick = false

    @Option(help: "Output folder (default: Outputs/demo, or Outputs/demo-quick with --quick).")
    var out: String?

    @Option(help: "Trainings of the validation stage that run at once (default: the machine's cores).")
    var jobs: Int?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be 1…64, got \(jobs)") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: out ?? (quick ? "Outputs/demo-quick" : "Outputs/demo"))
        let demo = try EndToEndDemo(settings: quick ? .quick : DemoSettings(), directory: folder,
                                    workers: jobs ?? Parallel.workerCount,
                                    log: logLine)
        let summary = try TrainingInterrupt.running(stoppedMessage: "demo: stopped; run the same command again to continue") {
            try demo.run(shouldStop: $0)
        }
        if json {
            print(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self))
            return
        }
        let t = summary.translation
        let mean = { (f: (DemoTranslationScore) -> Double) in t.map(f).reduce(0, +) / Double(max(1, t.count)) }
        print(String(format: "translation of %d held-out cases: PSNR %.2f dB, SSIM %.3f, MAE %.1f %@ (means inside the head)",
                     t.count, mean(\.psnrDB), mean(\.ssim), mean(\.mae), t.first?.unit ?? ""))
        for a in summary.validationArms {
            print(String(format: "validation %@ n=%d: Dice %.3f ± %.3f", a.tag, a.cohortSize, a.dice.mean, a.dice.std))
        }
        print("medsynth demo: done in \(ValidationReport.duration(summary.seconds)); open \(folder.appendingPathComponent("report.html").path)")
    }
}

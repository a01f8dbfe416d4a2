import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedTraining
import MedValidation

/// `medsynth validate`: the validation experiment (`ValidationExperiment`).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Measure whether synthetic data improves a lesion segmenter: a learning curve (arms × real-cohort sizes × seeds, paired statistics).",
        discussion: """
        Trains one U-Net segmenter per arm and seed on the built-in phantom and tests each on the same held-out cases: (a) a few real labelled cases; (b) + augmentation; (c) + healthy cases with synthetic lesions; (d) + CarveMix transplants; (e) an MR segmenter trained on CT translated to MR, against one trained on CT directly (the domain gap) and one trained on real MR (the ceiling). OUTPUTS/NAME/ gets report.html (table, box plots, verdicts), summary.json, per_case.csv, the datasets under data/ and one result per training under results/. Ctrl-C stops after saving what finished; --resume continues. Trainings run side by side, one per core (--jobs), and their numbers do not depend on how many run at once.

        --quick runs a reduced experiment (2 seeds, 3 real and 3 test cases of 16×64×64, 40 steps, a 30-step translator) in about a minute: for tests and CI, not for conclusions.

        Examples:
          medsynth validate --config Configs/validate-lesions.yaml
          medsynth validate --config Configs/validate-lesions.yaml --quick --name validate-quick
          medsynth validate --name validate-lesions --resume
        """
    )

    @OptionGroup var options: RunOptions

    @Flag(help: "A reduced experiment for tests and CI (applied before --set).")
    var quick = false

    @Option(help: "Trainings that run at once, each on one core (default: the machine's cores).")
    var jobs: Int?

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be 1…64, got \(jobs)") }
    }

    func run() throws {
        let (directory, configPath, all) = try options.resolved(example: "validate-lesions", stepsKey: "segmenter.training.steps")
        let overrides = (quick ? ValidationExperimentConfig.quickOverrides : []) + all
        let resolved = try ConfigLoader.load(ValidationExperimentConfig.self, file: configPath, overrides: overrides)
        let experiment = try ValidationExperiment(configuration: resolved, directory: directory, resume: options.resume,
                                                  workers: jobs ?? Parallel.workerCount,
                                                  log: logLine)
        logLine("validate: \(experiment.arms.count) arms × real cohorts of \(resolved.value.data.cohortSizes.map(String.init).joined(separator: ", ")) × \(resolved.value.seeds.count) seeds (\(experiment.jobs.count) trainings); run folder \(directory.path)")
        let summary = try TrainingInterrupt.running(stoppedMessage: "validate: stopped; finished trainings are kept — continue with --name \(experiment.name) --resume") {
            try experiment.run(shouldStop: $0)
        }
        if options.json {
            print(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self))
            return
        }
        for a in summary.arms {
            let tag = "\(a.tag) n=\(a.cohortSize)".padding(toLength: max(18, a.tag.count + 6), withPad: " ", startingAt: 0)
            let hd95 = a.hd95MM.count > 0 ? String(format: "%.1f mm", a.hd95MM.mean) : "–"
            print("\(tag) Dice \(String(format: "%.3f ± %.3f", a.dice.mean, a.dice.std))  HD95 \(hd95)  \(a.verdict)")
        }
        for t in summary.targets {
            print("target: \(t.goal): \(t.measured) — \(t.met.map { $0 ? "met" : "not met" } ?? "not measured")")
        }
        print("medsynth validate: \(summary.name), \(summary.results.count) trainings in \(ValidationReport.duration(summary.seconds)); report \(directory.appendingPathComponent("report.html").path)")
    }
}

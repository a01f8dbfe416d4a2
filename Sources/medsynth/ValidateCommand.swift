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
        A learning curve on the built-in phantom: trains one U-Net lesion segmenter per arm, real-cohort size (data.cohortSizes, default 2, 4, 8, 16) and seed, each until its Dice on held-out real validation cases stops improving (the best weights are tested), and tests each on the same held-out cases. Arms: (a) the real labelled cases; (b) + offline augmented copies; (b2) on-the-fly augmentation of every patch; (c) + healthy cases with synthetic lesions; (d) + CarveMix transplants; (f) + domain-randomised copies; (e) an MR segmenter trained on CT translated to MR, against one trained on CT directly (the domain gap) and one trained on real MR (the ceiling). Arms that add cases draw segmenter.training.realFraction of every batch from the real cases. OUTPUTS/NAME/ gets report.html (the learning curve, table, validation curves, verdicts per size with Holm-adjusted p-values), summary.json, per_case.csv, the datasets under data/ and one result per training under results/. Ctrl-C stops after saving what finished; --resume continues; --interim-report writes interim/report.html from the sizes already complete, also while the experiment runs. Trainings run side by side, one per core (--jobs), and their numbers do not depend on how many run at once.

        --quick runs a reduced experiment (2 seeds, cohorts of 2 and 3 real cases and 3 test cases of 16×64×64, at most 40 steps, a 30-step translator) in about a minute: for tests and CI, not for conclusions.

        Examples:
          medsynth validate --config Configs/validate-lesions.yaml
          medsynth validate --config Configs/validate-lesions.yaml --quick --name validate-quick
          medsynth validate --name validate-lesions --resume
          medsynth validate --name validate-lesions --interim-report
        """
    )

    @OptionGroup var options: RunOptions

    @Flag(help: "A reduced experiment for tests and CI (applied before --set).")
    var quick = false

    @Option(help: "Trainings that run at once, each on one core (default: the machine's cores).")
    var jobs: Int?

    @Flag(help: "Write RUN/interim/report.html from the cohort sizes whose trainings have all finished, and train nothing; allowed while the experiment runs (with --name; the configuration is the run's own config.yaml).")
    var interimReport = false

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be 1…64, got \(jobs)") }
    }

    func run() throws {
        if interimReport { return try writeInterim() }
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
        printSummary(summary)
        print("medsynth validate: \(summary.name), \(summary.results.count) trainings in \(ValidationReport.duration(summary.seconds)); report \(directory.appendingPathComponent("report.html").path)")
    }

    /// `--interim-report`: the report of the finished cohort sizes of a run, from its own configuration.
    func writeInterim() throws {
        guard let name = options.name, options.config == nil, !quick, options.overrides.isEmpty, options.steps == nil else {
            throw MedSynthError(.invalidArgument, "--interim-report", "needs --name RUN (and --outputs when not Outputs) and no --config, --set, --steps or --quick: it reports the run as its config.yaml says")
        }
        let directory = URL(fileURLWithPath: options.outputs).appendingPathComponent(name)
        let configFile = directory.appendingPathComponent("config.yaml")
        guard FileManager.default.fileExists(atPath: configFile.path) else {
            throw MedSynthError(.notFound, configFile.path, "does not exist; expected a run folder of medsynth validate")
        }
        let resolved = try ConfigLoader.load(ValidationExperimentConfig.self, file: configFile.path)
        let (summary, finished, total) = try ValidationExperiment.writeInterimReport(configuration: resolved, directory: directory)
        guard let summary else {
            print("validate: \(finished) of \(total) trainings finished; no cohort size is complete yet, so there is no interim report")
            return
        }
        if options.json {
            print(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self))
            return
        }
        print("validate: interim report of cohort sizes \(summary.cohortSizes.map(String.init).joined(separator: ", ")) (\(finished) of \(total) trainings finished): \(directory.appendingPathComponent("interim/report.html").path)")
        printSummary(summary)
    }

    /// The arms, verdicts and targets, one line each.
    func printSummary(_ summary: ValidationSummary) {
        for a in summary.arms {
            let tag = "\(a.tag) n=\(a.cohortSize)".padding(toLength: max(18, a.tag.count + 6), withPad: " ", startingAt: 0)
            let hd95 = a.hd95MM.count > 0 ? String(format: "%.1f mm", a.hd95MM.mean) : "–"
            print("\(tag) Dice \(String(format: "%.3f ± %.3f", a.dice.mean, a.dice.std))  HD95 \(hd95)  \(a.verdict)")
        }
        for t in summary.targets {
            print("target: \(t.goal): \(t.measured) — \(t.met.map { $0 ? "met" : "not met" } ?? "not measured")")
        }
    }
}

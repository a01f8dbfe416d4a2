import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedTraining
import Synchronization

/// Set by the first Ctrl-C (SIGINT) or SIGTERM; the training loop polls it after every step.
let trainingInterrupted = Atomic<Bool>(false)

/// `medsynth train`: trains a translator from a YAML configuration into `Outputs/<name>/`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a translator (CycleGAN, pix2pix, conditional GAN) from a YAML configuration.",
        discussion: """
        The configuration's `model` (cyclegan, pix2pix, cgan) picks the trainer; every other setting has a
        default (docs/TRAINING.md lists them). Without `data.files` the run uses the built-in phantom, generated
        once under OUTPUTS/datasets/. The run folder OUTPUTS/NAME/ gets config.yaml (resolved, non-defaults
        listed), losses.csv, validation.csv (PSNR / SSIM / MAE in physical units on held-out cases),
        checkpoints/{latest,best,step-N}.h5, samples/step-N.png and report.html.

        Ctrl-C saves checkpoints/latest.h5 and stops; `--resume` continues exactly where it stopped (same
        weights at the end as an uninterrupted run). A NaN or infinite loss stops the run and keeps the last
        good checkpoint.

        Examples:
          medsynth train --config Configs/cyclegan-ct2t1.yaml
          medsynth train --config Configs/pix2pix-ct2t1.yaml --name p2p-short --steps 200
          medsynth train --name cyclegan-ct2t1 --resume
          medsynth train --config Configs/cgan-ct2pet.yaml --set network.lambdaL1=50 --set seed=3
        """
    )

    @Option(help: "The run configuration (YAML). With --resume, defaults to the run's own config.yaml.")
    var config: String?

    @Option(help: "The run's name: its folder under --outputs (default: the config file's name).")
    var name: String?

    @Option(help: "Shorthand for --set training.steps=N.")
    var steps: Int?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a setting: dotted.key=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(help: "Continue the run from its checkpoints/latest.h5.")
    var resume = false

    @Option(help: "The folder that holds runs and cached datasets.")
    var outputs: String = "Outputs"

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        if config == nil && !resume { throw ValidationError("give --config FILE (or --name RUN --resume to continue a run)") }
        if resume && name == nil && config == nil { throw ValidationError("--resume needs --name RUN (or the --config it was started with)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    func run() throws {
        let runName = name ?? URL(fileURLWithPath: config!).deletingPathExtension().lastPathComponent
        guard !runName.isEmpty, !runName.contains("/"), runName != ".", runName != ".." else {
            throw MedSynthError(.invalidArgument, "--name", "'\(runName)' is not a folder name; expected a plain name like cyclegan-ct2t1")
        }
        let directory = URL(fileURLWithPath: outputs).appendingPathComponent(runName)
        let configPath = config ?? directory.appendingPathComponent("config.yaml").path
        var all = overrides
        if let steps { all.append("training.steps=\(steps)") }
        let kind = try TranslationModelKind.of(configFile: configPath, overrides: all)
        switch kind {
        case .cyclegan: try train(CycleGANOptions.self, configPath: configPath, overrides: all, directory: directory)
        case .pix2pix: try train(Pix2PixOptions.self, configPath: configPath, overrides: all, directory: directory)
        case .cgan: try train(ConditionalGANOptions.self, configPath: configPath, overrides: all, directory: directory)
        }
    }

    private func train<N: TranslatorOptions>(_: N.Type, configPath: String, overrides: [String], directory: URL) throws {
        let resolved = try ConfigLoader.load(TranslationRunConfig<N>.self, file: configPath, overrides: overrides)
        let files = try BuiltInPhantomData.resolve(files: resolved.value.data.files, phantom: resolved.value.data.phantom, outputs: outputs)
        let progress = TrainingProgressDisplay()
        progress.message("train: loading data and building the \(N.kind.rawValue) networks")
        let run = try TranslationRun<N>(configuration: resolved, files: files, directory: directory, resume: resume)
        if resume { progress.message("train: resuming \(directory.path) at step \(run.step) of \(resolved.value.training.steps)") }
        progress.message("train: \(run.dataset.trainingCases.count) training cases (\(run.dataset.trainingSliceCountA) slices), \(run.dataset.validationCases.count) held-out cases (\(run.dataset.validationSliceCount) slices); run folder \(directory.path)")

        // A parent may have started us with these signals blocked (the mask is inherited); unblock them here.
        var handled = sigset_t()
        sigemptyset(&handled)
        sigaddset(&handled, SIGINT)
        sigaddset(&handled, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        signal(SIGINT) { _ in
            trainingInterrupted.store(true, ordering: .relaxed)
            signal(SIGINT, SIG_DFL)   // a second Ctrl-C ends the process at once (checkpoint writes are atomic)
        }
        signal(SIGTERM) { _ in trainingInterrupted.store(true, ordering: .relaxed) }
        let summary: TrainingSummary
        do {
            defer { progress.finish() }
            summary = try run.run(progress: { progress.update($0, logEvery: resolved.value.training.logEvery) },
                                  shouldStop: { trainingInterrupted.load(ordering: .relaxed) })
        }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        if json {
            print(try PrettyJSON.string(summary))
        } else {
            var line = "medsynth train: \(summary.name) \(summary.model) \(summary.direction), step \(summary.steps)/\(summary.totalSteps)"
            if summary.interrupted { line += " (interrupted; continue with --name \(summary.name) --resume)" }
            line += String(format: " in %.0f s (%.2f steps/s)", summary.seconds, summary.stepsPerSecond)
            if let b = summary.best {
                line += String(format: "; best step %d: SSIM %.4f, PSNR %.2f dB, MAE %.2f %@", b.step, b.ssim, b.psnrDB, b.mae, b.unit)
            }
            line += "; report \(summary.report)"
            print(line)
        }
        if summary.interrupted { throw ExitCode(130) }
    }
}

/// The training progress line on stderr: redrawn on a terminal (bar, step, losses, steps/s, time left), plain
/// lines every `logEvery` steps and at each validation otherwise.
final class TrainingProgressDisplay {
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var drewLine = false

    func message(_ text: String) {
        clear()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func update(_ p: TrainingProgress, logEvery: Int) {
        let losses = p.losses.map { String(format: "%@ %.3f", $0.name, $0.value) }.joined(separator: "  ")
        let rate = String(format: "%.2f steps/s", p.stepsPerSecond)
        let left = ProgressReporter.duration(p.secondsLeft)
        if isTerminal {
            let width = 20
            let filled = p.totalSteps > 0 ? width * p.step / p.totalSteps : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let phase = p.phase == .training ? "" : "  [\(p.phase.rawValue)]"
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(p.step)/\(p.totalSteps)  \(losses)  \(rate)  \(left) left\(phase)".utf8))
            drewLine = true
        } else if p.phase == .validating || (p.phase == .training && (p.step % logEvery == 0 || p.step == p.totalSteps)) {
            let what = p.phase == .validating ? "validating at step \(p.step)" : "step \(p.step)/\(p.totalSteps)  \(losses)  \(rate), about \(left) left"
            FileHandle.standardError.write(Data("train: \(what)\n".utf8))
        }
    }

    func finish() { clear() }

    private func clear() {
        if isTerminal && drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
        drewLine = false
    }
}

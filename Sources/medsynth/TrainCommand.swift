import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedTraining

/// `medsynth train`: trains a translator from a YAML configuration into `Outputs/<name>/`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a translator (CycleGAN, pix2pix, conditional GAN, U-Net regression) from a YAML configuration.",
        discussion: """
        The configuration's `model` (cyclegan, pix2pix, cgan, regression) picks the trainer; every other setting has a default (docs/TRAINING.md lists them). Without `data.files` the run uses the built-in phantom, generated once under OUTPUTS/datasets/. The run folder OUTPUTS/NAME/ gets config.yaml (resolved, non-defaults listed), losses.csv, validation.csv (PSNR / SSIM / MAE in physical units on held-out cases), checkpoints/{latest,best,step-N}.h5, samples/step-N.png and report.html.

        Ctrl-C saves checkpoints/latest.h5 and stops; `--resume` continues exactly where it stopped (same weights at the end as an uninterrupted run). A NaN or infinite loss stops the run and keeps the last good checkpoint.

        Examples:
          medsynth train --config Configs/cyclegan-ct2t1.yaml
          medsynth train --config Configs/pix2pix-ct2t1.yaml --name p2p-short --steps 200
          medsynth train --name cyclegan-ct2t1 --resume
          medsynth train --config Configs/cgan-ct2pet.yaml --set network.lambdaL1=50 --set seed=3
          medsynth train --config Configs/regression-ct2flair.yaml
        """
    )

    @OptionGroup var options: RunOptions

    func run() throws {
        let (directory, configPath, all) = try options.resolved(example: "cyclegan-ct2t1")
        let kind = try TranslationModelKind.of(configFile: configPath, overrides: all)
        try train(kind.optionsType, configPath: configPath, overrides: all, directory: directory)
    }

    private func train<N: TranslatorOptions>(_: N.Type, configPath: String, overrides: [String], directory: URL) throws {
        let resolved = try ConfigLoader.load(TranslationRunConfig<N>.self, file: configPath, overrides: overrides)
        let files = try BuiltInPhantomData.resolve(files: resolved.value.data.files, phantom: resolved.value.data.phantom, outputs: options.outputs)
        let progress = TrainingProgressDisplay()
        progress.message("train: loading data and building the \(N.kind.rawValue) networks")
        let run = try TranslationRun<N>(configuration: resolved, files: files, directory: directory, resume: options.resume)
        if options.resume { progress.message("train: resuming \(directory.path) at step \(run.step) of \(resolved.value.training.steps)") }
        progress.message("train: \(run.dataset.trainingCases.count) training cases (\(run.dataset.trainingSliceCountA) slices), \(run.dataset.validationCases.count) held-out cases (\(run.dataset.validationSliceCount) slices); run folder \(directory.path)")

        let summary = try progress.run(run, logEvery: resolved.value.training.logEvery)
        if options.json {
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

extension TrainingProgressDisplay {
    /// Runs `run` to its end with this display, Ctrl-C asking it to save and stop (`TrainingInterrupt`).
    func run<Run: TrainingRun>(_ run: Run, logEvery: Int) throws -> Run.Summary {
        TrainingInterrupt.install()
        defer { TrainingInterrupt.uninstall() }
        defer { finish() }
        return try run.run(progress: { self.update($0, logEvery: logEvery) }, shouldStop: { TrainingInterrupt.requested })
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

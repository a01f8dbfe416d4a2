import Foundation
import MedCore
import MedTraining

/// Trains a translator from a run configuration file into a run folder, or reuses the one there: a finished run
/// is reused, an unfinished one continues from its latest checkpoint (what `medsynth validate` and `medsynth demo`
/// do for their translators).
public enum TranslatorTraining {
    /// The run's checkpoint to translate with: `best.h5` (highest validation SSIM), else `latest.h5`.
    /// - Parameters:
    ///   - configFile: a `medsynth train` configuration (its `model` picks the trainer).
    ///   - overrides: `key=value` settings applied after the file (the data files, the steps, …).
    ///   - directory: the run folder.
    ///   - files: the dataset files the run trains on.
    ///   - log: progress lines (about ten over the run).
    ///   - shouldStop: polled after every step; the run then saves `latest.h5` and this returns nil.
    /// - Throws: configuration, data and training errors of `TranslationRun`.
    public static func checkpoint(configFile: String, overrides: [String], directory: URL, files: [URL], label: String,
                                  log: @escaping @Sendable (String) -> Void,
                                  shouldStop: @escaping @Sendable () -> Bool) throws -> URL? {
        let kind = try TranslationModelKind.of(configFile: configFile, overrides: overrides)
        return try train(kind.optionsType, configFile, overrides, directory, files, label, log, shouldStop)
    }

    private static func train<N: TranslatorOptions>(_: N.Type, _ configFile: String, _ overrides: [String], _ directory: URL,
                                                   _ files: [URL], _ label: String, _ log: @escaping @Sendable (String) -> Void,
                                                   _ shouldStop: @escaping @Sendable () -> Bool) throws -> URL? {
        let resolved = try ConfigLoader.load(TranslationRunConfig<N>.self, file: configFile, overrides: overrides)
        let folder = RunFolder(directory)
        if let s = folder.summary(TrainingSummary.self), s.steps == s.totalSteps, s.totalSteps == resolved.value.training.steps {
            log("\(label): reusing the finished translator in \(directory.path)")
            return folder.preferredCheckpoint
        }
        let resume = FileManager.default.fileExists(atPath: folder.latestCheckpoint.path)
        let run = try TranslationRun<N>(configuration: resolved, files: files, directory: directory, resume: resume)
        let total = resolved.value.training.steps
        log("\(label): training the \(N.kind.rawValue) translator \(run.translatorDescription.summary(.aToB)) in \(directory.path)\(resume ? ", resuming at step \(run.step)" : "") (\(total) steps)")
        let every = max(1, total / 10)
        let summary = try run.run(progress: { p in
            if p.phase == .training && p.step % every == 0 {
                log(String(format: "%@: translator step %d/%d, %.2f steps/s, about %@ left", label, p.step, p.totalSteps,
                           p.stepsPerSecond, ValidationReport.duration(p.secondsLeft)))
            }
        }, shouldStop: shouldStop)
        if summary.interrupted { return nil }
        if let b = summary.best {
            log(String(format: "%@: translator best at step %d: SSIM %.3f, PSNR %.2f dB, MAE %.1f %@ on its held-out slices",
                       label, b.step, b.ssim, b.psnrDB, b.mae, b.unit))
        }
        return folder.preferredCheckpoint
    }
}

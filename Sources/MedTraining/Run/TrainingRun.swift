import Dispatch
import Foundation
import MedReporting
import MedCore
import MedIO
import MedNN
import MedTensor

/// Where a training run stands, for progress displays.
public struct TrainingProgress: Sendable {
    /// What the run is doing.
    public enum Phase: String, Sendable {
        case training, validating, saving
    }

    public var phase: Phase
    /// Steps done (0 before the first).
    public var step: Int
    /// Steps the run will take.
    public var totalSteps: Int
    /// The last step's losses, in `lossNames` order.
    public var losses: [(name: String, value: Float)]
    /// Steps per second over the steps this process took (0 before the first).
    public var stepsPerSecond: Double
    /// Estimated seconds to the end (steps left at the current rate).
    public var secondsLeft: Double
}

/// The files of a run folder (`Outputs/<name>/`), the same for every kind of run:
/// - `config.yaml`: the resolved configuration;
/// - `losses.csv`: `step, learning_rate, <loss names>` — means over each `logEvery` steps;
/// - `validation.csv`: one row per validation (the run's columns);
/// - `checkpoints/latest.h5` (every validation, the end, and on interrupt), `checkpoints/best.h5` (the best
///   validation), `checkpoints/step-NNNNNN.h5` (every `checkpointEvery` steps);
/// - `samples/step-NNNNNN.png`: an image of each validation;
/// - `report.html`, `summary.json`.
public struct RunFolder: Sendable {
    /// The folder.
    public let directory: URL

    public init(_ directory: URL) { self.directory = directory }

    public var checkpointsDirectory: URL { directory.appendingPathComponent("checkpoints") }
    public var latestCheckpoint: URL { checkpointsDirectory.appendingPathComponent("latest.h5") }
    public var bestCheckpoint: URL { checkpointsDirectory.appendingPathComponent("best.h5") }
    public var samplesDirectory: URL { directory.appendingPathComponent("samples") }
    public var lossesFile: URL { directory.appendingPathComponent("losses.csv") }
    public var validationFile: URL { directory.appendingPathComponent("validation.csv") }
    public var reportFile: URL { directory.appendingPathComponent("report.html") }
    public var configFile: URL { directory.appendingPathComponent("config.yaml") }
    public var summaryFile: URL { directory.appendingPathComponent("summary.json") }

    /// `checkpoints/step-NNNNNN.h5`.
    public func numberedCheckpoint(step: Int) -> URL {
        checkpointsDirectory.appendingPathComponent(String(format: "step-%06d.h5", step))
    }

    /// `samples/step-NNNNNN.png`.
    public func sampleImage(step: Int) -> URL {
        samplesDirectory.appendingPathComponent(String(format: "step-%06d.png", step))
    }

    /// The checkpoint to use a run's result from: `best.h5` when the run has validated, else `latest.h5`.
    public var preferredCheckpoint: URL {
        FileManager.default.fileExists(atPath: bestCheckpoint.path) ? bestCheckpoint : latestCheckpoint
    }

    /// The run's `summary.json` decoded as `type`, or nil when there is none or it does not decode.
    public func summary<S: Decodable>(_ type: S.Type) -> S? {
        guard let data = FileManager.default.contents(atPath: summaryFile.path) else { return nil }
        return try? runJSONDecoder().decode(type, from: data)
    }
}

/// One validation of a run, as the skeleton needs it.
public protocol RunValidation: Codable, Sendable {
    /// The step after which it ran.
    var step: Int { get }
    /// What `best.h5` maximises (SSIM, mean Dice, …).
    var score: Double { get }
    /// Its `validation.csv` row (the run's `validationColumns`).
    var csvFields: [String] { get }
}

/// The loop settings every run has (`training.*`).
public protocol RunLoopSettings: Sendable {
    /// Optimisation steps (one batch each).
    var steps: Int { get }
    /// A `losses.csv` row every this many steps.
    var logEvery: Int { get }
    /// A validation, `latest.h5` and the report every this many steps (and at the last step).
    var validateEvery: Int { get }
    /// A numbered checkpoint every this many steps (0: only latest and best).
    var checkpointEvery: Int { get }
    /// The learning-rate factor before step `step` (0-based).
    func learningRateFactor(step: Int) -> Float
}

extension RunLoopSettings {
    /// Checks the cadence: steps, logEvery and validateEvery at least 1, checkpointEvery 0 or more.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key (`training.…`) and its value.
    public func validateCadence() throws {
        for (key, value) in [("steps", steps), ("logEvery", logEvery), ("validateEvery", validateEvery)] where value < 1 {
            throw MedSynthError(.invalidArgument, "training.\(key)", "is \(value); expected at least 1")
        }
        guard checkpointEvery >= 0 else {
            throw MedSynthError(.invalidArgument, "training.checkpointEvery", "is \(checkpointEvery); expected 0 (only latest and best) or a positive step count")
        }
    }
}

extension TrainingLoopConfig: RunLoopSettings {}
extension SegmentationTrainingConfig: RunLoopSettings {}

/// What a run has recorded so far, kept in every checkpoint: the step, the best and last validation, and the open
/// loss window. It also holds the run folder and its `OutputLock` for the run's life.
public final class RunRecord<Validation: RunValidation> {
    /// The run folder.
    public let folder: RunFolder
    /// Steps completed.
    public internal(set) var step = 0
    /// The best validation so far (highest `score`).
    public internal(set) var best: Validation?
    /// The last validation.
    public internal(set) var last: Validation?
    var lossSums: [String: Double] = [:]
    var lossCount = 0
    private let folderLock: OutputLock

    /// Claims the folder `directory` for this run (`RunFiles.claimRunFolder`).
    init(claiming directory: URL, resume: Bool) throws {
        folder = RunFolder(directory)
        folderLock = try RunFiles.claimRunFolder(directory, resume: resume, marker: folder.latestCheckpoint)
    }
}

/// How long a run's loop took and how it ended.
public struct RunOutcome: Sendable {
    /// Steps completed.
    public var steps: Int
    public var totalSteps: Int
    /// True when the run stopped early because it was asked to.
    public var interrupted: Bool
    /// Wall seconds of this process's part of the run.
    public var seconds: Double
    public var stepsPerSecond: Double
}

/// One image of a sample grid: height × width values, 0 black, 1 white.
public struct SampleTile {
    public var values: [Float]
    public var height: Int
    public var width: Int

    public init(_ values: [Float], height: Int, width: Int) {
        precondition(values.count == height * width, "a sample tile holds \(values.count) values, not \(height)×\(width)")
        (self.values, self.height, self.width) = (values, height, width)
    }
}

/// What a run's report shows besides the losses.
public struct RunReportContent {
    public var title: String
    /// Lines at the top (what was trained, on what, the best validation, …).
    public var summary: [String]
    /// The metric columns, in display order.
    public var metricNames: [String]
    /// A `validation.csv` row (numeric fields by header name) → the metrics by display name.
    public var metrics: ([String: Double]) -> [String: Double]
    /// What a sample image shows ("input | output | target").
    public var sampleCaption: String
}

/// The one run skeleton (`medsynth train`, `medsynth segment train`): a run folder (`RunFolder`), the loop with its
/// learning-rate schedule, the loss CSV, validation with latest/best/numbered checkpoints, samples, the report and
/// the summary, and bit-exact resume — generic over `ResumableTrainer`. A conforming run supplies the data (one
/// step), the validation, the state besides the trainer (samplers, descriptions) and the report's text.
///
/// Resuming restores the networks, the optimizers, the trainer's state, the run's own state (`saveRunState`) and
/// the `RunRecord` from `checkpoints/latest.h5`, and truncates the CSV files to its step, so an interrupted and
/// resumed run ends with the same weights, bit for bit, as an uninterrupted one. A step whose loss is NaN or
/// infinite stops the run with an error naming the loss and the step; that state is not saved, so `latest.h5`
/// stays the last good checkpoint.
public protocol TrainingRun: AnyObject {
    associatedtype Validation: RunValidation
    associatedtype Summary: Codable & Sendable
    associatedtype LoopSettings: RunLoopSettings
    /// The configuration type (its defaults decide which settings a run saved by an older MedSynth may lack).
    associatedtype Configuration: RunConfiguration

    /// The run's record, which holds its folder.
    var record: RunRecord<Validation> { get }
    /// The resolved configuration as written to `config.yaml`.
    var configYAML: String { get }
    var loopSettings: LoopSettings { get }
    /// The trainer: its networks, optimizers, losses and state go into every checkpoint.
    var resumableTrainer: any ResumableTrainer { get }
    /// The command that writes this kind of run (for messages).
    static var command: String { get }
    /// The configuration key of the base learning rate (for the message of a diverged run).
    static var learningRateKey: String { get }

    /// The learning rate before the schedule.
    var baseLearningRate: Float { get }
    /// Draws the next batch and takes one optimisation step of the trainer.
    func trainStep()
    /// The columns of `validation.csv` (the validation's `csvFields`).
    var validationColumns: [String] { get }
    /// Validates at `record.step`, writing `folder.sampleImage(step:)` on the way (`writeSampleImage`).
    func validateAndSample() throws -> Validation
    /// Saves the run's state besides the trainer's and the record (samplers, descriptions).
    func saveRunState(into state: inout TrainingState) throws
    /// Restores what `saveRunState` saved.
    func restoreRunState(from state: TrainingState) throws
    /// The hyperparameters saved with every checkpoint (JSON).
    func hyperparametersJSON() throws -> String
    /// The run's summary (`summary.json`).
    func summary(of outcome: RunOutcome) -> Summary
    /// The report's title, summary lines and metrics.
    var reportContent: RunReportContent { get }
    /// Called once when `run` starts, before the first step (a run scores its baselines here).
    func runWillStart(phase: (TrainingProgress.Phase) -> Void) throws
}

extension TrainingRun {
    public func runWillStart(phase: (TrainingProgress.Phase) -> Void) throws {}

    /// The run folder's files.
    public var folder: RunFolder { record.folder }
    /// The run folder.
    public var directory: URL { folder.directory }
    /// The run's name (the folder's name).
    public var name: String { folder.directory.lastPathComponent }
    /// Steps completed.
    public var step: Int { record.step }
    /// The best validation so far.
    public var best: Validation? { record.best }
    /// The last validation.
    public var lastValidation: Validation? { record.last }
    public var checkpointsDirectory: URL { folder.checkpointsDirectory }
    public var latestCheckpoint: URL { folder.latestCheckpoint }
    public var bestCheckpoint: URL { folder.bestCheckpoint }
    public var samplesDirectory: URL { folder.samplesDirectory }
    public var lossesFile: URL { folder.lossesFile }
    public var validationFile: URL { folder.validationFile }
    public var reportFile: URL { folder.reportFile }
    public var configFile: URL { folder.configFile }
    public var summaryFile: URL { folder.summaryFile }

    // MARK: - The folder

    /// Starts a new folder (configuration, CSV headers) or resumes from `latest.h5`. Call at the end of `init`,
    /// once the trainer and the data exist.
    func openFolder(resume: Bool) throws {
        if resume {
            try restore(from: folder.latestCheckpoint)
        } else {
            try FileManager.default.createDirectory(at: folder.checkpointsDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: folder.samplesDirectory, withIntermediateDirectories: true)
            try RunFiles.writeAtomically(configYAML, to: folder.configFile)
            try RunFiles.writeAtomically(lossHeader, to: folder.lossesFile)
            try RunFiles.writeAtomically(validationHeader, to: folder.validationFile)
        }
    }

    // MARK: - The loop

    /// Trains to `training.steps`, validating, saving and reporting on the way.
    /// - Parameters:
    ///   - progress: called after every step and at each validation (on the calling thread).
    ///   - shouldStop: polled after every step; when it returns true the run saves `latest.h5`, writes the
    ///     report and returns with `interrupted: true`.
    /// - Throws: `MedSynthError(.invalidArgument)` for a non-finite loss (the state is not saved), write errors.
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> Summary {
        let settings = loopSettings
        let trainer = resumableTrainer
        let total = settings.steps
        let started = DispatchTime.now().uptimeNanoseconds
        let firstStep = record.step
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        func rate() -> Double { record.step > firstStep ? Double(record.step - firstStep) / max(elapsed(), 1e-9) : 0 }
        func report(_ phase: TrainingProgress.Phase) {
            let r = rate()
            let losses = trainer.currentLosses()
            progress(TrainingProgress(phase: phase, step: record.step, totalSteps: total,
                                      losses: trainer.lossNames.compactMap { n in losses[n].map { (n, $0) } },
                                      stepsPerSecond: r, secondsLeft: r > 0 ? Double(total - record.step) / r : 0))
        }
        try runWillStart(phase: report)
        var interrupted = false
        var lossLog = ""
        while record.step < total {
            let learningRate = baseLearningRate * settings.learningRateFactor(step: record.step)
            trainer.setLearningRate(learningRate)
            trainStep()
            let losses = trainer.currentLosses()
            if let bad = trainer.lossNames.first(where: { !(losses[$0] ?? .nan).isFinite }) {
                try RunFiles.append(lossLog, to: folder.lossesFile)
                let kept = FileManager.default.fileExists(atPath: folder.latestCheckpoint.path)
                    ? "the last good checkpoint is \(folder.latestCheckpoint.path)" : "no checkpoint was saved yet"
                let all = trainer.lossNames.map { "\($0) \(losses[$0] ?? .nan)" }.joined(separator: ", ")
                throw MedSynthError(.invalidArgument, "step \(record.step + 1)",
                                    "loss \(bad) is \(losses[bad] ?? .nan) (\(all)); the run stopped and this state was not saved (\(kept)). Try a lower \(Self.learningRateKey) or check the data's normalisation")
            }
            record.step += 1
            let step = record.step
            for n in trainer.lossNames { record.lossSums[n, default: 0] += Double(losses[n] ?? 0) }
            record.lossCount += 1
            if step % settings.logEvery == 0 || step == total {
                lossLog += lossRow(learningRate: learningRate)
                record.lossSums = [:]
                record.lossCount = 0
            }
            report(.training)
            let isLast = step == total
            let stopping = !isLast && shouldStop()
            let numbered = settings.checkpointEvery > 0 && step % settings.checkpointEvery == 0
            if step % settings.validateEvery == 0 || isLast || stopping {
                try RunFiles.append(lossLog, to: folder.lossesFile)
                lossLog = ""
                var improved = false
                if !stopping {
                    report(.validating)
                    improved = try validate()
                }
                report(.saving)
                try saveCheckpoints(numbered: !stopping && numbered, best: improved)
                try writeReport()
            } else if numbered {
                try RunFiles.append(lossLog, to: folder.lossesFile)
                lossLog = ""
                report(.saving)
                try saveCheckpoints(numbered: true, best: false)
            }
            if stopping {
                interrupted = true
                break
            }
        }
        let summary = summary(of: RunOutcome(steps: record.step, totalSteps: total, interrupted: interrupted,
                                             seconds: elapsed(), stepsPerSecond: rate()))
        try RunFiles.writeAtomically(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self) + "\n",
                                     to: folder.summaryFile)
        return summary
    }

    // MARK: - Losses and validations

    private var lossHeader: String { (["step", "learning_rate"] + resumableTrainer.lossNames).joined(separator: ",") + "\n" }
    private var validationHeader: String { (["step"] + validationColumns).joined(separator: ",") + "\n" }

    private func lossRow(learningRate: Float) -> String {
        let values = resumableTrainer.lossNames.map { String(record.lossSums[$0, default: 0] / Double(max(record.lossCount, 1))) }
        return ([String(record.step), String(learningRate)] + values).joined(separator: ",") + "\n"
    }

    /// Validates, appends to `validation.csv` and updates the record.
    /// - Returns: whether this validation is the best so far.
    private func validate() throws -> Bool {
        let result = try validateAndSample()
        try RunFiles.append(([String(result.step)] + result.csvFields).joined(separator: ",") + "\n", to: folder.validationFile)
        record.last = result
        guard record.best.map({ result.score > $0.score }) ?? true else { return false }
        record.best = result
        return true
    }

    /// Writes `samples/step-NNNNNN.png` for the current step: rows of tiles side by side in cells of the largest
    /// tile's size, 2-pixel white gaps (values outside [0, 1] clamped, non-finite ones drawn black).
    public func writeSampleImage(rows: [[SampleTile]]) throws {
        let tiles = rows.joined()
        guard let columns = rows.map(\.count).max(), columns > 0 else { return }
        let h = tiles.map(\.height).max()!, w = tiles.map(\.width).max()!
        let gap = 2
        let width = columns * w + (columns - 1) * gap, height = rows.count * h + (rows.count - 1) * gap
        var pixels = [Float](repeating: 1, count: width * height)
        for (r, row) in rows.enumerated() {
            for (c, tile) in row.enumerated() {
                for y in 0..<tile.height {
                    for x in 0..<tile.width {
                        let v = tile.values[y * tile.width + x]
                        pixels[(r * (h + gap) + y) * width + c * (w + gap) + x] = v.isFinite ? min(1, max(0, v)) : 0
                    }
                }
            }
        }
        let image = Volume(shape: VolumeShape(depth: 1, height: height, width: width), voxels: pixels)
        let window = try IntensityWindow(lowerValue: 0, upperValue: 1)
        try AtomicFile.write(to: folder.sampleImage(step: record.step)) { temporary in
            try PNGFile.write(image, to: temporary, bitDepth: 8, window: window)
        }
    }

    // MARK: - Checkpoints

    /// Everything besides networks and optimizers that the next steps depend on.
    func state() throws -> TrainingState {
        var state = TrainingState()
        resumableTrainer.saveState(into: &state)
        try saveRunState(into: &state)
        state.integers["run.step"] = record.step
        state.integers["run.lossCount"] = record.lossCount
        for (n, v) in record.lossSums { state.numbers["run.lossSum.\(n)"] = v }
        if let best = record.best { try state.setJSON(best, named: "run.best") }
        if let last = record.last { try state.setJSON(last, named: "run.last") }
        state.strings["run.config"] = RunFiles.canonical(configYAML)
        return state
    }

    private func saveCheckpoints(numbered: Bool, best improved: Bool) throws {
        let checkpoint = resumableTrainer.checkpoint(hyperparameters: try hyperparametersJSON())
        let state = try state()
        try checkpoint.save(to: folder.latestCheckpoint, trainingState: state)
        if improved { try checkpoint.save(to: folder.bestCheckpoint, trainingState: state) }
        if numbered { try checkpoint.save(to: folder.numberedCheckpoint(step: record.step), trainingState: state) }
    }

    private func restore(from url: URL) throws {
        let contents = try CheckpointContents.read(from: url)
        let s = contents.trainingState
        let now = RunFiles.canonical(configYAML)
        if let saved = s.strings["run.config"], saved != now,
           let conflict = RunFiles.resumeConflict(Configuration.self, saved: saved, now: now) {
            throw MedSynthError(.mismatch, url.path,
                                "was saved with another configuration (\(conflict)); resume with the run's own config.yaml, or start a new run with --name")
        }
        guard let saved = s.integers["run.step"], saved >= 0 else {
            throw MedSynthError(.corrupt, url.path, "has no run.step in its training state; expected a checkpoint written by \(Self.command)")
        }
        let trainer = resumableTrainer
        try trainer.checkpoint().load(contents)
        try trainer.restoreState(from: s)
        try restoreRunState(from: s)
        record.step = saved
        record.lossCount = s.integers["run.lossCount"] ?? 0
        record.lossSums = [:]
        for n in trainer.lossNames { if let v = s.numbers["run.lossSum.\(n)"] { record.lossSums[n] = v } }
        record.best = s.strings["run.best"] == nil ? nil : try s.decodeJSON(Validation.self, named: "run.best")
        record.last = s.strings["run.last"] == nil ? nil : try s.decodeJSON(Validation.self, named: "run.last")
        try RunFiles.truncateCSV(folder.lossesFile, header: lossHeader, toStep: saved)
        try RunFiles.truncateCSV(folder.validationFile, header: validationHeader, toStep: saved)
    }

    // MARK: - Report

    /// Writes report.html from the CSV files, the sample images (the first and the last three) and the configuration.
    public func writeReport() throws {
        let content = reportContent
        let losses = RunFiles.readCSV(folder.lossesFile).map { row in
            RunReport.LossRow(step: Int(row["step"] ?? 0), losses: row.filter { $0.key != "step" && $0.key != "learning_rate" })
        }
        let metrics = RunFiles.readCSV(folder.validationFile).map { row in
            RunReport.MetricRow(step: Int(row["step"] ?? 0), metrics: content.metrics(row))
        }
        let images = ((try? FileManager.default.contentsOfDirectory(atPath: folder.samplesDirectory.path)) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".png") }.sorted()
        let shown = images.count <= 4 ? images : [images[0]] + images.suffix(3)
        let figures = shown.compactMap { file -> RunReport.Figure? in
            guard let data = FileManager.default.contents(atPath: folder.samplesDirectory.appendingPathComponent(file).path) else { return nil }
            return RunReport.Figure(caption: "\(file): \(content.sampleCaption)", png: data)
        }
        let report = RunReport(title: content.title, summary: content.summary, lossNames: resumableTrainer.lossNames,
                               losses: losses, metricNames: content.metricNames, metrics: metrics, figures: figures,
                               configuration: configYAML)
        try RunFiles.writeAtomically(report.html(), to: folder.reportFile)
    }
}

extension ResumableTrainer {
    /// Sets every optimizer's learning rate.
    public func setLearningRate(_ learningRate: Float) {
        for (_, optimizer) in optimizers { optimizer.learningRate = learningRate }
    }
}

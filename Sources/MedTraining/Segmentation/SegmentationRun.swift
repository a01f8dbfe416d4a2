import Dispatch
import Foundation
import MedCore
import MedIO
import MedMetrics
import MedNN
import MedTensor

/// The outcome of `SegmentationRun.run`.
public struct SegmentationSummary: Codable, Sendable {
    public var name: String
    public var directory: String
    /// Input modalities → class names ("FLAIR → lesion").
    public var task: String
    /// Steps completed (the step of `latest.h5`).
    public var steps: Int
    public var totalSteps: Int
    /// True when the run stopped because it was asked to (Ctrl-C); `latest.h5` holds where it stopped.
    public var interrupted: Bool
    /// Wall seconds of this process's part of the run.
    public var seconds: Double
    public var stepsPerSecond: Double
    /// The best validation (highest mean Dice) and the last one.
    public var best: SegmentationValidation?
    public var last: SegmentationValidation?
    public var classNames: [String]
    public var trainingCases: [String]
    public var validationCases: [String]
    public var latestCheckpoint: String
    public var bestCheckpoint: String?
    public var report: String
}

/// A segmentation training run in a folder (`medsynth segment train`), with the conventions of
/// `TranslationRun`:
///
/// - `config.yaml`: the resolved configuration, non-default settings listed in its header;
/// - `losses.csv`: `step, learning_rate, loss, dice, ce` — means over each `logEvery` steps;
/// - `validation.csv`: `step, mean_dice, dice_<class>, hd95_mm_<class>, hd95_undefined_<class>…, cases` on the
///   whole held-out volumes;
/// - `checkpoints/latest.h5` (every validation, the end, and on interrupt), `checkpoints/best.h5` (highest mean
///   validation Dice), `checkpoints/step-NNNNNN.h5` (every `checkpointEvery` steps), each carrying a
///   `SegmentationDescription` so that a checkpoint alone predicts;
/// - `samples/step-NNNNNN.png`: input | reference | prediction on the held-out slice with the most foreground;
/// - `report.html`, `summary.json`.
///
/// Resuming restores the network, Adam's moments, the patch sampler and the loss window from `latest.h5` and
/// truncates the CSV files to its step, so an interrupted and resumed run ends with the same weights, bit for
/// bit, as an uninterrupted one. A non-finite loss stops the run without saving that state.
public final class SegmentationRun {
    public let config: SegmentationRunConfig
    /// The resolved configuration as written to `config.yaml`.
    public let configYAML: String
    public let directory: URL
    /// One run per folder: held for the run's life (`RunFiles.claimRunFolder`).
    private let folderLock: OutputLock
    public var name: String { directory.lastPathComponent }
    public let dataset: SegmentationDataset
    public let trainer: SegmentationTrainer
    /// Steps completed.
    public private(set) var step = 0
    /// The best validation so far (highest mean Dice).
    public private(set) var best: SegmentationValidation?
    /// The last validation.
    public private(set) var lastValidation: SegmentationValidation?

    private var lossSums: [String: Double] = [:]
    private var lossCount = 0

    // MARK: Paths

    public var checkpointsDirectory: URL { directory.appendingPathComponent("checkpoints") }
    public var latestCheckpoint: URL { checkpointsDirectory.appendingPathComponent("latest.h5") }
    public var bestCheckpoint: URL { checkpointsDirectory.appendingPathComponent("best.h5") }
    public var samplesDirectory: URL { directory.appendingPathComponent("samples") }
    public var lossesFile: URL { directory.appendingPathComponent("losses.csv") }
    public var validationFile: URL { directory.appendingPathComponent("validation.csv") }
    public var reportFile: URL { directory.appendingPathComponent("report.html") }
    public var configFile: URL { directory.appendingPathComponent("config.yaml") }
    public var summaryFile: URL { directory.appendingPathComponent("summary.json") }

    /// Sets up a run: loads the data, builds the network, and starts a new folder or resumes one.
    /// - Parameters:
    ///   - configuration: the resolved configuration.
    ///   - files: the dataset files (the CLI resolves `data.files` or the built-in phantom).
    ///   - directory: the run folder.
    ///   - resume: continue from `checkpoints/latest.h5`.
    /// - Throws: `MedSynthError`: a new run in a folder that holds one (`.invalidArgument`, suggesting `--resume`),
    ///   a resume without a checkpoint (`.notFound`) or with another configuration (`.mismatch`, naming the keys),
    ///   data and checkpoint errors.
    public init(configuration: ResolvedConfiguration<SegmentationRunConfig>, files: [URL], directory: URL,
                resume: Bool) throws {
        config = configuration.value
        configYAML = configuration.yaml
        self.directory = directory
        folderLock = try RunFiles.claimRunFolder(directory, resume: resume)
        let root = SeededGenerator(seed: config.seed)
        dataset = try SegmentationDataset(files: files, config: config, generator: root.split(1))
        var weights = root.split(2)
        trainer = SegmentationTrainer(config: Self.networkConfig(config), learningRate: config.training.learningRate,
                                      seed: weights.next(), diceWeight: config.training.diceWeight,
                                      crossEntropyWeight: config.training.crossEntropyWeight,
                                      includeBackground: config.training.diceIncludeBackground)
        if resume {
            try restore(from: latestCheckpoint)
        } else {
            try FileManager.default.createDirectory(at: checkpointsDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: samplesDirectory, withIntermediateDirectories: true)
            try RunFiles.writeAtomically(configYAML, to: configFile)
            try RunFiles.writeAtomically(lossHeader, to: lossesFile)
            try RunFiles.writeAtomically(validationHeader, to: validationFile)
        }
    }

    /// The U-Net of a configuration.
    public static func networkConfig(_ c: SegmentationRunConfig) -> UNetSegmenterConfig {
        UNetSegmenterConfig(spatialRank: c.network.spatialRank, inputChannels: c.data.modalities.count,
                            classes: c.data.classLabels.count + 1, depth: c.network.depth, baseWidth: c.network.baseWidth,
                            norm: c.network.norm)
    }

    // MARK: - The loop

    /// Trains to `training.steps`, validating, saving and reporting on the way.
    /// - Parameters:
    ///   - progress: called after every step and at each validation (on the calling thread).
    ///   - shouldStop: polled after every step; when it returns true the run saves `latest.h5`, writes the report
    ///     and returns with `interrupted: true`.
    /// - Throws: `MedSynthError(.invalidArgument)` for a non-finite loss (that state is not saved), write errors.
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> SegmentationSummary {
        let total = config.training.steps
        let started = DispatchTime.now().uptimeNanoseconds
        let firstStep = step
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        func rate() -> Double { step > firstStep ? Double(step - firstStep) / max(elapsed(), 1e-9) : 0 }
        func report(_ phase: TrainingProgress.Phase) {
            let r = rate()
            let losses = SegmentationTrainer.lossNames.compactMap { n in trainer.lastLosses[n].map { (name: n, value: $0) } }
            progress(TrainingProgress(phase: phase, step: step, totalSteps: total, losses: losses, stepsPerSecond: r,
                                      secondsLeft: r > 0 ? Double(total - step) / r : 0))
        }
        var interrupted = false
        var lossLog = ""
        while step < total {
            let learningRate = config.training.learningRate * config.training.learningRateFactor(step: step)
            trainer.optimizer.learningRate = learningRate
            let batch = dataset.nextBatch()
            let loss = trainer.step(images: batch.images, labels: batch.labels)
            guard loss.isFinite else {
                try RunFiles.append(lossLog, to: lossesFile)
                let kept = FileManager.default.fileExists(atPath: latestCheckpoint.path)
                    ? "the last good checkpoint is \(latestCheckpoint.path)" : "no checkpoint was saved yet"
                throw MedSynthError(.invalidArgument, "step \(step + 1)",
                                    "loss is \(loss) (dice \(trainer.lastLosses["dice"] ?? .nan), ce \(trainer.lastLosses["ce"] ?? .nan)); the run stopped and this state was not saved (\(kept)). Try a lower training.learningRate or check the data's normalisation")
            }
            step += 1
            for n in SegmentationTrainer.lossNames { lossSums[n, default: 0] += Double(trainer.lastLosses[n] ?? 0) }
            lossCount += 1
            if step % config.training.logEvery == 0 || step == total {
                lossLog += lossRow(learningRate: learningRate)
                lossSums = [:]
                lossCount = 0
            }
            report(.training)
            let isLast = step == total
            let stopping = !isLast && shouldStop()
            let numbered = config.training.checkpointEvery > 0 && step % config.training.checkpointEvery == 0
            if step % config.training.validateEvery == 0 || isLast || stopping {
                try RunFiles.append(lossLog, to: lossesFile)
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
                try RunFiles.append(lossLog, to: lossesFile)
                lossLog = ""
                report(.saving)
                try saveCheckpoints(numbered: true, best: false)
            }
            if stopping {
                interrupted = true
                break
            }
        }
        let summary = SegmentationSummary(
            name: name, directory: directory.path,
            task: "\(config.data.inputModalities.map(\.rawValue).joined(separator: "+")) → \(config.data.classNames.joined(separator: ", "))",
            steps: step, totalSteps: total, interrupted: interrupted, seconds: elapsed(), stepsPerSecond: rate(),
            best: best, last: lastValidation, classNames: config.data.classNames,
            trainingCases: dataset.trainingCases.map(\.caseID), validationCases: dataset.validationCases.map(\.caseID),
            latestCheckpoint: latestCheckpoint.path, bestCheckpoint: best == nil ? nil : bestCheckpoint.path,
            report: reportFile.path)
        try RunFiles.writeAtomically(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self) + "\n", to: summaryFile)
        return summary
    }

    // MARK: - Losses

    private var lossHeader: String { (["step", "learning_rate"] + SegmentationTrainer.lossNames).joined(separator: ",") + "\n" }

    private func lossRow(learningRate: Float) -> String {
        let values = SegmentationTrainer.lossNames.map { String(lossSums[$0, default: 0] / Double(max(lossCount, 1))) }
        return ([String(step), String(learningRate)] + values).joined(separator: ",") + "\n"
    }

    // MARK: - Validation

    private var validationHeader: String {
        var columns = ["step", "mean_dice"]
        for n in config.data.classNames { columns += ["dice_\(n)", "hd95_mm_\(n)", "hd95_undefined_\(n)"] }
        return (columns + ["cases"]).joined(separator: ",") + "\n"
    }

    /// The class map of a whole volume (argmax of the averaged softmax).
    public func predictClasses(_ item: SegmentationCase) -> [Float] {
        let classes = trainer.network.config.classes
        let p = trainer.probabilities(channels: item.channels, shape: item.shape, patch: Array(dataset.patch.suffix(3)),
                                      overlap: config.training.inferenceOverlap, batchSize: config.training.inferenceBatchSize)
        return SegmentationInference.labels(probabilities: p, classes: classes, voxelCount: item.shape.voxelCount)
    }

    /// Segments every held-out volume, scores it, appends to `validation.csv`, writes a sample image.
    /// - Returns: whether this validation is the best so far.
    func validate() throws -> Bool {
        let classCount = config.data.classLabels.count
        var scores: [SegmentationCaseScore] = []
        var sample: (item: SegmentationCase, prediction: [Float])? = nil
        for item in dataset.validationCases {
            let predicted = predictClasses(item)
            let reference = Volume(shape: item.shape, voxels: item.classes, affine: item.affine, modality: .label)
            let prediction = Volume(shape: item.shape, voxels: predicted, affine: item.affine, modality: .label)
            let overlaps = try SegmentationMetrics.evaluate(reference: reference, prediction: prediction,
                                                            labels: Array(1...classCount))
            scores.append(SegmentationCaseScore(caseID: item.caseID, dice: overlaps.map(\.dice), hd95MM: overlaps.map(\.hd95MM)))
            if sample == nil { sample = (item, predicted) }
        }
        let result = SegmentationValidation(step: step, cases: scores, classCount: classCount)
        var row = [String(step), String(result.meanDice)]
        for c in 0..<classCount {
            row += [String(result.dice[c]), result.hd95MM[c].map { String($0) } ?? "", String(result.hd95Undefined[c])]
        }
        try RunFiles.append((row + [String(scores.count)]).joined(separator: ",") + "\n", to: validationFile)
        if let sample { try writeSample(sample.item, prediction: sample.prediction) }
        lastValidation = result
        if best == nil || result.meanDice > best!.meanDice {
            best = result
            return true
        }
        return false
    }

    /// samples/step-NNNNNN.png: the first input channel (its normalised window), the reference classes and the
    /// predicted classes (grey levels class / classes) on the axial slice with the most reference foreground.
    private func writeSample(_ item: SegmentationCase, prediction: [Float]) throws {
        let (h, w) = (item.shape.height, item.shape.width)
        let plane = h * w
        var bestSlice = item.shape.depth / 2, most = -1
        for k in 0..<item.shape.depth {
            var n = 0
            for v in item.classes[(k * plane)..<((k + 1) * plane)] where v > 0 { n += 1 }
            if n > most { (bestSlice, most) = (k, n) }
        }
        let gap = 2, width = 3 * w + 2 * gap
        var pixels = [Float](repeating: 1, count: h * width)
        let scale = Float(max(1, config.data.classLabels.count))
        let range = (bestSlice * plane)..<((bestSlice + 1) * plane)
        let tiles: [[Float]] = [item.channels[0][range].map { ($0 + 1) / 2 }, item.classes[range].map { $0 / scale },
                                prediction[range].map { $0 / scale }]
        for (t, values) in tiles.enumerated() {
            for y in 0..<h {
                for x in 0..<w { pixels[y * width + t * (w + gap) + x] = min(1, max(0, values[y * w + x])) }
            }
        }
        let url = samplesDirectory.appendingPathComponent(String(format: "step-%06d.png", step))
        let temporary = samplesDirectory.appendingPathComponent(".\(url.lastPathComponent).partial")
        try PNGFile.write(Volume(shape: VolumeShape(depth: 1, height: h, width: width), voxels: pixels), to: temporary,
                          bitDepth: 8, window: try IntensityWindow(lowerValue: 0, upperValue: 1))
        try RunFiles.replace(url, with: temporary)
    }

    // MARK: - Checkpoints

    /// What `segment predict` needs, saved with every checkpoint.
    public var segmentationDescription: SegmentationDescription {
        let modalities = config.data.inputModalities
        return SegmentationDescription(modalities: modalities,
                                       normalizations: modalities.map { config.data.normalization.resolved(for: $0) },
                                       classNames: config.data.classNames, classLabels: config.data.classLabels,
                                       network: trainer.network.config,
                                       patchSize: config.network.spatialRank == 2 ? Array(dataset.patch.suffix(2)) : dataset.patch,
                                       overlap: config.training.inferenceOverlap,
                                       inferenceBatchSize: config.training.inferenceBatchSize, step: step)
    }

    /// The loop's state besides the network and the optimiser.
    func state() throws -> TrainingState {
        var state = TrainingState()
        state.setGenerator(dataset.generator, named: "run.sampler")
        try state.setJSON(segmentationDescription, named: SegmentationDescription.stateKey)
        state.integers["run.step"] = step
        state.integers["run.lossCount"] = lossCount
        for (n, v) in lossSums { state.numbers["run.lossSum.\(n)"] = v }
        if let best { try state.setJSON(best, named: "run.best") }
        if let lastValidation { try state.setJSON(lastValidation, named: "run.last") }
        state.strings["run.config"] = RunFiles.canonical(configYAML)
        return state
    }

    private func saveCheckpoints(numbered: Bool, best improved: Bool) throws {
        let checkpoint = trainer.checkpoint(hyperparameters: String(decoding: try JSONEncoder().encode(config), as: UTF8.self))
        let state = try state()
        try checkpoint.save(to: latestCheckpoint, trainingState: state)
        if improved { try checkpoint.save(to: bestCheckpoint, trainingState: state) }
        if numbered {
            try checkpoint.save(to: checkpointsDirectory.appendingPathComponent(String(format: "step-%06d.h5", step)),
                                trainingState: state)
        }
    }

    private func restore(from url: URL) throws {
        let contents = try CheckpointContents.read(from: url)
        let s = contents.trainingState
        if let saved = s.strings["run.config"], saved != RunFiles.canonical(configYAML) {
            throw MedSynthError(.mismatch, url.path,
                                "was saved with another configuration (\(RunFiles.differences(saved, RunFiles.canonical(configYAML)))); resume with the run's own config.yaml, or start a new run with --name")
        }
        guard let saved = s.integers["run.step"], saved >= 0 else {
            throw MedSynthError(.corrupt, url.path, "has no run.step in its training state; expected a checkpoint written by medsynth segment train")
        }
        let sampler = try s.generator(named: "run.sampler")
        try trainer.checkpoint().load(contents)
        dataset.generator = sampler
        step = saved
        lossCount = s.integers["run.lossCount"] ?? 0
        lossSums = [:]
        for n in SegmentationTrainer.lossNames { if let v = s.numbers["run.lossSum.\(n)"] { lossSums[n] = v } }
        best = s.strings["run.best"] == nil ? nil : try s.decodeJSON(SegmentationValidation.self, named: "run.best")
        lastValidation = s.strings["run.last"] == nil ? nil : try s.decodeJSON(SegmentationValidation.self, named: "run.last")
        try RunFiles.truncateCSV(lossesFile, header: lossHeader, toStep: step)
        try RunFiles.truncateCSV(validationFile, header: validationHeader, toStep: step)
    }

    // MARK: - Report

    /// Writes report.html from the CSV files, the sample images and the configuration.
    public func writeReport() throws {
        let losses = RunFiles.readCSV(lossesFile).map { row in
            RunReport.LossRow(step: Int(row["step"] ?? 0), losses: row.filter { $0.key != "step" && $0.key != "learning_rate" })
        }
        var metricNames = ["mean Dice"]
        for n in config.data.classNames { metricNames += ["Dice \(n)", "HD95 \(n) (mm)"] }
        let metrics = RunFiles.readCSV(validationFile).map { row in
            var m: [String: Double] = ["mean Dice": row["mean_dice"] ?? .nan]
            for n in config.data.classNames {
                m["Dice \(n)"] = row["dice_\(n)"] ?? .nan
                m["HD95 \(n) (mm)"] = row["hd95_mm_\(n)"] ?? .nan
            }
            return RunReport.MetricRow(step: Int(row["step"] ?? 0), metrics: m)
        }
        let images = ((try? FileManager.default.contentsOfDirectory(atPath: samplesDirectory.path)) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".png") }.sorted()
        let shown = images.count <= 4 ? images : [images[0]] + images.suffix(3)
        let figures = shown.compactMap { file -> RunReport.Figure? in
            guard let data = FileManager.default.contents(atPath: samplesDirectory.appendingPathComponent(file).path) else { return nil }
            return RunReport.Figure(caption: "\(file): input | reference | prediction", png: data)
        }
        let task = "\(config.data.inputModalities.map(\.rawValue).joined(separator: " + ")) → \(zip(config.data.classNames, config.data.classLabels).map { "\($0) = labels \($1.map(String.init).joined(separator: ","))" }.joined(separator: "; "))"
        var summary = ["\(config.network.spatialRank)-D U-Net (depth \(config.network.depth), width \(config.network.baseWidth), \(config.network.norm.rawValue) norm), \(task); step \(step) of \(config.training.steps), seed \(config.seed)",
                       "data: \(dataset.files.map(\.path).joined(separator: ", ")); \(dataset.trainingCaseCount) training cases, \(dataset.validationCases.count) held-out cases (\(dataset.validationCases.map(\.caseID).joined(separator: ", "))); patch \(dataset.patch.map(String.init).joined(separator: "×")), batch \(config.data.batchSize), foreground oversampling \(config.training.foregroundOversampling)"]
        if let best {
            var line = String(format: "best validation: step %d, mean Dice %.4f", best.step, best.meanDice)
            for (c, n) in config.data.classNames.enumerated() {
                line += String(format: "; %@: Dice %.4f, HD95 %@", n, best.dice[c], best.hd95MM[c].map { String(format: "%.2f mm", $0) } ?? "not defined")
            }
            summary.append(line + " (checkpoints/best.h5)")
        }
        summary.append("validation on whole held-out volumes (\(config.network.spatialRank == 2 ? "slice by slice" : "Gaussian-weighted sliding window, overlap \(config.training.inferenceOverlap)")); Dice and HD95 (mm, MONAI's convention) per case, averaged over cases; HD95 is left out of the mean where a mask is empty")
        let report = RunReport(title: "MedSynth segmentation run \(name)", summary: summary,
                               lossNames: SegmentationTrainer.lossNames, losses: losses,
                               metricNames: metricNames, metrics: metrics, figures: figures, configuration: configYAML)
        try RunFiles.writeAtomically(report.html(), to: reportFile)
    }
}

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

/// A segmentation training run in a folder (`medsynth segment train`): the `TrainingRun` skeleton with
/// segmentation's data, validation and report.
///
/// Besides the skeleton's files (`RunFolder`):
/// - `losses.csv`: `step, learning_rate, loss, dice, ce`;
/// - `validation.csv`: `step, mean_dice, dice_<class>, hd95_mm_<class>, hd95_undefined_<class>…, cases` on the
///   whole held-out volumes; `best.h5` holds the highest mean validation Dice;
/// - every checkpoint carries a `SegmentationDescription`, so that a checkpoint alone predicts;
/// - `samples/step-NNNNNN.png`: input | reference | prediction on the held-out slice with the most foreground.
///
/// Resuming also restores the patch sampler.
public final class SegmentationRun: TrainingRun {
    /// The resolved configuration.
    public typealias Configuration = SegmentationRunConfig
    public let configuration: ResolvedConfiguration<SegmentationRunConfig>
    public var config: SegmentationRunConfig { configuration.value }
    public var configYAML: String { configuration.yaml }
    public let record: RunRecord<SegmentationValidation>
    public let dataset: SegmentationDataset
    public let trainer: SegmentationTrainer

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
        self.configuration = configuration
        record = try RunRecord(claiming: directory, resume: resume)
        let root = SeededGenerator(seed: configuration.value.seed)
        dataset = try SegmentationDataset(files: files, config: configuration.value, generator: root.split(SeedStream.sampling))
        var weights = root.split(SeedStream.weights)
        trainer = Self.makeTrainer(configuration.value, seed: weights.next())
        try openFolder(resume: resume)
    }

    /// The trainer of a configuration, its weights initialised from `seed`.
    public static func makeTrainer(_ c: SegmentationRunConfig, seed: UInt64) -> SegmentationTrainer {
        SegmentationTrainer(config: networkConfig(c), learningRate: c.training.learningRate, seed: seed,
                            diceWeight: c.training.diceWeight, crossEntropyWeight: c.training.crossEntropyWeight,
                            includeBackground: c.training.diceIncludeBackground)
    }

    // MARK: - TrainingRun

    public static var command: String { "medsynth segment train" }
    public static var learningRateKey: String { "training.learningRate" }
    public var loopSettings: SegmentationTrainingConfig { config.training }
    public var resumableTrainer: any ResumableTrainer { trainer }
    public var baseLearningRate: Float { config.training.learningRate }

    public func trainStep() {
        trainer.setInput(dataset.nextBatch())
        trainer.optimizeParameters()
    }

    public var validationColumns: [String] {
        var columns = ["mean_dice"]
        for n in config.data.classNames { columns += ["dice_\(n)", "hd95_mm_\(n)", "hd95_undefined_\(n)"] }
        return columns + ["cases"]
    }

    public func saveRunState(into state: inout TrainingState) throws {
        state.setGenerator(dataset.generator, named: "run.sampler")
        try state.setJSON(segmentationDescription, named: SegmentationDescription.stateKey)
    }

    public func restoreRunState(from state: TrainingState) throws {
        dataset.generator = try state.generator(named: "run.sampler")
    }

    public func hyperparametersJSON() throws -> String {
        String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
    }

    public func summary(of outcome: RunOutcome) -> SegmentationSummary {
        SegmentationSummary(
            name: name, directory: directory.path,
            task: "\(config.data.inputModalities.map(\.rawValue).joined(separator: "+")) → \(config.data.classNames.joined(separator: ", "))",
            steps: outcome.steps, totalSteps: outcome.totalSteps, interrupted: outcome.interrupted, seconds: outcome.seconds,
            stepsPerSecond: outcome.stepsPerSecond, best: best, last: lastValidation, classNames: config.data.classNames,
            trainingCases: dataset.trainingCases.map(\.caseID), validationCases: dataset.validationCases.map(\.caseID),
            latestCheckpoint: latestCheckpoint.path, bestCheckpoint: best == nil ? nil : bestCheckpoint.path,
            report: reportFile.path)
    }

    /// The U-Net of a configuration.
    public static func networkConfig(_ c: SegmentationRunConfig) -> UNetSegmenterConfig {
        UNetSegmenterConfig(spatialRank: c.network.spatialRank, inputChannels: c.data.modalities.count,
                            classes: c.data.classLabels.count + 1, depth: c.network.depth, baseWidth: c.network.baseWidth,
                            norm: c.network.norm)
    }

    // MARK: - Validation

    /// The class map of a whole volume (argmax of the averaged softmax).
    public func predictClasses(_ item: SegmentationCase) -> [Float] {
        let classes = trainer.network.config.classes
        let p = trainer.probabilities(channels: item.channels, shape: item.shape, patch: Array(dataset.patch.suffix(3)),
                                      overlap: config.training.inferenceOverlap, batchSize: config.training.inferenceBatchSize)
        return SegmentationInference.labels(probabilities: p, classes: classes, voxelCount: item.shape.voxelCount)
    }

    /// Segments every held-out volume and scores it; writes a sample image.
    public func validateAndSample() throws -> SegmentationValidation {
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
        if let sample { try writeSample(sample.item, prediction: sample.prediction) }
        return SegmentationValidation(step: step, cases: scores, classCount: classCount)
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
        let scale = Float(max(1, config.data.classLabels.count))
        let range = (bestSlice * plane)..<((bestSlice + 1) * plane)
        let tiles = [item.channels[0][range].map { ($0 + 1) / 2 }, item.classes[range].map { $0 / scale },
                     prediction[range].map { $0 / scale }]
        try writeSampleImage(rows: [tiles.map { SampleTile($0, height: h, width: w) }])
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

    // MARK: - Report

    /// The report: the network, the task and the data, the best validation; Dice and HD95 curves.
    public var reportContent: RunReportContent {
        var metricNames = ["mean Dice"]
        for n in config.data.classNames { metricNames += ["Dice \(n)", "HD95 \(n) (mm)"] }
        let classNames = config.data.classNames
        let task = "\(config.data.inputModalities.map(\.rawValue).joined(separator: " + ")) → \(zip(config.data.classNames, config.data.classLabels).map { "\($0) = labels \($1.map(String.init).joined(separator: ","))" }.joined(separator: "; "))"
        var summary = ["\(config.network.spatialRank)-D U-Net (depth \(config.network.depth), width \(config.network.baseWidth), \(config.network.norm.rawValue) norm), \(task); step \(step) of \(config.training.steps), seed \(config.seed)",
                       "data: \(dataset.files.map(\.path).joined(separator: ", ")); \(dataset.trainingCaseCount) training cases, \(dataset.validationCases.count) held-out cases (\(dataset.validationCases.map(\.caseID).joined(separator: ", "))); patch \(dataset.patch.map(String.init).joined(separator: "×")), batch \(config.data.batchSize), foreground oversampling \(config.training.foregroundOversampling)"]
        if let best {
            var line = String(format: "best validation: step %d, mean Dice %.4f", best.step, best.meanDice)
            for (c, n) in classNames.enumerated() {
                line += String(format: "; %@: Dice %.4f, HD95 %@", n, best.dice[c], best.hd95MM[c].map { String(format: "%.2f mm", $0) } ?? "not defined")
            }
            summary.append(line + " (checkpoints/best.h5)")
        }
        summary.append("validation on whole held-out volumes (\(config.network.spatialRank == 2 ? "slice by slice" : "Gaussian-weighted sliding window, overlap \(config.training.inferenceOverlap)")); Dice and HD95 (mm, MONAI's convention) per case, averaged over cases; HD95 is left out of the mean where a mask is empty")
        return RunReportContent(title: "MedSynth segmentation run \(name)", summary: summary, metricNames: metricNames,
                                metrics: { row in
                                    var m: [String: Double] = ["mean Dice": row["mean_dice"] ?? .nan]
                                    for n in classNames {
                                        m["Dice \(n)"] = row["dice_\(n)"] ?? .nan
                                        m["HD95 \(n) (mm)"] = row["hd95_mm_\(n)"] ?? .nan
                                    }
                                    return m
                                }, sampleCaption: "input | reference | prediction")
    }
}

extension SegmentationValidation: RunValidation {
    /// The mean Dice picks `best.h5`.
    public var score: Double { meanDice }
    /// `mean_dice`, then per class Dice, HD95 (empty where not defined) and the cases without HD95, then the cases.
    public var csvFields: [String] {
        var row = [String(meanDice)]
        for c in dice.indices {
            row += [String(dice[c]), hd95MM[c].map { String($0) } ?? "", String(hd95Undefined[c])]
        }
        return row + [String(cases.count)]
    }
}

import Foundation
import MedCore
import MedIO
import MedMetrics
import MedNN
import MedTensor

/// One validation pass: A→B on the held-out slices, compared with the real B in physical units, inside the head
/// (label > 0) where the case has a label map.
public struct ValidationResult: Codable, Equatable, Sendable {
    /// The step after which it ran.
    public var step: Int
    /// PSNR in dB from the mean squared error over every evaluated voxel, with `dataRange`.
    public var psnrDB: Double
    /// Mean over slices of the 2-D SSIM (scikit-image default: 7×7 uniform window, sample covariance) averaged
    /// inside the head, with `dataRange`.
    public var ssim: Double
    /// Mean absolute error over every evaluated voxel, in `unit`.
    public var mae: Double
    /// The unit of `mae` and `dataRange` (HU, SUV, arbitrary).
    public var unit: String
    /// The output modality's window width (the output mapping's upper − lower), used as the data range.
    public var dataRange: Double
    /// Slices evaluated.
    public var slices: Int
    /// Of those, slices without a head mask (evaluated over the whole slice).
    public var unmaskedSlices: Int
}

/// The outcome of `TranslationRun.run`.
public struct TrainingSummary: Codable, Sendable {
    public var name: String
    public var directory: String
    public var model: String
    public var direction: String
    /// Steps completed (the step of `latest.h5`).
    public var steps: Int
    public var totalSteps: Int
    /// True when the run stopped early because it was asked to (Ctrl-C); `latest.h5` holds where it stopped.
    public var interrupted: Bool
    /// Wall seconds of this process's part of the run.
    public var seconds: Double
    public var stepsPerSecond: Double
    /// The best validation (highest SSIM) and the last one.
    public var best: ValidationResult?
    public var last: ValidationResult?
    public var latestCheckpoint: String
    public var bestCheckpoint: String?
    public var report: String
}

/// A translator training run in a folder (`medsynth train`): trains one of the four translators on slices of
/// MedSynth HDF5 datasets, logs losses, validates in physical units, saves checkpoints and keeps a report — the
/// `TrainingRun` skeleton with translation's data, validation and report.
///
/// Besides the skeleton's files (`RunFolder`):
/// - `validation.csv`: `step, psnr_db, ssim, mae, unit, data_range, slices, unmasked_slices`; `best.h5` holds the
///   highest validation SSIM;
/// - `samples/step-NNNNNN.png`: input | output | target | |error| for `sampleRows` held-out slices;
/// - `baselines.json` (the untrained network and the best affine mapping, scored before the first step) and
///   `split.json` (the exact data split, for peer implementations).
///
/// Resuming also restores the trainer's pools and random streams and the slice sampler.
public final class TranslationRun<Network: TranslatorOptions>: TrainingRun {
    /// The resolved configuration.
    public typealias Configuration = TranslationRunConfig<Network>
    public let configuration: ResolvedConfiguration<TranslationRunConfig<Network>>
    public var config: TranslationRunConfig<Network> { configuration.value }
    public var configYAML: String { configuration.yaml }
    public let record: RunRecord<ValidationResult>
    public let dataset: SliceDataset
    public let trainer: any TranslatorTrainer
    let outputMapping: IntensityMapping

    /// Sets up a run: loads the data, builds the trainer, and either starts a new folder or resumes one.
    /// - Parameters:
    ///   - configuration: the resolved configuration.
    ///   - files: the dataset files (the CLI resolves `data.files` or the built-in phantom).
    ///   - directory: the run folder.
    ///   - resume: continue from `checkpoints/latest.h5`.
    /// - Throws: `MedSynthError`: a new run in a folder that already holds one (`.invalidArgument`, suggesting
    ///   `--resume`), a resume without a checkpoint or with another configuration (`.mismatch`, naming the
    ///   differing keys), a case without a label map when `network.lesionL1Weight` > 0 (`.notFound`, naming the
    ///   file, the case and the key), data and checkpoint errors.
    public init(configuration: ResolvedConfiguration<TranslationRunConfig<Network>>, files: [URL], directory: URL,
                resume: Bool) throws {
        self.configuration = configuration
        record = try RunRecord(claiming: directory, resume: resume)
        let root = SeededGenerator(seed: configuration.value.seed)
        let l1 = configuration.value.network.lesionL1
        dataset = try SliceDataset(files: files, options: configuration.value.data.slices, generator: root.split(SeedStream.sampling),
                                   labelMapsRequiredBy: l1.isWeighted ? "network.lesionL1Weight = \(l1.weight)" : nil)
        var weights = root.split(SeedStream.weights)
        trainer = try configuration.value.network.makeTrainer(seed: weights.next())
        outputMapping = dataset.typicalMapping(.b)
        try checkSizes()
        try openFolder(resume: resume)
        if !resume { try writeSplit() }
    }

    // MARK: - TrainingRun

    public static var command: String { "medsynth train" }
    public static var learningRateKey: String { "network.learningRate" }
    public var loopSettings: TrainingLoopConfig { config.training }
    public var resumableTrainer: any ResumableTrainer { trainer }
    public var baseLearningRate: Float { config.network.learningRate }
    public func trainStep() { trainer.trainStep(dataset.nextBatch()) }
    public var validationColumns: [String] { ValidationResult.csvColumns }

    public func runWillStart(phase: (TrainingProgress.Phase) -> Void) throws {
        guard step == 0 && !FileManager.default.fileExists(atPath: baselinesFile.path) else { return }
        phase(.validating)
        try scoreBaselines()
    }

    public func validateAndSample() throws -> ValidationResult { try validate() }

    public func saveRunState(into state: inout TrainingState) throws {
        try state.setJSON(dataset.samplerState, named: "run.sampler")
        try state.setJSON(translatorDescription, named: TranslatorDescription.stateKey)
    }

    public func restoreRunState(from state: TrainingState) throws {
        try dataset.restore(try state.decodeJSON(SliceSamplerState.self, named: "run.sampler"))
    }

    public func hyperparametersJSON() throws -> String {
        String(decoding: try JSONEncoder().encode(config.network), as: UTF8.self)
    }

    public func summary(of outcome: RunOutcome) -> TrainingSummary {
        TrainingSummary(name: name, directory: directory.path, model: Network.kind.rawValue,
                        direction: "\(config.data.slices.modalityA.rawValue)→\(config.data.slices.modalityB.rawValue)",
                        steps: outcome.steps, totalSteps: outcome.totalSteps, interrupted: outcome.interrupted,
                        seconds: outcome.seconds, stepsPerSecond: outcome.stepsPerSecond, best: best, last: lastValidation,
                        latestCheckpoint: latestCheckpoint.path, bestCheckpoint: best == nil ? nil : bestCheckpoint.path,
                        report: reportFile.path)
    }

    /// Training crops and validation slices must fit the generator's size multiple.
    private func checkSizes() throws {
        let m = trainer.sideMultiple
        let shapes = dataset.cases.map(\.shapeA)
        let crop = config.data.slices.cropSize
        for s in shapes {
            let (h, w) = (crop ?? s.height, crop ?? s.width)
            guard h % m == 0 && w % m == 0 else {
                throw MedSynthError(.invalidArgument, "data.slices.cropSize",
                                    "gives \(h)×\(w) training images, but this \(Network.kind.rawValue) generator needs sides that are multiples of \(m); set cropSize to a multiple of \(m)")
            }
            if config.data.slices.validationCrop == .full {
                guard s.height % m == 0 && s.width % m == 0 else {
                    throw MedSynthError(.invalidArgument, "data.slices.validationCrop",
                                        "is full, but slices are \(s.height)×\(s.width), not multiples of \(m); set validationCrop to center (with a cropSize multiple of \(m))")
                }
            }
        }
    }

    // MARK: - Validation

    /// The validation pass (see `ValidationResult`); also writes `samples/step-NNNNNN.png`.
    public func validate() throws -> ValidationResult {
        var noise = SeededGenerator(seed: config.seed).split(SeedStream.validationNoise)   // every pass alike
        return try score(writeSamples: true) { batch in
            let out = trainer.translateAToB(batch.a, noise: &noise)
            return (0..<batch.samples.count).map { outputMapping.physicalValues(of: out.sliced(axis: 0, $0..<($0 + 1))) }
        }
    }

    /// Scores predictions of every held-out slice against the real B in physical units: PSNR and MAE over every
    /// voxel inside the head (pooled), SSIM per slice averaged inside the head, then over slices.
    /// - Parameter predict: physical B values of each slice of a batch ([H·W] each).
    func score(writeSamples: Bool, predict: (ValidationBatch) throws -> [[Float]]) throws -> ValidationResult {
        let count = dataset.validationSliceCount
        let rows = min(config.training.sampleRows, count)
        let chosen = Set((0..<rows).map { r in rows == 1 ? count / 2 : r * (count - 1) / (rows - 1) })
        var sampleRows: [[SampleTile]] = []
        var squared = 0.0, absolute = 0.0, voxels = 0, ssimSum = 0.0, slices = 0, unmasked = 0
        let range = outputMapping.width
        var index = 0
        for batch in dataset.validationBatches(batchSize: config.training.validationBatchSize) {
            let predictions = try predict(batch)
            let (h, w) = (batch.b.shape[2], batch.b.shape[3])
            let shape = VolumeShape(depth: 1, height: h, width: w)
            for n in 0..<batch.samples.count {
                let bN = batch.b.sliced(axis: 0, n..<(n + 1))
                let predicted = Volume(shape: shape, voxels: predictions[n])
                let target = Volume(shape: shape, voxels: batch.mappingsB[n].physicalValues(of: bN))
                let inside = batch.headMasks[n]
                let mask = try inside.map { try VoxelMask(shape: shape, isInside: $0) }
                let useMask = mask != nil && inside!.contains(true)
                for i in 0..<shape.voxelCount where !useMask || inside![i] {
                    let d = Double(predicted.voxels[i]) - Double(target.voxels[i])
                    squared += d * d
                    absolute += abs(d)
                    voxels += 1
                }
                var value: Double? = nil
                if useMask, let mask {
                    value = (try? SSIM.compute(target, predicted, dataRange: range, mask: mask))?.maskedMean
                }
                if value == nil {
                    unmasked += 1
                    value = try SSIM.mean(target, predicted, dataRange: range)
                }
                ssimSum += value!
                slices += 1
                if writeSamples && chosen.contains(index) {
                    sampleRows.append(sampleRow(a: batch.a.sliced(axis: 0, n..<(n + 1)).scalars,
                                                output: outputMapping.normalize(predictions[n]), b: bN.scalars, height: h, width: w))
                }
                index += 1
            }
        }
        guard slices > 0, voxels > 0 else {
            throw MedSynthError(.invalidArgument, "validation", "no held-out slice to validate on; raise data.slices.validationFraction")
        }
        let mse = squared / Double(voxels)
        if writeSamples { try writeSampleImage(rows: sampleRows) }
        return ValidationResult(step: step, psnrDB: ImageMetrics.psnr(mse: mse, dataRange: range),
                                ssim: ssimSum / Double(slices), mae: absolute / Double(voxels),
                                unit: outputMapping.unit.rawValue, dataRange: range, slices: slices, unmaskedSlices: unmasked)
    }

    /// A row of the sample image: input | output | target | |output − target| (all in their normalised windows; the
    /// error as a fraction of the output window, white = half the window or more).
    private func sampleRow(a: [Float], output: [Float], b: [Float], height: Int, width: Int) -> [SampleTile] {
        let error = zip(output, b).map { min(1, abs($0 - $1)) }
        return [a.map { ($0 + 1) / 2 }, output.map { ($0 + 1) / 2 }, b.map { ($0 + 1) / 2 }, error].map {
            SampleTile($0, height: height, width: width)
        }
    }

    // MARK: - Checkpoints

    /// The translator description saved with every checkpoint (for `medsynth translate`).
    public var translatorDescription: TranslatorDescription {
        let noise = trainer.inputNoise
        return TranslatorDescription(model: Network.kind, modalityA: config.data.slices.modalityA,
                                     modalityB: config.data.slices.modalityB,
                                     normalizationA: dataset.normalizationA, normalizationB: dataset.normalizationB,
                                     outputMappingA: dataset.typicalMapping(.a), outputMappingB: outputMapping,
                                     generators: trainer.generatorNames, noiseChannels: noise.channels, noiseStd: noise.std,
                                     sideMultiple: trainer.sideMultiple, step: step)
    }

    // MARK: - Report

    /// The report: what was trained on what, the best validation and the baselines; PSNR, SSIM and MAE curves.
    public var reportContent: RunReportContent {
        let a = config.data.slices.modalityA.rawValue, b = config.data.slices.modalityB.rawValue
        var summary = ["\(Network.kind.rawValue) \(a)→\(b), step \(step) of \(config.training.steps), seed \(config.seed)",
                       "data: \(dataset.files.map(\.path).joined(separator: ", ")); \(dataset.trainingCases.count) training cases (\(dataset.trainingSliceCountA) slices), \(dataset.validationCases.count) held-out cases (\(dataset.validationSliceCount) slices)"]
        if let best {
            summary.append(String(format: "best validation: step %d, SSIM %.4f, PSNR %.2f dB, MAE %.2f %@ (checkpoints/best.h5)",
                                  best.step, best.ssim, best.psnrDB, best.mae, best.unit))
        }
        if let data = FileManager.default.contents(atPath: baselinesFile.path),
           let b = try? runJSONDecoder().decode(TranslationBaselines.self, from: data) {
            for (what, r) in [("untrained network (step 0)", b.untrained),
                              (String(format: "best affine mapping of the input (%.4g·x %+.4g, fitted on the held-out slices)", b.affineSlope, b.affineIntercept), b.affine)] {
                summary.append(String(format: "baseline, %@: SSIM %.4f, PSNR %.2f dB, MAE %.2f %@", what, r.ssim, r.psnrDB, r.mae, r.unit))
            }
        }
        summary.append(String(format: "validation in physical units inside the head (label > 0); data range %.4g %@ (the output window %@)",
                              outputMapping.width, outputMapping.unit.rawValue, outputMapping.description))
        let mae = "MAE (\(outputMapping.unit.rawValue))"
        return RunReportContent(title: "MedSynth run \(name)", summary: summary, metricNames: ["PSNR (dB)", "SSIM", mae],
                                metrics: { row in ["PSNR (dB)": row["psnr_db"] ?? .nan, "SSIM": row["ssim"] ?? .nan, mae: row["mae"] ?? .nan] },
                                sampleCaption: "input | output | target | |error|")
    }
}

extension ValidationResult: RunValidation {
    /// `validation.csv`'s columns after the step.
    static let csvColumns = ["psnr_db", "ssim", "mae", "unit", "data_range", "slices", "unmasked_slices"]
    /// SSIM picks `best.h5`.
    public var score: Double { ssim }
    public var csvFields: [String] {
        [String(psnrDB), String(ssim), String(mae), unit, String(dataRange), String(slices), String(unmaskedSlices)]
    }
}

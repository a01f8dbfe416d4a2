import Dispatch
import Foundation
import MedCore
import MedIO
import MedMetrics
import MedNN
import MedTensor
import Yams

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

/// A translator training run in a folder (`medsynth train`): trains one of the three translators on slices of
/// MedSynth HDF5 datasets, logs losses, validates in physical units, saves checkpoints and keeps a report.
///
/// The folder (`Outputs/<name>/`):
/// - `config.yaml`: the resolved configuration, non-default settings listed in its header;
/// - `losses.csv`: `step, learning_rate, <loss names>` — means over each `logEvery` steps;
/// - `validation.csv`: `step, psnr_db, ssim, mae, unit, data_range, slices`;
/// - `checkpoints/latest.h5` (every validation, the end, and on interrupt), `checkpoints/best.h5` (highest
///   validation SSIM), `checkpoints/step-NNNNNN.h5` (every `checkpointEvery` steps);
/// - `samples/step-NNNNNN.png`: input | output | target | |error| for `sampleRows` held-out slices;
/// - `report.html` (self-contained: inline SVG curves, embedded sample grids, metric table, configuration);
/// - `summary.json`.
///
/// Resuming (`resume: true`) restores the networks, both optimizers, the trainer's pools and random streams,
/// the slice sampler, the loss accumulators and the best result from `checkpoints/latest.h5`, and truncates the
/// CSV files to that step, so an interrupted and resumed run ends with the same weights, bit for bit, as an
/// uninterrupted one. The learning rate is a function of the step.
///
/// A step whose loss is NaN or infinite stops the run with an error naming the loss and the step; that state is
/// not saved, so `latest.h5` stays the last good checkpoint.
public final class TranslationRun<Network: TranslatorOptions> {
    public let config: TranslationRunConfig<Network>
    /// The resolved configuration as written to `config.yaml`.
    public let configYAML: String
    /// The run folder.
    public let directory: URL
    /// One run per folder: held for the run's life (`RunFiles.claimRunFolder`).
    private let folderLock: OutputLock
    /// The run's name (the folder's name).
    public var name: String { directory.lastPathComponent }
    public let dataset: SliceDataset
    public let trainer: any TranslatorTrainer
    /// Steps completed.
    public private(set) var step = 0
    /// The best validation so far (highest SSIM).
    public private(set) var best: ValidationResult?
    /// The last validation.
    public private(set) var lastValidation: ValidationResult?

    private var lossSums: [String: Double] = [:]
    private var lossCount = 0
    let outputMapping: IntensityMapping

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

    /// Sets up a run: loads the data, builds the trainer, and either starts a new folder or resumes one.
    /// - Parameters:
    ///   - configuration: the resolved configuration.
    ///   - files: the dataset files (the CLI resolves `data.files` or the built-in phantom).
    ///   - directory: the run folder.
    ///   - resume: continue from `checkpoints/latest.h5`.
    /// - Throws: `MedSynthError`: a new run in a folder that already holds one (`.invalidArgument`, suggesting
    ///   `--resume`), a resume without a checkpoint or with another configuration (`.mismatch`, naming the
    ///   differing keys), data and checkpoint errors.
    public init(configuration: ResolvedConfiguration<TranslationRunConfig<Network>>, files: [URL], directory: URL,
                resume: Bool) throws {
        config = configuration.value
        configYAML = configuration.yaml
        self.directory = directory
        folderLock = try RunFiles.claimRunFolder(directory, resume: resume)
        let root = SeededGenerator(seed: config.seed)
        dataset = try SliceDataset(files: files, options: config.data.slices, generator: root.split(1))
        var weights = root.split(2)
        trainer = try config.network.makeTrainer(seed: weights.next())
        outputMapping = dataset.typicalMapping(.b)
        try checkSizes()
        if resume {
            try restore(from: latestCheckpoint)
        } else {
            try FileManager.default.createDirectory(at: checkpointsDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: samplesDirectory, withIntermediateDirectories: true)
            try RunFiles.writeAtomically(configYAML, to: configFile)
            try RunFiles.writeAtomically(lossHeader, to: lossesFile)
            try RunFiles.writeAtomically(Self.validationHeader, to: validationFile)
            try writeSplit()
        }
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

    // MARK: - The loop

    /// Trains to `training.steps`, validating, saving and reporting on the way.
    /// - Parameters:
    ///   - progress: called after every step and at each validation (on the calling thread).
    ///   - shouldStop: polled after every step; when it returns true the run saves `latest.h5`, writes the
    ///     report and returns with `interrupted: true`.
    /// - Throws: `MedSynthError(.invalidArgument)` for a non-finite loss (the state is not saved), write errors.
    @discardableResult
    public func run(progress: (TrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> TrainingSummary {
        let total = config.training.steps
        let started = DispatchTime.now().uptimeNanoseconds
        let firstStep = step
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        func rate() -> Double { step > firstStep ? Double(step - firstStep) / max(elapsed(), 1e-9) : 0 }
        func report(_ phase: TrainingProgress.Phase) {
            let r = rate()
            let losses = trainer.currentLosses()
            progress(TrainingProgress(phase: phase, step: step, totalSteps: total,
                                      losses: trainer.lossNames.compactMap { n in losses[n].map { (n, $0) } },
                                      stepsPerSecond: r, secondsLeft: r > 0 ? Double(total - step) / r : 0))
        }
        if step == 0 && !FileManager.default.fileExists(atPath: baselinesFile.path) {
            report(.validating)
            try scoreBaselines()
        }
        var interrupted = false
        var lossLog = ""
        let base = config.network.learningRate
        while step < total {
            let learningRate = base * config.training.learningRateFactor(step: step)
            trainer.setLearningRate(learningRate)
            trainer.trainStep(dataset.nextBatch())
            let losses = trainer.currentLosses()
            if let bad = trainer.lossNames.first(where: { !(losses[$0] ?? .nan).isFinite }) {
                try RunFiles.append(lossLog, to: lossesFile)
                let kept = FileManager.default.fileExists(atPath: latestCheckpoint.path)
                    ? "the last good checkpoint is \(latestCheckpoint.path)" : "no checkpoint was saved yet"
                throw MedSynthError(.invalidArgument, "step \(step + 1)",
                                    "loss \(bad) is \(losses[bad] ?? .nan); the run stopped and this state was not saved (\(kept)). Try a lower network.learningRate or check the data's normalisation")
            }
            step += 1
            for n in trainer.lossNames { lossSums[n, default: 0] += Double(losses[n] ?? 0) }
            lossCount += 1
            if step % config.training.logEvery == 0 || step == total {
                lossLog += lossRow(learningRate: learningRate)
                lossSums = [:]
                lossCount = 0
            }
            report(.training)
            let isLast = step == total
            let stopping = !isLast && shouldStop()
            if step % config.training.validateEvery == 0 || isLast || stopping {
                try RunFiles.append(lossLog, to: lossesFile)
                lossLog = ""
                if !stopping {
                    report(.validating)
                    try validateAndSample()
                }
                report(.saving)
                try saveCheckpoints(numbered: !stopping && config.training.checkpointEvery > 0
                                    && step % config.training.checkpointEvery == 0)
                try writeReport()
            } else if config.training.checkpointEvery > 0 && step % config.training.checkpointEvery == 0 {
                try RunFiles.append(lossLog, to: lossesFile)
                lossLog = ""
                report(.saving)
                try saveCheckpoints(numbered: true)
            }
            if stopping {
                interrupted = true
                break
            }
        }
        let seconds = elapsed()
        let summary = TrainingSummary(name: name, directory: directory.path, model: Network.kind.rawValue,
                                      direction: "\(config.data.slices.modalityA.rawValue)→\(config.data.slices.modalityB.rawValue)",
                                      steps: step, totalSteps: total, interrupted: interrupted, seconds: seconds,
                                      stepsPerSecond: rate(), best: best, last: lastValidation,
                                      latestCheckpoint: latestCheckpoint.path,
                                      bestCheckpoint: best == nil ? nil : bestCheckpoint.path, report: reportFile.path)
        let encoder = runJSONEncoder()
        try RunFiles.writeAtomically(String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n", to: summaryFile)
        return summary
    }

    // MARK: - Losses

    private var lossHeader: String { (["step", "learning_rate"] + trainer.lossNames).joined(separator: ",") + "\n" }

    private func lossRow(learningRate: Float) -> String {
        let values = trainer.lossNames.map { String(lossSums[$0, default: 0] / Double(max(lossCount, 1))) }
        return ([String(step), String(learningRate)] + values).joined(separator: ",") + "\n"
    }

    // MARK: - Validation

    static var validationHeader: String { "step,psnr_db,ssim,mae,unit,data_range,slices,unmasked_slices\n" }

    /// Translates every held-out slice, scores it, writes the sample grid and appends to `validation.csv`.
    func validateAndSample() throws {
        let result = try validate()
        lastValidation = result
        try RunFiles.append([String(result.step), String(result.psnrDB), String(result.ssim), String(result.mae), result.unit,
                        String(result.dataRange), String(result.slices), String(result.unmaskedSlices)]
                        .joined(separator: ",") + "\n", to: validationFile)
        if best == nil || result.ssim > best!.ssim {
            best = result
            try trainer.checkpoint(hyperparameters: hyperparametersJSON()).save(to: bestCheckpoint, trainingState: try state())
        }
    }

    /// The validation pass (see `ValidationResult`); also writes `samples/step-NNNNNN.png`.
    public func validate() throws -> ValidationResult {
        var noise = SeededGenerator(seed: config.seed).split(0x7661_6c69)   // fixed per pass: every pass alike
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
        var tiles: [(a: [Float], out: [Float], b: [Float], h: Int, w: Int)] = []
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
                    tiles.append((batch.a.sliced(axis: 0, n..<(n + 1)).scalars, outputMapping.normalize(predictions[n]), bN.scalars, h, w))
                }
                index += 1
            }
        }
        guard slices > 0, voxels > 0 else {
            throw MedSynthError(.invalidArgument, "validation", "no held-out slice to validate on; raise data.slices.validationFraction")
        }
        let mse = squared / Double(voxels)
        if writeSamples { try writeSampleGrid(tiles) }
        return ValidationResult(step: step, psnrDB: mse > 0 ? 10 * log10(range * range / mse) : .infinity,
                                ssim: ssimSum / Double(slices), mae: absolute / Double(voxels),
                                unit: outputMapping.unit.rawValue, dataRange: range, slices: slices, unmaskedSlices: unmasked)
    }

    /// samples/step-NNNNNN.png: one row per chosen slice, input | output | target | |output − target| (all in
    /// their normalised windows; the error as a fraction of the output window, white = half the window or more).
    private func writeSampleGrid(_ tiles: [(a: [Float], out: [Float], b: [Float], h: Int, w: Int)]) throws {
        guard !tiles.isEmpty else { return }
        let h = tiles.map(\.h).max()!, w = tiles.map(\.w).max()!
        let gap = 2
        let width = 4 * w + 3 * gap, height = tiles.count * h + (tiles.count - 1) * gap
        var pixels = [Float](repeating: 1, count: width * height)
        for (r, t) in tiles.enumerated() {
            let error = zip(t.out, t.b).map { min(1, abs($0 - $1)) }
            for (c, values) in [t.a.map { ($0 + 1) / 2 }, t.out.map { ($0 + 1) / 2 }, t.b.map { ($0 + 1) / 2 }, error].enumerated() {
                for y in 0..<t.h {
                    for x in 0..<t.w {
                        let v = values[y * t.w + x]
                        pixels[(r * (h + gap) + y) * width + c * (w + gap) + x] = v.isFinite ? min(1, max(0, v)) : 0
                    }
                }
            }
        }
        let url = samplesDirectory.appendingPathComponent(String(format: "step-%06d.png", step))
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        try PNGFile.write(Volume(shape: VolumeShape(depth: 1, height: height, width: width), voxels: pixels), to: temporary,
                          bitDepth: 8, window: try IntensityWindow(lowerValue: 0, upperValue: 1))
        try RunFiles.replace(url, with: temporary)
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

    private func hyperparametersJSON() throws -> String {
        String(decoding: try JSONEncoder().encode(config.network), as: UTF8.self)
    }

    /// Everything besides networks and optimizers that the next steps depend on.
    func state() throws -> TrainingState {
        var state = TrainingState()
        trainer.saveState(into: &state)
        try state.setJSON(dataset.samplerState, named: "run.sampler")
        try state.setJSON(translatorDescription, named: TranslatorDescription.stateKey)
        state.integers["run.step"] = step
        state.integers["run.lossCount"] = lossCount
        for (n, v) in lossSums { state.numbers["run.lossSum.\(n)"] = v }
        if let best { try state.setJSON(best, named: "run.best") }
        if let lastValidation { try state.setJSON(lastValidation, named: "run.last") }
        state.strings["run.config"] = RunFiles.canonical(configYAML)
        return state
    }

    private func saveCheckpoints(numbered: Bool) throws {
        let checkpoint = trainer.checkpoint(hyperparameters: try hyperparametersJSON())
        let state = try state()
        try checkpoint.save(to: latestCheckpoint, trainingState: state)
        if numbered {
            try checkpoint.save(to: checkpointsDirectory.appendingPathComponent(String(format: "step-%06d.h5", step)),
                                trainingState: state)
        }
    }

    private func restore(from url: URL) throws {
        let contents = try CheckpointContents.read(from: url)
        if let saved = contents.trainingState.strings["run.config"], saved != RunFiles.canonical(configYAML) {
            let differences = RunFiles.differences(saved, RunFiles.canonical(configYAML))
            throw MedSynthError(.mismatch, url.path,
                                "was saved with another configuration (\(differences)); resume with the run's own config.yaml, or start a new run with --name")
        }
        try trainer.checkpoint().load(contents)
        try trainer.restoreState(from: contents.trainingState)
        try dataset.restore(try contents.trainingState.decodeJSON(SliceSamplerState.self, named: "run.sampler"))
        let s = contents.trainingState
        guard let saved = s.integers["run.step"], saved >= 0 else {
            throw MedSynthError(.corrupt, url.path, "has no run.step in its training state; expected a checkpoint written by medsynth train")
        }
        step = saved
        lossCount = s.integers["run.lossCount"] ?? 0
        lossSums = [:]
        for n in trainer.lossNames { if let v = s.numbers["run.lossSum.\(n)"] { lossSums[n] = v } }
        best = s.strings["run.best"] == nil ? nil : try s.decodeJSON(ValidationResult.self, named: "run.best")
        lastValidation = s.strings["run.last"] == nil ? nil : try s.decodeJSON(ValidationResult.self, named: "run.last")
        try RunFiles.truncateCSV(lossesFile, header: lossHeader, toStep: step)
        try RunFiles.truncateCSV(validationFile, header: Self.validationHeader, toStep: step)
    }

    // MARK: - Report

    /// Writes report.html from the CSV files, the sample grids and the configuration.
    public func writeReport() throws {
        let losses = RunFiles.readCSV(lossesFile).map { row in
            RunReport.LossRow(step: Int(row["step"] ?? 0), losses: row.filter { $0.key != "step" && $0.key != "learning_rate" })
        }
        let metrics = RunFiles.readCSV(validationFile).map { row in
            RunReport.MetricRow(step: Int(row["step"] ?? 0),
                                metrics: ["PSNR (dB)": row["psnr_db"] ?? .nan, "SSIM": row["ssim"] ?? .nan,
                                          "MAE (\(outputMapping.unit.rawValue))": row["mae"] ?? .nan])
        }
        let grids = ((try? FileManager.default.contentsOfDirectory(atPath: samplesDirectory.path)) ?? [])
            .filter { $0.hasPrefix("step-") && $0.hasSuffix(".png") }.sorted()
        let shown = grids.count <= 4 ? grids : [grids[0]] + grids.suffix(3)
        let figures = shown.compactMap { file -> RunReport.Figure? in
            guard let data = FileManager.default.contents(atPath: samplesDirectory.appendingPathComponent(file).path) else { return nil }
            return RunReport.Figure(caption: "\(file): input | output | target | |error|", png: data)
        }
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
        let report = RunReport(title: "MedSynth run \(name)", summary: summary,
                               lossNames: trainer.lossNames, losses: losses,
                               metricNames: ["PSNR (dB)", "SSIM", "MAE (\(outputMapping.unit.rawValue))"], metrics: metrics,
                               figures: figures, configuration: configYAML)
        try RunFiles.writeAtomically(report.html(), to: reportFile)
    }
}

import Foundation
import MedCore
import MedTraining
import MedIO
import MedNN
import MedTensor

/// What `medsynth bench translate` measured (snake_case fields, as benchmarks/torch_translate.py prints them).
public struct TranslationBenchResult: Codable, Sendable {
    /// Slices of the input volume.
    public var slices: Int
    /// Slice height and width.
    public var height: Int
    public var width: Int
    /// Generator filters and residual blocks.
    public var ngf: Int
    public var n_blocks: Int
    /// Slices per network call.
    public var batch: Int
    /// Worker threads (`MEDSYNTH_THREADS` or the cores).
    public var threads: Int
    /// Every repetition's wall time from loading the checkpoint to the written NIfTI, in seconds.
    public var seconds_all: [Double]
    /// Their median.
    public var seconds_median: Double
    /// The median of the translation part (normalising, network, mapping back).
    public var translate_seconds_median: Double
    /// `slices / seconds_median`.
    public var slices_per_second: Double
    /// Peak resident memory of the process, MB.
    public var peak_rss_mb: Double
    /// The OpenBLAS kernel family.
    public var blas_core: String
}

/// The translation benchmark: a CycleGAN checkpoint as `medsynth train` writes it (four networks, two Adam
/// optimizers, a translator description for CT → T1) and the timed path a user runs — load the checkpoint,
/// read the NIfTI input, translate every slice, write the NIfTI output (`TranslationJob`).
public enum TranslationBenchmark {
    /// Writes a CycleGAN checkpoint as a training run does, with a translator description: A = CT (the standard
    /// −1024…2000 HU window), B = T1 (percentiles 0.5…99.9 per volume, output window `t1Window`), generators
    /// G_A (A→B) and G_B (B→A), side multiple 4, step 1. The networks are initialised from `seed` and take one
    /// training step on random 32-pixel images, so that the file also holds both optimizers' Adam moments (their
    /// shapes do not depend on the image size): about three times the weights' bytes, as in a real run.
    /// - Parameters:
    ///   - url: the checkpoint file (written atomically).
    ///   - options: the CycleGAN options (the defaults: ngf 64, 9 residual blocks — the reference's `resnet_9blocks`).
    ///   - seed: the weights' seed.
    ///   - t1Window: the T1 output window (a training run's typical window: fit one to a T1 volume).
    /// - Throws: `MedSynthError` naming `url` when it cannot be written.
    public static func writeCycleGANCheckpoint(to url: URL, options: CycleGANOptions = CycleGANOptions(), seed: UInt64,
                                               t1Window: IntensityMapping) throws {
        let trainer = CycleGANTrainer(options: options, seed: seed)
        var images = SeededGenerator(seed: seed).split(1)
        let side = 32
        trainer.setInput(UnpairedBatch(realA: Tensor.uniform([1, options.inputChannels, side, side], lower: -1, upper: 1, using: &images),
                                       realB: Tensor.uniform([1, options.outputChannels, side, side], lower: -1, upper: 1, using: &images)))
        trainer.optimizeParameters()
        let ct = IntensityNormalization.standard(for: .ct), t1 = IntensityNormalization.standard(for: .t1)
        let description = TranslatorDescription(
            model: .cyclegan, modalityA: .ct, modalityB: .t1, normalizationA: ct, normalizationB: t1,
            outputMappingA: ct.fixedMapping(modality: .ct)!, outputMappingB: t1Window,
            generators: ["AtoB": "G_A", "BtoA": "G_B"], noiseChannels: 0, noiseStd: 0, sideMultiple: 4, step: 1)
        var state = TrainingState()
        try description.store(in: &state)
        try trainer.checkpoint().save(to: url, trainingState: state)
    }

    /// Translates `input` to `output` `repetitions` times with `TranslationJob` (each run loads the checkpoint
    /// anew) and reports the median.
    /// - Parameters:
    ///   - checkpoint: a checkpoint from `writeCycleGANCheckpoint`.
    ///   - input: a CT NIfTI volume.
    ///   - output: the NIfTI output (rewritten each repetition).
    ///   - batch: slices per network call.
    ///   - repetitions: timed runs (≥ 1).
    ///   - progress: called with a line after each run.
    /// - Throws: the errors of `TranslationJob.run`.
    public static func run(checkpoint: URL, input: URL, output: URL, batch: Int, repetitions: Int,
                           progress: (String) -> Void = { _ in }) throws -> TranslationBenchResult {
        var seconds: [Double] = [], translate: [Double] = []
        var last: TranslationSummary?
        for n in 0..<max(1, repetitions) {
            let summary = try TranslationJob.run(TranslationRequest(checkpoint: checkpoint, input: input, output: output,
                                                                    options: TranslationOptions(batchSize: batch)))
            seconds.append(summary.seconds)
            translate.append(summary.translateSeconds)
            last = summary
            progress(String(format: "run %d/%d: %.2f s (translation %.2f s, %.2f slices/s)", n + 1, repetitions,
                            summary.seconds, summary.translateSeconds, summary.slicesPerSecond))
        }
        let contents = try CheckpointContents.read(from: checkpoint)
        guard case .resnetGenerator(let config)? = contents.architectures["G_A"] else {
            throw MedSynthError(.unsupported, checkpoint.path, "has no ResnetGenerator G_A; expected a checkpoint from writeCycleGANCheckpoint")
        }
        let shape = try NIfTIFile.read(output).volume.shape
        let median = median(seconds)
        let round = { (v: Double) in (v * 1000).rounded() / 1000 }
        return TranslationBenchResult(
            slices: last?.slices ?? 0, height: shape.height, width: shape.width, ngf: config.filters, n_blocks: config.blocks,
            batch: batch, threads: Parallel.workerCount, seconds_all: seconds.map(round), seconds_median: round(median),
            translate_seconds_median: round(Self.median(translate)),
            slices_per_second: round(Double(last?.slices ?? 0) / max(median, 1e-9)),
            peak_rss_mb: (EngineBenchmark.peakResidentMegabytes() * 10).rounded() / 10, blas_core: BLASRuntime.coreName)
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

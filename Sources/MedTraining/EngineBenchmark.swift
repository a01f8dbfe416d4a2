import Foundation
import MedCore
import MedNN
import MedTensor
#if canImport(Glibc)
import Glibc
#endif

/// One configuration of the engine benchmark: a CycleGAN step (image side, generator filters, residual blocks)
/// or a U-Net segmenter step (`seg2d`, `seg3d`: patch side, base width, depth, batch).
public struct EngineBenchConfig: Codable, Equatable, Sendable, CustomStringConvertible {
    /// What one timed step trains.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The CycleGAN step (two generators, two discriminators) plus one translated slice.
        case cycleGAN = "cyclegan"
        /// The 2-D U-Net segmenter step (Dice + cross-entropy, Adam).
        case seg2d
        /// The 3-D U-Net segmenter step.
        case seg3d
    }

    /// What is trained.
    public var kind: Kind
    /// Image side in pixels (square, 1 channel); for the segmenters the patch side (square or cubic).
    public var size: Int
    /// `ngf` = `ndf` (CycleGAN), or the U-Net's base width (channels of its first level).
    public var filters: Int
    /// Residual blocks of each generator (CycleGAN), or the U-Net's depth (poolings).
    public var blocks: Int
    /// Images (CycleGAN: 1) or patches per batch.
    public var batch: Int

    /// A CycleGAN configuration.
    public init(size: Int, filters: Int, blocks: Int) {
        self.kind = .cycleGAN
        self.size = size
        self.filters = filters
        self.blocks = blocks
        self.batch = 1
    }

    /// A segmenter configuration: `kind` seg2d or seg3d, patch side `size`, base width, depth, batch.
    public init(segmenter kind: Kind, size: Int, width: Int, depth: Int, batch: Int) {
        precondition(kind != .cycleGAN, "EngineBenchConfig(segmenter:) needs seg2d or seg3d")
        self.kind = kind
        self.size = size
        self.filters = width
        self.blocks = depth
        self.batch = batch
    }

    /// The three CycleGAN configurations of the issue: (64, 32, 6), (128, 64, 6), (256, 64, 9).
    public static let standard = [EngineBenchConfig(size: 64, filters: 32, blocks: 6),
                                  EngineBenchConfig(size: 128, filters: 64, blocks: 6),
                                  EngineBenchConfig(size: 256, filters: 64, blocks: 9)]

    /// `seg2d`: the validation experiment's segmenter (2-D, depth 3, width 16, instance norm), batch 8 of 1×64×64.
    public static let seg2d = EngineBenchConfig(segmenter: .seg2d, size: 64, width: 16, depth: 3, batch: 8)
    /// `seg3d`: the 3-D U-Net of depth 3 and width 8, batch 2 of 1×64×64×64.
    public static let seg3d = EngineBenchConfig(segmenter: .seg3d, size: 64, width: 8, depth: 3, batch: 2)

    /// The configurations `medsynth bench engine` runs by default: 64, 128, 256, seg2d, seg3d.
    public static let defaults = standard + [seg2d, seg3d]

    /// Whether the step is a segmenter's (no translation is timed).
    public var isSegmenter: Bool { kind != .cycleGAN }

    /// The spatial rank of the images: 3 for seg3d, else 2.
    public var spatialRank: Int { kind == .seg3d ? 3 : 2 }

    /// Timed steps by default: 10 / 5 / 3 by size (as benchmarks/torch_reference.py); seg2d 10, seg3d 3.
    public var defaultSteps: Int {
        switch kind {
        case .cycleGAN: return size <= 64 ? 10 : size <= 128 ? 5 : 3
        case .seg2d: return 10
        case .seg3d: return 3
        }
    }

    /// The forms `init(parsing:)` accepts, for error messages.
    public static let accepted = "size:ngf:blocks (size a multiple of 4, ≥ 8), one of 64, 128, 256, seg2d, seg3d, "
        + "or seg2d|seg3d:size:width:depth:batch (size a multiple of 2^depth)"

    /// Parses `size:ngf:blocks`, one of the standard sizes (64, 128, 256), `seg2d`, `seg3d`, or
    /// `seg2d:size:width:depth:batch` / `seg3d:…` (a segmenter of another size).
    public init?(parsing text: String) {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if let first = fields.first, let kind = Kind(rawValue: first.lowercased()), kind != .cycleGAN {
            if fields.count == 1 {
                self = kind == .seg2d ? Self.seg2d : Self.seg3d
                return
            }
            let v = fields.dropFirst().map { Int($0) }
            guard v.count == 4, let s = v[0], let w = v[1], let d = v[2], let b = v[3],
                  w > 0, (0...7).contains(d), b > 0, s > 0, s % (1 << d) == 0 else { return nil }
            self.init(segmenter: kind, size: s, width: w, depth: d, batch: b)
            return
        }
        let parts = fields.map { Int($0) }
        if parts.count == 3, let s = parts[0], let f = parts[1], let b = parts[2], s >= 8, s % 4 == 0, f > 0, b >= 0 {
            self.init(size: s, filters: f, blocks: b)
        } else if parts.count == 1, let s = parts[0], let std = Self.standard.first(where: { $0.size == s }) {
            self = std
        } else {
            return nil
        }
    }

    /// `size:ngf:blocks`; `seg2d` / `seg3d` for the standard segmenters, else `seg2d:size:width:depth:batch`.
    public var description: String {
        switch kind {
        case .cycleGAN: return "\(size):\(filters):\(blocks)"
        case .seg2d, .seg3d:
            if self == Self.seg2d || self == Self.seg3d { return kind.rawValue }
            return "\(kind.rawValue):\(size):\(filters):\(blocks):\(batch)"
        }
    }
}

/// What one configuration measured (field names match benchmarks/torch_reference.py's JSON). The CycleGAN fields
/// (`ngf`, `n_blocks`, `gan_mode`, `translate_*`, `parameters_G`/`_D`) are nil — absent from the JSON — for the
/// segmenters, whose own fields (`spatial_rank`, `batch`, `base_width`, `depth`) are nil for CycleGAN.
public struct EngineBenchResult: Codable, Sendable {
    /// The configuration's name: `size:ngf:blocks`, `seg2d`, `seg3d` (`EngineBenchConfig.description`).
    public var config: String
    /// cyclegan, seg2d or seg3d.
    public var kind: String
    /// Image (or patch) side.
    public var size: Int
    public var ngf: Int?
    public var n_blocks: Int?
    /// The adversarial loss of the timed step (lsgan, or wgangp with the gradient penalty).
    public var gan_mode: String?
    /// 2 or 3 (segmenters).
    public var spatial_rank: Int?
    /// Patches per batch (segmenters).
    public var batch: Int?
    /// The U-Net's base width and depth (segmenters).
    public var base_width: Int?
    public var depth: Int?
    public var steps_timed: Int
    public var warmup_steps: Int
    public var train_ms_median: Double
    public var train_ms_mean: Double
    public var train_ms_min: Double
    public var train_ms_all: [Double]
    public var translate_ms_median: Double?
    public var translate_ms_min: Double?
    public var peak_rss_mb: Double
    /// Minor page faults per timed training step (first touches of fresh memory: allocation churn shows here).
    public var page_faults_per_step: Double
    /// Every parameter the step trains (CycleGAN: both generators and both discriminators; the segmenter's U-Net).
    public var parameters: Int
    public var parameters_G: Int?
    public var parameters_D: Int?
    /// The OpenBLAS kernel family that ran the matrix products ("SkylakeX", "Haswell", …).
    public var blas_core: String
    /// The losses of the last timed step (a sanity value: finite, and it falls over steps).
    public var last_losses: [String: Float]
}

/// Times the CycleGAN training step of ../shared/reference/torch_cyclegan_step.py (the `CycleGANTrainer` with
/// ngf = ndf, 1-channel images, batch 1, LSGAN, λ_cycle 10, λ_identity 0.5, Adam 2e-4 β (0.5, 0.999)) and the
/// translation of one slice by G_A, on uniform random images in [−1, 1].
///
/// The image pool is off (capacity 0), as in the PyTorch benchmark: with batch 1 it only chooses which image
/// D sees, not how much work is done. With `ganMode` wgangp the step is the WGAN-GP one (critic losses and the
/// gradient penalty, back-propagated through second-order gradients), as torch_reference.py `--gan-mode wgangp`.
///
/// The segmenter configurations (`seg2d`, `seg3d`) time one `SegmentationTrainer.step`: the `UNetSegmenter`
/// (1 input channel, 2 classes, instance norm) forward, the segmentation run's loss (soft Dice without the
/// background + cross-entropy, weights 1 and 1), backward and an Adam step at lr 1e-3, on a uniform random batch in
/// [−1, 1] with random binary labels (each voxel foreground with probability 1/4).
public enum EngineBenchmark {
    /// Runs `warmup` untimed steps, `steps` individually timed steps, then (CycleGAN only) 4 × `steps` timed
    /// translations.
    /// - Parameters:
    ///   - ganMode: the CycleGAN step's adversarial loss (ignored by the segmenters).
    ///   - progress: called with a line after each timed step.
    public static func run(_ config: EngineBenchConfig, steps: Int, warmup: Int, seed: UInt64,
                           ganMode: GANLoss.Mode = .lsgan, progress: (String) -> Void = { _ in }) -> EngineBenchResult {
        if config.isSegmenter {
            return runSegmenter(config, steps: steps, warmup: warmup, seed: seed, progress: progress)
        }
        var options = CycleGANOptions()
        options.ganMode = ganMode
        options.generatorFilters = config.filters
        options.discriminatorFilters = config.filters
        options.residualBlocks = config.blocks
        options.poolSize = 0
        let trainer = CycleGANTrainer(options: options, seed: seed)
        var g = SeededGenerator(seed: seed).split(100)
        let shape = [1, 1, config.size, config.size]
        let realA = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        let realB = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        trainer.setInput(UnpairedBatch(realA: realA, realB: realB))
        let (times, faultsPerStep) = timedSteps(steps: steps, warmup: warmup, progress: progress) {
            trainer.optimizeParameters()
        }
        let x = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        _ = trainer.translate(x)
        var translate: [Double] = []
        for _ in 0..<(4 * steps) {
            let t = Clock.now()
            _ = trainer.translate(x)
            translate.append(Clock.milliseconds(since: t))
        }
        let round = { (v: Double, places: Double) in (v * places).rounded() / places }
        let parametersG = trainer.generatorA.parameterCount, parametersD = trainer.discriminatorA.parameterCount
        return EngineBenchResult(
            config: config.description, kind: config.kind.rawValue, size: config.size, ngf: config.filters,
            n_blocks: config.blocks, gan_mode: ganMode.rawValue, steps_timed: steps, warmup_steps: warmup,
            train_ms_median: round(median(times), 100), train_ms_mean: round(times.reduce(0, +) / Double(times.count), 100),
            train_ms_min: round(times.min() ?? 0, 100), train_ms_all: times.map { round($0, 10) },
            translate_ms_median: round(median(translate), 1000), translate_ms_min: round(translate.min() ?? 0, 1000),
            peak_rss_mb: round(peakResidentMegabytes(), 10), page_faults_per_step: round(faultsPerStep, 10),
            parameters: trainer.generatorA.parameterCount + trainer.generatorB.parameterCount
                + trainer.discriminatorA.parameterCount + trainer.discriminatorB.parameterCount,
            parameters_G: parametersG, parameters_D: parametersD,
            blas_core: BLASRuntime.coreName, last_losses: trainer.currentLosses())
    }

    /// The network of a segmenter configuration: 1 input channel, 2 classes, instance norm.
    public static func segmenterNetworkConfig(_ config: EngineBenchConfig) -> UNetSegmenterConfig {
        UNetSegmenterConfig(spatialRank: config.spatialRank, inputChannels: 1, classes: 2, depth: config.blocks,
                            baseWidth: config.filters, norm: .instance)
    }

    /// The deterministic batch of a segmenter configuration: images [batch, 1, size…] uniform in [−1, 1], labels
    /// [batch, size…] 1 with probability 1/4, else 0.
    public static func segmenterBatch(_ config: EngineBenchConfig, seed: UInt64) -> (images: Tensor, labels: Tensor) {
        var g = SeededGenerator(seed: seed).split(100)
        let spatial = [Int](repeating: config.size, count: config.spatialRank)
        let images = Tensor.uniform([config.batch, 1] + spatial, lower: -1, upper: 1, using: &g)
        let count = config.batch * spatial.reduce(1, *)
        let labels = Tensor((0..<count).map { _ in Float.random(in: 0..<1, using: &g) < 0.25 ? 1 : 0 },
                            shape: [config.batch] + spatial)
        return (images, labels)
    }

    /// Times the segmenter step of a seg2d / seg3d configuration (see the type's description).
    static func runSegmenter(_ config: EngineBenchConfig, steps: Int, warmup: Int, seed: UInt64,
                             progress: (String) -> Void) -> EngineBenchResult {
        // As SegmentationRun.makeTrainer with the run's defaults (Dice 1 without background, cross-entropy 1).
        let defaults = SegmentationTrainingConfig()
        let trainer = SegmentationTrainer(config: segmenterNetworkConfig(config), learningRate: 1e-3, seed: seed,
                                          diceWeight: defaults.diceWeight, crossEntropyWeight: defaults.crossEntropyWeight,
                                          includeBackground: defaults.diceIncludeBackground)
        trainer.setInput(segmenterBatch(config, seed: seed))
        let (times, faultsPerStep) = timedSteps(steps: steps, warmup: warmup, progress: progress) {
            trainer.optimizeParameters()
        }
        let round = { (v: Double, places: Double) in (v * places).rounded() / places }
        return EngineBenchResult(
            config: config.description, kind: config.kind.rawValue, size: config.size,
            spatial_rank: config.spatialRank, batch: config.batch, base_width: config.filters, depth: config.blocks,
            steps_timed: steps, warmup_steps: warmup,
            train_ms_median: round(median(times), 100), train_ms_mean: round(times.reduce(0, +) / Double(max(1, times.count)), 100),
            train_ms_min: round(times.min() ?? 0, 100), train_ms_all: times.map { round($0, 10) },
            peak_rss_mb: round(peakResidentMegabytes(), 10), page_faults_per_step: round(faultsPerStep, 10),
            parameters: trainer.network.parameterCount, blas_core: BLASRuntime.coreName,
            last_losses: trainer.currentLosses())
    }

    /// Runs `step` `warmup` times untimed, then `steps` times timed: the milliseconds of each timed step and the
    /// minor page faults per timed step.
    private static func timedSteps(steps: Int, warmup: Int, progress: (String) -> Void,
                                   _ step: () -> Void) -> (times: [Double], faultsPerStep: Double) {
        for _ in 0..<warmup { step() }
        var times: [Double] = []
        let faultsBefore = minorPageFaults()
        for i in 0..<steps {
            let t = Clock.now()
            step()
            times.append(Clock.milliseconds(since: t))
            progress("step \(i + 1)/\(steps): \(String(format: "%.1f", times.last!)) ms")
        }
        return (times, Double(minorPageFaults() - faultsBefore) / Double(max(1, steps)))
    }

    /// The process's peak resident set size in MB (getrusage ru_maxrss, KiB on Linux), as the PyTorch script.
    public static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Minor page faults of the process so far (getrusage ru_minflt).
    public static func minorPageFaults() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_minflt
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// Monotonic wall-clock time.
enum Clock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func milliseconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
}

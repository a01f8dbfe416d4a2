import Foundation
import MedCore
import MedNN
import MedTensor
#if canImport(Glibc)
import Glibc
#endif

/// One configuration of the engine benchmark: image side, generator filters, residual blocks.
public struct EngineBenchConfig: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Image side in pixels (square, 1 channel).
    public var size: Int
    /// `ngf` = `ndf`.
    public var filters: Int
    /// Residual blocks of each generator.
    public var blocks: Int

    public init(size: Int, filters: Int, blocks: Int) {
        self.size = size
        self.filters = filters
        self.blocks = blocks
    }

    /// The three configurations of the issue: (64, 32, 6), (128, 64, 6), (256, 64, 9).
    public static let standard = [EngineBenchConfig(size: 64, filters: 32, blocks: 6),
                                  EngineBenchConfig(size: 128, filters: 64, blocks: 6),
                                  EngineBenchConfig(size: 256, filters: 64, blocks: 9)]

    /// Timed steps by default: 10 / 5 / 3 by size, as benchmarks/torch_reference.py.
    public var defaultSteps: Int { size <= 64 ? 10 : size <= 128 ? 5 : 3 }

    /// Parses `size:ngf:blocks` or one of the standard sizes (64, 128, 256).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 3, let s = parts[0], let f = parts[1], let b = parts[2], s >= 8, s % 4 == 0, f > 0, b >= 0 {
            self.init(size: s, filters: f, blocks: b)
        } else if parts.count == 1, let s = parts[0], let std = Self.standard.first(where: { $0.size == s }) {
            self = std
        } else {
            return nil
        }
    }

    public var description: String { "\(size):\(filters):\(blocks)" }
}

/// What one configuration measured (field names match benchmarks/torch_reference.py's JSON).
public struct EngineBenchResult: Codable, Sendable {
    public var size: Int
    public var ngf: Int
    public var n_blocks: Int
    /// The adversarial loss of the timed step (lsgan, or wgangp with the gradient penalty).
    public var gan_mode: String
    public var steps_timed: Int
    public var warmup_steps: Int
    public var train_ms_median: Double
    public var train_ms_mean: Double
    public var train_ms_min: Double
    public var train_ms_all: [Double]
    public var translate_ms_median: Double
    public var translate_ms_min: Double
    public var peak_rss_mb: Double
    /// Minor page faults per timed training step (first touches of fresh memory: allocation churn shows here).
    public var page_faults_per_step: Double
    public var parameters_G: Int
    public var parameters_D: Int
    /// The OpenBLAS kernel family that ran the matrix products ("SkylakeX", "Haswell", …).
    public var blas_core: String
    /// The generator loss of the last timed step (a sanity value: finite, and it falls over steps).
    public var last_losses: [String: Float]
}

/// Times the CycleGAN training step of ../shared/reference/torch_cyclegan_step.py (the `CycleGANTrainer` with
/// ngf = ndf, 1-channel images, batch 1, LSGAN, λ_cycle 10, λ_identity 0.5, Adam 2e-4 β (0.5, 0.999)) and the
/// translation of one slice by G_A, on uniform random images in [−1, 1].
///
/// The image pool is off (capacity 0), as in the PyTorch benchmark: with batch 1 it only chooses which image
/// D sees, not how much work is done. With `ganMode` wgangp the step is the WGAN-GP one (critic losses and the
/// gradient penalty, back-propagated through second-order gradients), as torch_reference.py `--gan-mode wgangp`.
public enum EngineBenchmark {
    /// Runs `warmup` untimed steps, `steps` individually timed steps, then 4 × `steps` timed translations.
    /// - Parameter progress: called with a line after each timed step.
    public static func run(_ config: EngineBenchConfig, steps: Int, warmup: Int, seed: UInt64,
                           ganMode: GANLoss.Mode = .lsgan, progress: (String) -> Void = { _ in }) -> EngineBenchResult {
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
        for _ in 0..<warmup { trainer.optimizeParameters() }
        var times: [Double] = []
        let faultsBefore = minorPageFaults()
        for i in 0..<steps {
            let t = Clock.now()
            trainer.optimizeParameters()
            times.append(Clock.milliseconds(since: t))
            progress("step \(i + 1)/\(steps): \(String(format: "%.1f", times.last!)) ms")
        }
        let faultsPerStep = Double(minorPageFaults() - faultsBefore) / Double(max(1, steps))
        let x = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        _ = trainer.translate(x)
        var translate: [Double] = []
        for _ in 0..<(4 * steps) {
            let t = Clock.now()
            _ = trainer.translate(x)
            translate.append(Clock.milliseconds(since: t))
        }
        let round = { (v: Double, places: Double) in (v * places).rounded() / places }
        return EngineBenchResult(
            size: config.size, ngf: config.filters, n_blocks: config.blocks, gan_mode: ganMode.rawValue,
            steps_timed: steps, warmup_steps: warmup,
            train_ms_median: round(median(times), 100), train_ms_mean: round(times.reduce(0, +) / Double(times.count), 100),
            train_ms_min: round(times.min() ?? 0, 100), train_ms_all: times.map { round($0, 10) },
            translate_ms_median: round(median(translate), 1000), translate_ms_min: round(translate.min() ?? 0, 1000),
            peak_rss_mb: round(peakResidentMegabytes(), 10), page_faults_per_step: round(faultsPerStep, 10),
            parameters_G: trainer.generatorA.parameterCount, parameters_D: trainer.discriminatorA.parameterCount,
            blas_core: BLASRuntime.coreName, last_losses: trainer.currentLosses())
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

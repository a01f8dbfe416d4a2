import ArgumentParser
import Foundation
import MedCore
import MedMetrics
import MedSynthesis

/// `medsynth bench …`: timings of MedSynth's own kernels, for comparison with the peers in the same run
/// (`benchmarks/compare_*.py` run both sides and print the ratios).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time MedSynth's kernels (release build) for comparison with the peer tools.",
        discussion: """
        Examples:
          medsynth bench metrics --json
          medsynth bench augment --only affine elastic
          python3 benchmarks/compare_metrics.py      # runs this and scikit-image/scipy side by side
          python3 benchmarks/compare_augment.py      # runs this and TorchIO side by side
          medsynth bench translate                   # load → translated → written NIfTI, full-size CycleGAN
          python3 benchmarks/compare_translate.py    # runs `medsynth translate` and PyTorch side by side
        """,
        subcommands: [BenchMetricsCommand.self, BenchAugmentCommand.self, BenchEngineCommand.self, BenchHDF5Command.self, BenchTranslateCommand.self, BenchPhantomCommand.self, BenchConvCommand.self]
    )
}

/// `medsynth bench metrics`: SSIM 512² and 256³, HD95 on 256³ masks.
struct BenchMetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Time SSIM (512², 256³) and HD95 (256³ masks) on deterministic synthetic inputs.",
        discussion: """
        The inputs are built from a closed formula that benchmarks/metrics_peer.py reproduces bit for bit, so the printed metric values must agree with scikit-image/scipy's.

        Examples:
          medsynth bench metrics
          medsynth bench metrics --repetitions 9 --json
        """
    )

    @Option(help: "Timed repetitions per case (the median is reported).")
    var repetitions: Int = 5

    @Option(help: "Side of the 3D cases.")
    var volumeSide: Int = 256

    @Option(help: "Side of the 2D case.")
    var imageSide: Int = 512

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
        guard volumeSide >= 16 && imageSide >= 16 else {
            throw ValidationError("--volume-side and --image-side must be at least 16, got \(volumeSide) and \(imageSide)")
        }
    }

    func run() throws {
        let results = try MetricsBenchmark.run(repetitions: repetitions, volumeSide: volumeSide, imageSide: imageSide)
        if json {
            struct Report: Encodable { var tool: String; var threads: Int; var results: [MetricsBenchResult] }
            print(try PrettyJSON.string(Report(tool: "medsynth \(MedSynthVersion.string)", threads: Parallel.workerCount, results: results)))
            return
        }
        print("case              median ms     min ms   value")
        for r in results {
            print(r.name.padding(toLength: 16, withPad: " ", startingAt: 0)
                  + String(format: "%11.2f %10.2f   %.9g", r.medianMS, r.minMS, r.value))
        }
    }
}

/// `medsynth bench augment`: each augmentation transform on a 256×256×128 volume.
struct BenchAugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Time each augmentation transform on a 256x256x128 float volume (median of N).",
        discussion: """
        `--json` prints the entries (with the name of the TorchIO transform each is compared with); benchmarks/augment_peer.py --compare FILE computes the speed-ups against TorchIO.

        Examples:
          medsynth bench augment
          medsynth bench augment --only affine elastic motion --repetitions 9 --json
        """
    )

    @Option(help: "Timed repetitions per transform (the median is reported).")
    var repetitions: Int = 5

    @Option(parsing: .upToNextOption, help: "Only these transforms (names as in Configs/augment-default.yaml).")
    var only: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
    }

    func run() throws {
        let entries = try AugmentationBenchmark.run(repetitions: repetitions, only: only.isEmpty ? nil : only)
        if json {
            print(try PrettyJSON.string(entries))
        } else {
            print(AugmentationBenchmark.table(entries))
        }
    }
}

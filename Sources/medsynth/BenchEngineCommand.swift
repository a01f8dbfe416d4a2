import ArgumentParser
import Foundation
import MedCore
import MedNN
import MedTraining

/// `medsynth bench engine`: the CycleGAN training step and one-slice translation, and the U-Net segmenter training
/// steps, per configuration.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Time a CycleGAN training step and a translated slice (64/ngf32/6, 128/ngf64/6, 256/ngf64/9) and the 2-D and 3-D U-Net segmenter training steps (seg2d, seg3d).",
        discussion: """
        The step is the reference CycleGAN step of ../shared/reference/torch_cyclegan_step.py: two ResNet generators, two 70x70 PatchGANs, instance norm, LSGAN + cycle 10 + identity 0.5, Adam 2e-4 (0.5, 0.999), batch 1, 1-channel images. Each configuration runs in its own process so that the peak resident memory (getrusage) is its own. benchmarks/torch_reference.py runs the same work in PyTorch; benchmarks/compare_engine.py runs both alternately and prints the ratios. --gan-mode wgangp times the WGAN-GP step instead (critic losses plus the gradient penalty on both discriminators, back-propagated through second-order gradients; torch_reference.py --gan-mode wgangp is its peer).

        seg2d and seg3d time one training step of the segmenter (SegmentationTrainer): the U-Net of the validation experiment (2-D, depth 3, base width 16, instance norm, 2 classes) on a batch of 8 patches of 1x64x64 (seg2d), or the 3-D U-Net of depth 3 and width 8 on a batch of 2 patches of 1x64x64x64 (seg3d); forward, soft Dice (background left out) + cross-entropy, backward and an Adam step at lr 1e-3, on random images and random binary labels from the seed. They time no translation (the translation fields are absent from their JSON). seg2d:size:width:depth:batch (or seg3d:…) times a segmenter of another size. Default timed steps: 10 / 5 / 3 for 64 / 128 / 256, 10 for seg2d, 3 for seg3d.

        Examples:
          medsynth bench engine
          medsynth bench engine --configs seg2d,seg3d --json
          medsynth bench engine --configs seg2d:32:8:2:4 --steps 3
          medsynth bench engine --configs 64 --steps 20 --json
          medsynth bench engine --configs 64:32:6,128:64:6 --warmup 3
          medsynth bench engine --configs 64,128 --gan-mode wgangp
        """
    )

    @Option(help: "Comma-separated size:ngf:blocks, 64/128/256 for the standard CycleGAN configurations, seg2d/seg3d for the segmenters (or seg2d|seg3d:size:width:depth:batch).")
    var configs = "64,128,256,seg2d,seg3d"

    @Option(help: "Timed steps per configuration (default 10 / 5 / 3 by size; seg2d 10, seg3d 3).")
    var steps: Int?

    @Option(help: "Untimed steps first.")
    var warmup = 2

    @Option(help: "Seed of the weights and inputs.")
    var seed: UInt64 = 0

    @Option(help: "The adversarial loss: lsgan (the reference default) or wgangp (with the gradient penalty).")
    var ganMode = "lsgan"

    @Flag(help: "Print JSON (the same fields as benchmarks/torch_reference.py).")
    var json = false

    @Option(help: .hidden)
    var child: String?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        _ = try parsedGANMode()
        guard warmup >= 0 else { throw ValidationError("--warmup must be ≥ 0, got \(warmup)") }
        _ = try parsedConfigs()
    }

    private func parsedGANMode() throws -> GANLoss.Mode {
        guard let mode = GANLoss.Mode(rawValue: ganMode), mode != .vanilla else {
            throw ValidationError("--gan-mode is '\(ganMode)', expected lsgan or wgangp")
        }
        return mode
    }

    private func parsedConfigs() throws -> [EngineBenchConfig] {
        try configs.split(separator: ",").map { part in
            guard let c = EngineBenchConfig(parsing: String(part)) else {
                throw ValidationError("--configs: '\(part)' is not a configuration; expected \(EngineBenchConfig.accepted)")
            }
            return c
        }
    }

    func run() throws {
        if let child {
            // One configuration in this process: print its result as one JSON line.
            guard let config = EngineBenchConfig(parsing: child) else { throw ValidationError("bad --child \(child)") }
            let result = EngineBenchmark.run(config, steps: steps ?? config.defaultSteps, warmup: warmup, seed: seed,
                                             ganMode: try parsedGANMode()) {
                FileHandle.standardError.write(Data("  \(config): \($0)\n".utf8))
            }
            print(try PrettyJSON.string(result).replacingOccurrences(of: "\n", with: " "))
            return
        }
        var results: [EngineBenchResult] = []
        for config in try parsedConfigs() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["bench", "engine", "--child", config.description, "--warmup", "\(warmup)",
                                 "--seed", "\(seed)", "--gan-mode", ganMode] + (steps.map { ["--steps", "\($0)"] } ?? [])
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                  let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
                  let result = try? JSONDecoder().decode(EngineBenchResult.self, from: Data(line.utf8)) else {
                throw MedSynthError(.invalidArgument, "bench engine",
                                    "configuration \(config) failed (exit \(process.terminationStatus))")
            }
            results.append(result)
            let translate = result.translate_ms_median.map { String(format: ", translate %.2f ms/slice", $0) } ?? ""
            FileHandle.standardError.write(Data(String(
                format: "# %@: train %.1f ms/step (median of %d)%@, %d parameters, peak RSS %.0f MB, BLAS %@\n",
                result.config, result.train_ms_median, result.steps_timed, translate, result.parameters,
                result.peak_rss_mb, result.blas_core).utf8))
        }
        if json {
            struct Report: Encodable {
                var benchmark = "cyclegan_step_medsynth"
                var tool: String
                var threads: Int
                var results: [EngineBenchResult]
            }
            print(try PrettyJSON.string(Report(tool: "medsynth \(MedSynthVersion.string)", threads: Parallel.workerCount,
                                               results: results)))
            return
        }
        print("config            parameters   train ms/step   translate ms/slice   peak RSS MB")
        for r in results {
            let translate = r.translate_ms_median.map { String(format: "%20.2f", $0) } ?? String(repeating: " ", count: 19) + "-"
            let name = r.config.count < 16 ? r.config + String(repeating: " ", count: 16 - r.config.count) : r.config
            print(name + String(format: " %11d %15.1f ", r.parameters, r.train_ms_median) + translate
                  + String(format: " %13.0f", r.peak_rss_mb))
        }
    }
}

import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedValidation

/// `medsynth bench phantom`: the time to render one multimodal case, and how much its T1 looks like a real brain's.
struct BenchPhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Time rendering head-phantom cases (all six volumes) and measure their likeness to the brain template.",
        discussion: """
        Timing: after one warm-up case, --cases cases of --shape are drawn and rendered (label map, CT, T1, T2, FLAIR, PET; not written) one after the other; each case's wall time is printed with the median and range. The target is under 2 s for 256×256×128 on 2 cores (docs/TISSUE_PARAMETERS.md).

        Likeness: for the same cases, the SSIM and correlation of the phantom's T1 against the template's own T1 average seen through the case's deformation (the deformation undone), over the template's brain voxels, each image scaled by its own 1st–99th percentiles; the procedural brain of earlier versions is measured the same way as the baseline (its case placed on the undeformed template).

        Examples:
          medsynth bench phantom
          medsynth bench phantom --shape 64 128 128 --cases 2 --json
        """
    )

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Grid extents D H W (the default field of view).", valueName: "d h w"))
    var shape: [Int] = [128, 256, 256]

    @Option(help: "Timed cases (after one warm-up case).")
    var cases: Int = 3

    @Option(help: "The dataset seed of the cases.")
    var seed: UInt64 = 1

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...50).contains(cases) else { throw ValidationError("--cases must be 1…50, got \(cases)") }
        guard shape.count == 3, shape.allSatisfy({ (16...512).contains($0) }) else {
            throw ValidationError("--shape takes three extents D H W, each 16…512; got \(shape)")
        }
    }

    struct BrainResult: Encodable {
        var brain: String
        var secondsPerCase: [Double]
        var medianSeconds: Double
        var ssim: [Double]
        var correlation: [Double]
        var medianSSIM: Double
        var medianCorrelation: Double
    }

    func run() throws {
        let grid = VolumeShape(depth: shape[0], height: shape[1], width: shape[2])
        var results: [BrainResult] = []
        for brain in [PhantomBrain.template, .procedural] {
            var settings = HeadPhantomSettings().withShape(grid)
            settings.brain = brain
            let phantom = try HeadPhantom(settings: settings)
            _ = try phantom.makeCase(seed: seed, index: 0)
            var seconds: [Double] = []
            for index in 1...cases {
                let start = Date()
                _ = try phantom.makeCase(seed: seed, index: index)
                seconds.append(Date().timeIntervalSince(start))
            }
            let likeness = try (1...cases).map { try PhantomLikeness.measure(phantom, seed: seed, index: $0) }
            func median(_ v: [Double]) -> Double { let s = v.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
            results.append(BrainResult(brain: brain.rawValue, secondsPerCase: seconds, medianSeconds: median(seconds),
                                       ssim: likeness.map(\.ssim), correlation: likeness.map(\.correlation),
                                       medianSSIM: median(likeness.map(\.ssim)), medianCorrelation: median(likeness.map(\.correlation))))
        }
        if json {
            struct Report: Encodable { var shape: [Int]; var workers: Int; var seed: UInt64; var results: [BrainResult] }
            print(try PrettyJSON.string(Report(shape: shape, workers: Parallel.workerCount, seed: seed, results: results)))
            return
        }
        print("medsynth bench phantom: \(grid.width)×\(grid.height)×\(grid.depth), \(cases) case(s) after a warm-up, \(Parallel.workerCount) worker(s)")
        for r in results {
            let times = r.secondsPerCase.map { String(format: "%.3f", $0) }.joined(separator: ", ")
            print(String(format: "  %@ brain: median %.3f s per case (%@); T1 likeness to the template: SSIM %.3f, r %.3f (median of %d)",
                         r.brain, r.medianSeconds, times, r.medianSSIM, r.medianCorrelation, r.ssim.count))
        }
    }
}

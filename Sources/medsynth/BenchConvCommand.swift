import ArgumentParser
import Foundation
import MedCore
import MedTensor

/// `medsynth bench conv`: the convolution kernels alone, per layer shape of the standard networks and per backend.
struct BenchConvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time the convolution kernels (forward, backward-data, backward-weights) per layer shape, oneDNN against the im2col + OpenBLAS reference.",
        discussion: """
        The shapes are the layers of the standard networks: the ResNet CycleGAN generator and PatchGAN at 256 px (ngf 64, the 256-channel residual block at 64² and at 32²), the 2-D U-Net segmenter (64², batch 8, width 16) and the 3-D one (64³, batch 2, width 8). Each pass is called three times untimed (oneDNN builds its plan in the first) and --repeats times timed; the table gives the median milliseconds, the range, GFLOP/s (a multiply-add counts 2 FLOPs), with --peak-gflops the fraction of the machine's peak, and which implementation ran. The two backends alternate per shape. Threads: OPENBLAS_NUM_THREADS (oneDNN uses as many).

        Examples:
          medsynth bench conv
          medsynth bench conv --layers unet2d.l0,resnet256.block --repeats 20 --peak-gflops 225
          medsynth bench conv --backends onednn --json
        """
    )

    @Option(help: "Comma-separated layer names (default: all; see the table).")
    var layers: String?

    @Option(help: "Timed calls per pass.")
    var repeats = 10

    @Option(help: "The machine's measured single-precision FMA peak in GFLOP/s at the same thread count, for the fraction column (benchmarks/fma_peak.c measures it; without this option the column is left out).")
    var peakGflops: Double?

    @Option(help: "Backends to time, comma-separated: onednn, im2col.")
    var backends = "onednn,im2col"

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(repeats) else { throw ValidationError("--repeats must be 1…1000, got \(repeats)") }
        if let peakGflops, !(peakGflops > 0) {
            throw ValidationError("--peak-gflops must be > 0, got \(peakGflops)")
        }
        _ = try selectedLayers()
        _ = try selectedBackends()
    }

    private func selectedLayers() throws -> [ConvLayerShape] {
        guard let layers else { return ConvLayerShape.standard }
        return try layers.split(separator: ",").map { name in
            guard let shape = ConvLayerShape.standard.first(where: { $0.name == name }) else {
                throw ValidationError("--layers: '\(name)' is not a layer; expected one of "
                                      + ConvLayerShape.standard.map(\.name).joined(separator: ", "))
            }
            return shape
        }
    }

    private func selectedBackends() throws -> [ConvBackend] {
        try backends.split(separator: ",").map { name in
            guard let backend = ConvBackend(rawValue: name.lowercased()) else {
                throw ValidationError("--backends: '\(name)' is not a backend; expected onednn or im2col")
            }
            return backend
        }
    }

    func run() throws {
        let shapes = try selectedLayers(), backends = try selectedBackends()
        var timings: [ConvLayerTiming] = []
        for (index, shape) in shapes.enumerated() {
            if !json { FileHandle.standardError.write(Data("  \(shape)\n".utf8)) }
            // Alternate which backend goes first from shape to shape.
            let order = index % 2 == 0 ? backends : backends.reversed()
            var byBackend: [String: [ConvLayerTiming]] = [:]
            for backend in order {
                byBackend[backend.rawValue] = ConvolutionBenchmark.run(shape, backend: backend, repeats: repeats)
            }
            timings += backends.flatMap { byBackend[$0.rawValue] ?? [] }
        }
        if json {
            print(try PrettyJSON.string(timings))
            return
        }
        print("| layer | pass | backend | implementation | ms median [min, max] | GFLOP/s |"
              + (peakGflops == nil ? "" : " of peak |"))
        print("|---|---|---|---|---|---|" + (peakGflops == nil ? "" : "---|"))
        for t in timings {
            let fraction = peakGflops.map { String(format: " %.0f%% |", 100 * t.gflopsPerSecond / $0) } ?? ""
            print("| \(t.layer) | \(t.pass) | \(t.backend) | \(t.implementation) | "
                  + String(format: "%.3f [%.3f, %.3f] | %.0f |", t.millisecondsMedian, t.millisecondsMin,
                           t.millisecondsMax, t.gflopsPerSecond) + fraction)
        }
    }
}

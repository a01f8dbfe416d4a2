import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedInference
import MedTraining

/// `medsynth bench translate`: load → translate → written NIfTI for a phantom CT through a CycleGAN generator.
struct BenchTranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Time `medsynth translate` on a 256x256x128 CT through a full-size CycleGAN ResNet-9 generator.",
        discussion: """
        Prepares, in --dir (default: a temporary folder, removed afterwards), a CycleGAN checkpoint as `medsynth train` writes it (default options: ngf 64, 9 residual blocks, instance norm; G_A, G_B, D_A, D_B, both Adam optimizers with their moments, a translator description CT → T1; weights from --seed after one training step on random 32-pixel images) and a head phantom CT (int16 NIfTI, .nii.gz), then times --repetitions runs of what `medsynth translate --checkpoint C --in CT --out T1.nii.gz` does, each from loading the checkpoint to the written NIfTI, and prints the median. --prepare-only writes the files and stops: benchmarks/compare_translate.py uses them to run `medsynth translate` and benchmarks/torch_translate.py (PyTorch) alternately on the same input.

        Examples:
          medsynth bench translate
          medsynth bench translate --repetitions 5 --batch 4 --json
          medsynth bench translate --dir Outputs/bench-translate --prepare-only
          medsynth bench translate --size 64 --depth 16 --ngf 8 --blocks 2 --dir Outputs/bench-translate-small --prepare-only
          medsynth translate --checkpoint Outputs/bench-translate-small/cyclegan_ct2t1.h5 --in Outputs/bench-translate-small/input_ct.nii.gz --out Outputs/bench-translate-small/output_t1.nii.gz
        """
    )

    @Option(help: "Slice side (the phantom's height and width).")
    var size = 256

    @Option(help: "Slices (the phantom's depth).")
    var depth = 128

    @Option(help: "Generator filters (ngf).")
    var ngf = 64

    @Option(help: "Residual blocks of the generators.")
    var blocks = 9

    @Option(help: "Slices per network call.")
    var batch = TranslationOptions.defaultBatchSize

    @Option(help: "Timed runs (the median is reported).")
    var repetitions = 3

    @Option(help: "Seed of the weights and of the phantom.")
    var seed: UInt64 = 0

    @Option(help: "Folder for the checkpoint, input and output (kept); default: a temporary folder.")
    var dir: String?

    @Flag(help: "Only write the checkpoint and the input, print their paths.")
    var prepareOnly = false

    @Flag(help: "Print JSON.")
    var json = false

    /// The file names inside the folder.
    static let checkpointName = "cyclegan_ct2t1.h5", inputName = "input_ct.nii.gz", outputName = "output_t1.nii.gz"

    func validate() throws {
        guard (8...1024).contains(size), (8...1024).contains(depth) else {
            throw ValidationError("--size and --depth must be 8…1024, got \(size) and \(depth)")
        }
        guard ngf >= 1, blocks >= 0 else { throw ValidationError("--ngf must be ≥ 1 and --blocks ≥ 0, got \(ngf) and \(blocks)") }
        guard (1...TranslationOptions.maximumBatchSize).contains(batch) else {
            throw ValidationError("--batch must be 1…\(TranslationOptions.maximumBatchSize), got \(batch)")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
    }

    func run() throws {
        let folder: URL
        if let dir {
            folder = URL(fileURLWithPath: dir)
        } else {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-bench-translate-\(getpid())")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MedSynthError(.writeFailed, folder.path, "cannot create the benchmark folder: \(error.localizedDescription)")
        }
        defer { if dir == nil { try? FileManager.default.removeItem(at: folder) } }
        let checkpoint = folder.appendingPathComponent(Self.checkpointName)
        let input = folder.appendingPathComponent(Self.inputName)
        let output = folder.appendingPathComponent(Self.outputName)

        let phantom = try HeadPhantom(settings: HeadPhantomSettings().withShape(VolumeShape(depth: depth, height: size, width: size)))
        let c = try phantom.makeCase(seed: seed, index: 0)
        try NIfTIFile.write(c.ct, to: input, dataType: .int16)
        let t1Window = try IntensityNormalization.standard(for: .t1).fit(c.t1, subject: "phantom T1")
        var options = CycleGANOptions()
        (options.generatorFilters, options.discriminatorFilters, options.residualBlocks) = (ngf, ngf, blocks)
        try TranslationBenchmark.writeCycleGANCheckpoint(to: checkpoint, options: options, seed: seed, t1Window: t1Window)
        log("prepared \(checkpoint.path) (CycleGAN ngf \(ngf), \(blocks) blocks) and \(input.path) (phantom CT \(depth)x\(size)x\(size))")
        if prepareOnly {
            struct Prepared: Encodable { var checkpoint, input, output: String; var slices, height, width, ngf, n_blocks: Int }
            let prepared = Prepared(checkpoint: checkpoint.path, input: input.path, output: output.path, slices: depth,
                                    height: size, width: size, ngf: ngf, n_blocks: blocks)
            print(json ? try PrettyJSON.string(prepared) : "checkpoint \(checkpoint.path)\ninput \(input.path)")
            return
        }
        let result = try TranslationBenchmark.run(checkpoint: checkpoint, input: input, output: output, batch: batch,
                                                  repetitions: repetitions, progress: log)
        if json {
            struct Report: Encodable { var benchmark = "translate_medsynth"; var tool: String; var result: TranslationBenchResult }
            print(try PrettyJSON.string(Report(tool: "medsynth \(MedSynthVersion.string)", result: result)))
            return
        }
        print(String(format: "%d slices of %dx%d, ngf %d, %d blocks, batch %d, %d threads: %.2f s median (translation %.2f s), %.2f slices/s, peak RSS %.0f MB, BLAS %@",
                     result.slices, result.height, result.width, result.ngf, result.n_blocks, result.batch, result.threads,
                     result.seconds_median, result.translate_seconds_median, result.slices_per_second, result.peak_rss_mb,
                     result.blas_core))
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data("bench translate: \(line)\n".utf8))
    }
}

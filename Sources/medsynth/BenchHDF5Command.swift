import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth bench hdf5`: write throughput of the dataset writer, uncompressed and compressed.
struct BenchHDF5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdf5",
        abstract: "Time writing MedSynth datasets (uncompressed and shuffle + deflate) from cases held in memory.",
        discussion: """
        The cases are read from --input (a MedSynth dataset; the first --cases of them) or, without it, generated as head-phantom cases of --shape from --seed. Each mode writes all of them into a new file --repetitions times; a run is timed from creating the file to closing it, including every case's commit (flush and fsync twice per case, as `medsynth phantom` does). Throughput is the raw float32 bytes over the median time (MB = 10^6 bytes); the ratio is raw bytes over the file size. benchmarks/compare_hdf5.py runs this and h5py (benchmarks/hdf5_peer.py) on the same input, alternately, and prints the ratios.

        Modes: `uncompressed`, or `<strategy>-<level>` with strategy `rle` (zlib's run-length matching, the writer's default) or `standard` (HDF5's own deflate bytes) and a level 0…9; `-nosync` appended skips the fsync calls (`--no-fsync` of the dataset commands).

        Examples: the second makes the small dataset that the third reads:
          medsynth bench hdf5
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5
          medsynth bench hdf5 --input Outputs/small.h5 --cases 2 --modes uncompressed rle-4 standard-4 --json
        """
    )

    @Option(help: "A MedSynth dataset to take the cases from (default: generate phantom cases).")
    var input: String?

    @Option(help: "Number of cases to write.")
    var cases: Int = 2

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Generated cases: grid extents D H W.", valueName: "d h w"))
    var shape: [Int] = [128, 256, 256]

    @Option(help: "Generated cases: the phantom seed.")
    var seed: UInt64 = 7

    @Option(parsing: .upToNextOption, help: "Modes to time: uncompressed, rle-<level>, standard-<level>.")
    var modes: [String] = ["uncompressed", "rle-4"]

    @Option(help: "Timed runs per mode (the median is reported).")
    var repetitions: Int = 3

    @Option(help: "Folder for the files written (removed after each run).")
    var outDir: String = "Outputs/bench-hdf5"

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
        guard (1...100).contains(cases) else { throw ValidationError("--cases must be 1…100, got \(cases)") }
        guard shape.count == 3, shape.allSatisfy({ (8...1024).contains($0) }) else {
            throw ValidationError("--shape takes three extents D H W, each 8…1024; got \(shape)")
        }
        _ = try parsedModes()
    }

    /// The modes named by `--modes`.
    func parsedModes() throws -> [DatasetWriteBenchmark.Mode] {
        try modes.map { text in
            let sync = !text.hasSuffix("-nosync")
            let base = sync ? text : String(text.dropLast("-nosync".count))
            if base == "uncompressed" { return DatasetWriteBenchmark.Mode(deflateLevel: nil, syncsToDisk: sync) }
            let parts = base.split(separator: "-").map(String.init)
            guard parts.count == 2, let strategy = DeflateStrategy(rawValue: parts[0]), let level = Int(parts[1]), (0...9).contains(level) else {
                throw ValidationError("--modes: '\(text)' is not uncompressed, rle-<0…9> or standard-<0…9> (optionally followed by -nosync)")
            }
            return DatasetWriteBenchmark.Mode(deflateLevel: level, deflateStrategy: strategy, syncsToDisk: sync)
        }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: outDir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = try loadCases()
        let results = try DatasetWriteBenchmark.run(cases: data, modes: try parsedModes(), repetitions: repetitions, folder: folder)
        if json {
            struct Report: Encodable {
                var tool: String
                var threads: Int
                var cases: [String]
                var results: [DatasetWriteBenchmark.Result]
            }
            print(try PrettyJSON.string(Report(tool: "medsynth \(MedSynthVersion.string)", threads: Parallel.workerCount,
                                               cases: data.map(\.id), results: results)))
            return
        }
        print("mode                              MB/s   median s   ratio   file MB")
        for r in results {
            print(r.mode.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%8.0f %10.3f %7.3f %9.1f", r.megabytesPerSecond, r.medianSeconds, r.compressionRatio,
                           Double(r.fileBytes) / 1e6))
        }
    }

    /// The first `cases` cases of `--input`, or generated phantom cases.
    private func loadCases() throws -> [DatasetCase] {
        if let input {
            let url = URL(fileURLWithPath: input)
            let ids = try MedSynthDataset.caseIDs(in: url)
            guard ids.count >= cases else {
                throw MedSynthError(.invalidArgument, input, "holds \(ids.count) cases; --cases asks for \(cases)")
            }
            return try ids.prefix(cases).map { id in
                let stored = try MedSynthDataset.readCase(id, in: url)
                return DatasetCase(id: id, volumes: stored.volumes,
                                   provenance: stored.provenance ?? CaseProvenance(commandLine: "medsynth bench hdf5", seed: 0, caseIndex: 0))
            }
        }
        let grid = VolumeShape(depth: shape[0], height: shape[1], width: shape[2])
        let phantom = try HeadPhantom(settings: HeadPhantomSettings().withShape(grid))
        let builder = try PhantomDatasetBuilder(phantom: phantom, lesionSettings: nil, seed: seed, caseCount: cases,
                                                commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        return try (0..<cases).map(builder.makeCase)
    }
}

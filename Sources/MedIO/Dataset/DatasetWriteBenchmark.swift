import Dispatch
import Foundation
import MedCore

/// Times `MedSynthDatasetWriter` writing the same cases into a new dataset file, for comparison with h5py writing
/// the same volumes in the same layout (`benchmarks/hdf5_peer.py`, driven by `benchmarks/compare_hdf5.py`).
///
/// One run writes every case: the clock starts before the writer creates the file and stops after `close()`, so
/// it includes creating the file, every case's commit (two `H5Fflush` + `fsync` per case, which the writer's
/// all-or-nothing guarantee against power loss needs; `H5Fflush` only in `-nosync` modes) and closing. Throughput is the raw float32 bytes of the volumes (10⁶ bytes per
/// MB) divided by that time; the compression ratio is raw bytes over the file's size on disk after the run.
/// Before each run (untimed) the previous file is removed and `sync()` writes out the system's dirty pages, so
/// that one run's writeback does not throttle the next (`benchmarks/hdf5_peer.py` does the same).
public enum DatasetWriteBenchmark {
    /// How one configuration is written.
    public struct Mode: Codable, Sendable, Equatable {
        /// A short name ("uncompressed", "rle-4", …).
        public var name: String
        /// Deflate level with shuffle, nil for uncompressed.
        public var deflateLevel: Int?
        /// The zlib strategy (ignored when uncompressed).
        public var deflateStrategy: DeflateStrategy
        /// Whether each commit is `fsync`ed (the writer's default).
        public var syncsToDisk: Bool

        /// Creates a mode; the name is derived from the settings: `uncompressed` or `<strategy>-<level>`, with
        /// `-nosync` appended when commits are not synced.
        public init(deflateLevel: Int?, deflateStrategy: DeflateStrategy = .runLength, syncsToDisk: Bool = true) {
            self.deflateLevel = deflateLevel
            self.deflateStrategy = deflateStrategy
            self.syncsToDisk = syncsToDisk
            name = (deflateLevel.map { "\(deflateStrategy.rawValue)-\($0)" } ?? "uncompressed") + (syncsToDisk ? "" : "-nosync")
        }
    }

    /// One mode's timings.
    public struct Result: Codable, Sendable, Equatable {
        /// The mode.
        public var mode: Mode
        /// Raw bytes of every volume (voxels × 4).
        public var rawBytes: Int
        /// Size of the written file.
        public var fileBytes: Int
        /// rawBytes / fileBytes.
        public var compressionRatio: Double
        /// Median wall time of a run, seconds.
        public var medianSeconds: Double
        /// Every run's wall time, seconds.
        public var seconds: [Double]
        /// rawBytes / 10⁶ / medianSeconds.
        public var megabytesPerSecond: Double
    }

    /// Writes `cases` into `folder/bench-<mode>.h5` `repetitions` times per mode (the file is removed before each
    /// run and after the last).
    /// - Throws: `MedSynthError(.invalidArgument)` for no cases or repetitions < 1; the writer's errors.
    public static func run(cases: [DatasetCase], modes: [Mode], repetitions: Int, folder: URL) throws -> [Result] {
        guard repetitions >= 1 else { throw MedSynthError(.invalidArgument, "repetitions", "is \(repetitions); expected at least 1") }
        guard !cases.isEmpty else { throw MedSynthError(.invalidArgument, "cases", "none given; expected at least one case to write") }
        let rawBytes = cases.reduce(0) { $0 + $1.volumes.reduce(0) { $0 + $1.voxels.count * MemoryLayout<Float>.size } }
        let configuration = DatasetRunConfiguration(["command": "bench hdf5"])
        var results: [Result] = []
        for mode in modes {
            let url = folder.appendingPathComponent("bench-\(mode.name).h5")
            var times: [Double] = []
            var fileBytes = 0
            for _ in 0..<repetitions {
                try? FileManager.default.removeItem(at: url)
                // Dirty pages left by the previous run would throttle this one's writes: write them out first.
                sync()
                let start = DispatchTime.now().uptimeNanoseconds
                let writer = try MedSynthDatasetWriter(url: url, configuration: configuration, plannedCaseCount: cases.count,
                                                       overwrite: true, deflateLevel: mode.deflateLevel,
                                                       deflateStrategy: mode.deflateStrategy, syncsToDisk: mode.syncsToDisk)
                for c in cases { try writer.write(c) }
                try writer.close()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                fileBytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            }
            try? FileManager.default.removeItem(at: url)
            let sorted = times.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : 0.5 * (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2])
            results.append(Result(mode: mode, rawBytes: rawBytes, fileBytes: fileBytes,
                                  compressionRatio: fileBytes > 0 ? Double(rawBytes) / Double(fileBytes) : 0,
                                  medianSeconds: median, seconds: times, megabytesPerSecond: Double(rawBytes) / 1e6 / median))
        }
        return results
    }
}

import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// The dataset-writing part shared by `medsynth phantom`, `lesions` and `augment`: open (or resume) the output,
/// write the missing cases with progress on stderr, close.
enum DatasetRun {
    /// Writes every case of `caseIDs` that the file does not hold yet.
    /// - Parameters:
    ///   - command: the command's name, for progress lines.
    ///   - url: the output dataset.
    ///   - configuration: the run's arguments; an existing file started with others is refused unless `overwrite`.
    ///   - caseIDs: the run's case ids, in order.
    ///   - overwrite: replace an existing file instead of resuming it.
    ///   - deflateLevel: gzip level with shuffle (nil: uncompressed).
    ///   - deflateStrategy: how chunks are deflated (`--deflate-strategy`).
    ///   - syncsToDisk: `fsync` every commit (false with `--no-fsync`).
    ///   - make: makes case `index` of `caseIDs`.
    /// - Returns: the writer's summary.
    /// - Throws: `MedSynthError` from the writer or from `make`; cases committed before it stay in the file.
    static func write(command: String, to url: URL, configuration: DatasetRunConfiguration, caseIDs: [String],
                      overwrite: Bool, deflateLevel: Int? = HDF5VolumeStore.defaultDeflateLevel,
                      deflateStrategy: DeflateStrategy = .runLength, syncsToDisk: Bool = true,
                      make: @escaping @Sendable (Int) throws -> DatasetCase) throws -> DatasetWriteSummary {
        let writer = try MedSynthDatasetWriter(url: url, configuration: configuration, plannedCaseCount: caseIDs.count,
                                               overwrite: overwrite, deflateLevel: deflateLevel,
                                               deflateStrategy: deflateStrategy, syncsToDisk: syncsToDisk)
        let reporter = ProgressReporter(command: command)
        reporter.resumed(present: writer.resumedCaseIDs.count, total: caseIDs.count, file: url.path)
        let summary: DatasetWriteSummary
        do {
            defer { reporter.finish() }
            summary = try writer.writeMissing(caseIDs: caseIDs, make: make, progress: reporter.update)
        }
        try writer.close()
        return summary
    }
}

extension DeflateStrategy: ExpressibleByArgument {}

/// The storage options of the dataset-writing commands (`phantom`, `augment`, `lesions` with a dataset).
struct DatasetStorageOptions: ParsableArguments {
    @Option(help: "Deflate level 0-9 of every dataset (with shuffle).")
    var deflateLevel: Int = HDF5VolumeStore.defaultDeflateLevel

    @Option(help: "How chunks are deflated: rle (zlib's run-length matching: fast, the default) or standard (HDF5's own filter bytes).")
    var deflateStrategy: DeflateStrategy = .runLength

    @Flag(help: "Do not fsync after each case: a killed run still resumes, but a power failure may lose the last cases.")
    var noFsync = false

    func validate() throws {
        guard (0...9).contains(deflateLevel) else { throw ValidationError("--deflate-level must be 0…9, got \(deflateLevel)") }
    }

    /// The run-configuration entries that decide the stored bytes (fsync does not).
    var configuration: [String: String] {
        DatasetRunConfiguration.storageValues(deflateLevel: deflateLevel, deflateStrategy: deflateStrategy)
    }
}

/// The summary of a dataset run: what `--json` prints.
struct DatasetRunReport: Codable {
    var file: String
    var total: Int
    var written: Int
    var skipped: Int
    var seconds: Double
    var casesPerSecond: Double
    var shape: [Int]?
    var seed: UInt64
    /// `lesions` (inserting): lesions asked for, K per case.
    var lesionsRequested: Int?
    /// `lesions` (inserting): lesions the output holds beyond its input's, in all cases (also those of an earlier,
    /// resumed run); fewer than requested when some did not fit their mask.
    var lesionsPlaced: Int?

    init(summary: DatasetWriteSummary, shape: [Int]?, seed: UInt64) {
        file = summary.file
        total = summary.total
        written = summary.written
        skipped = summary.skipped
        seconds = summary.seconds
        casesPerSecond = summary.seconds > 0 ? Double(summary.written) / summary.seconds : 0
        self.shape = shape
        self.seed = seed
    }

    /// "medsynth phantom: FILE holds 10 cases (7 written now, 3 already present) in 23.1 s, 0.30 cases/s".
    func line(command: String) -> String {
        var line = String(format: "medsynth %@: %@ holds %d cases (%d written now, %d already present) in %.1f s, %.2f cases/s",
                          command, file, total, written, skipped, seconds, casesPerSecond)
        if let lesionsRequested, let lesionsPlaced {
            line += lesionsPlaced < lesionsRequested
                ? "; \(lesionsPlaced) of \(lesionsRequested) lesions placed (the others found no room in their mask)"
                : "; \(lesionsPlaced) lesions placed"
        }
        return line
    }

    /// Sets the lesion tally: the lesion records of each case of `output` beyond those of the same case in `input`.
    /// - Throws: `MedSynthError` when a case's provenance cannot be read.
    mutating func countLesions(output: URL, input: URL, caseIDs: [String], perCase: Int) throws {
        func records(_ id: String, _ url: URL) throws -> Int {
            LesionDatasetBuilder.lesionObjects(try MedSynthDataset.readProvenance(id, in: url)?.lesionsJSON).count
        }
        lesionsRequested = perCase * caseIDs.count
        lesionsPlaced = try caseIDs.reduce(0) { $0 + max(0, try records($1, output) - records($1, input)) }
    }
}

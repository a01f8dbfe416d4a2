import CHDF5
import Dispatch
import Foundation
import MedCore

/// Writes a MedSynth dataset (docs/DATASET_FORMAT.md) one case at a time, atomically per case and resumably.
///
/// ```swift
/// let writer = try MedSynthDatasetWriter(url: out, configuration: DatasetRunConfiguration(["seed": "7"]),
///                                        plannedCaseCount: 10, overwrite: false)
/// for n in 0..<10 where !writer.contains("case\(n)") { try writer.write(makeCase(n)) }
/// try writer.close()
/// ```
///
/// How a case is committed (each step ends before the next starts):
/// 1. its group is created *anonymous* (`H5Gcreate_anon`: no link, so nothing already in the file refers to
///    it) and its datasets and provenance attributes are written into it;
/// 2. the file is flushed and `fsync`ed: the case's bytes are on disk, unreachable;
/// 3. the group is linked as `/cases/<id>` (`H5Olink`) — the only change to objects already in the file;
/// 4. the file is flushed and `fsync`ed again.
///
/// With `syncsToDisk` (the default), each volume's bytes start going to disk in the background as soon as they
/// are written, so the commit's `fsync` mostly finds them there. With `syncsToDisk` false the `fsync` calls are
/// skipped: a killed process still leaves every committed case
/// intact (the flushed bytes are the operating system's to write, in any case), but a power failure or kernel
/// crash may lose or damage the last cases.
///
/// A process killed before step 3 leaves unreferenced bytes (wasted space, never read); the file on disk is the
/// one of the previous commit. Killed after step 4, the case is complete. The only unprotected window is the
/// write-out of step 4's few metadata blocks of `/cases` (HDF5 1.10 without SWMR has no journal), which lasts
/// microseconds. A run started again with the same configuration skips the linked cases.
///
/// The root group records `run_signature`/`run_configuration`; opening an existing file whose signature differs
/// is refused unless `overwrite` is set, so cases of different runs never mix.
public final class MedSynthDatasetWriter {
    /// The dataset file.
    public let url: URL
    /// The configuration this run writes.
    public let configuration: DatasetRunConfiguration
    /// The gzip level of every dataset (with shuffle), nil for none.
    public let deflateLevel: Int?
    /// The zlib strategy the chunks are deflated with.
    public let deflateStrategy: DeflateStrategy
    /// Whether every commit is `fsync`ed (the default), so that committed cases survive a power failure.
    public let syncsToDisk: Bool
    /// The cases the file held when it was opened (resumed from an earlier run).
    public let resumedCaseIDs: Set<String>
    /// The cases the file holds now.
    public private(set) var caseIDs: Set<String>

    private let file: HDF5File
    private let casesGroup: HDF5Group
    /// One writer per dataset: held from opening to `close()`.
    private var lock: OutputLock?
    private let faultInjection: FaultInjection?
    private var isClosed = false
    /// Set by a failed write (`abandon`): the file is detached and takes no more cases.
    private var isAbandoned = false
    /// Files detached after a failed write, never closed (see `close`).
    nonisolated(unsafe) private static var abandonedFiles: [HDF5File] = []
    private static let abandonedLock = NSLock()
    /// Background `fdatasync` calls started after each volume (`startWriteback`), waited for before each commit
    /// sync and before closing.
    private let writeback = DispatchGroup()
    private let writebackQueue = DispatchQueue(label: "medsynth.dataset.writeback")

    /// Opens `url` to continue a run with the same configuration, or creates it.
    ///
    /// - Parameters:
    ///   - url: the dataset file (`.h5`); its folder must exist.
    ///   - configuration: the content-determining arguments; its signature must match an existing file's.
    ///   - plannedCaseCount: how many cases the run will hold (stored as the root attribute `case_count`).
    ///   - overwrite: replace an existing file (atomically, by a new empty dataset) instead of resuming it.
    ///   - deflateLevel: gzip level 0…9 with shuffle, nil for uncompressed datasets.
    ///   - deflateStrategy: how the chunks are deflated (run-length matching by default; see `DeflateStrategy`).
    ///   - syncsToDisk: `fsync` after each commit step (default); false keeps the order of the steps but leaves
    ///     writing to disk to the operating system (safe against a killed process, not against power loss).
    /// - Throws: `MedSynthError` naming `url`: `.mismatch` when the file was started with another configuration
    ///   (the message lists the differing arguments), `.unsupported` when it is not a MedSynth dataset being
    ///   written by a run, `.corrupt` when it cannot be opened, `.writeFailed` when it cannot be created;
    ///   `.invalidArgument` naming the other process when another run is writing the file (`OutputLock`).
    public init(url: URL, configuration: DatasetRunConfiguration, plannedCaseCount: Int, overwrite: Bool,
                deflateLevel: Int? = HDF5VolumeStore.defaultDeflateLevel, deflateStrategy: DeflateStrategy = .runLength,
                syncsToDisk: Bool = true) throws {
        if let level = deflateLevel, !(0...9).contains(level) {
            throw MedSynthError(.invalidArgument, url.path, "deflate level \(level) is outside 0…9")
        }
        self.url = url
        self.configuration = configuration
        self.deflateLevel = deflateLevel
        self.deflateStrategy = deflateStrategy
        self.syncsToDisk = syncsToDisk
        faultInjection = FaultInjection.fromEnvironment()
        let lock = try OutputLock(for: url)
        let exists = FileManager.default.fileExists(atPath: url.path)
        if !exists || overwrite {
            try Self.createEmpty(url, configuration: configuration, plannedCaseCount: plannedCaseCount)
        }
        let opened: HDF5File
        do {
            opened = try HDF5File.open(url, writable: true)
        } catch let error as MedSynthError where exists && !overwrite && error.kind == .corrupt {
            throw MedSynthError(.corrupt, url.path, "cannot resume: \(error.message); use --overwrite to start a new dataset in its place")
        }
        file = opened
        if exists && !overwrite { try Self.checkResumable(file, configuration: configuration) }
        casesGroup = try file.root.createGroups(MedSynthDataset.casesGroup)
        let existing = Set(try casesGroup.children().filter { $0.kind == .group }.map(\.name))
        resumedCaseIDs = existing
        caseIDs = existing
        self.lock = lock
    }

    /// True when the file holds case `id` (complete: cases appear only when fully written).
    public func contains(_ id: String) -> Bool { caseIDs.contains(id) }

    /// Writes one case and commits it (see the type's documentation for the steps).
    /// - Throws: `MedSynthError` naming the file: `.invalidArgument` (bad id, repeated modality, a case that is
    ///   already there), `.writeFailed` (HDF5 or disk failure; the case is then absent, earlier ones intact, and
    ///   the writer takes no more cases — see `abandon`).
    public func write(_ c: DatasetCase) throws {
        HDF5Library.prepareThread()
        precondition(!isClosed, "write after close")
        try c.validate(file: url.path)
        guard !caseIDs.contains(c.id) else {
            throw MedSynthError(.invalidArgument, url.path, "already holds case '\(c.id)'")
        }
        guard !isAbandoned else {
            throw MedSynthError(.writeFailed, url.path, "accepts no more cases after a failed write; run the command again to resume from the last complete case")
        }
        do {
            try commit(c)
        } catch let error as MedSynthError {
            abandon()
            let kept = caseIDs.count == 1 ? "the case written before is" : "the \(caseIDs.count) cases written before are"
            throw MedSynthError(error.kind, error.subject, "\(error.message); \(kept) intact: make room (or raise the limit) and run the same command again to resume")
        } catch {
            abandon()
            throw error
        }
    }

    /// Steps 1–4 of the type's documentation for one case.
    private func commit(_ c: DatasetCase) throws {
        let context = file.context
        let target = "/\(MedSynthDataset.casesGroup)/\(c.id)"
        let gcpl = try context.handle(H5Pcreate(ms_h5p_group_create()), .propertyList, .writeFailed, "cannot create a property list")
        try context.check(H5Pset_obj_track_times(gcpl.id, false), .writeFailed, "cannot configure group '\(target)'")
        let groupHandle = try context.handle(H5Gcreate_anon(file.handle.id, gcpl.id, ms_h5p_default()), .group, .writeFailed,
                                             "cannot create group '\(target)'")
        let group = HDF5Group(handle: groupHandle, path: target, context: context)
        for volume in c.volumes {
            try writeVolume(volume, into: group)
            startWriteback()
        }
        try c.provenance.write(to: group)
        faultInjection?.reach(.written, caseID: c.id)
        try durableFlush()
        faultInjection?.reach(.flushed, caseID: c.id)
        try context.check(H5Olink(groupHandle.id, casesGroup.handle.id, c.id, ms_h5p_default(), ms_h5p_default()),
                          .writeFailed, "cannot link group '\(target)'")
        faultInjection?.reach(.linked, caseID: c.id)
        groupHandle.close()
        try durableFlush()
        caseIDs.insert(c.id)
    }

    /// After a failed write (a full disk, a file-size limit, an I/O error) the file on disk is the last commit's: the
    /// failed case was never linked. HDF5, though, still holds that case's objects and would write them, and a new
    /// superblock, when the file is flushed or closed; with the disk still full that leaves a file that no longer
    /// opens (and libhdf5 1.10 may crash on the way). So HDF5's descriptor is pointed at /dev/null: whatever it
    /// writes from now on goes nowhere, the file stays as a killed run would leave it, and the next run resumes it.
    private func abandon() {
        writeback.wait()
        if let fd = fileDescriptor() {
            let null = open("/dev/null", O_RDWR)
            if null >= 0 {
                _ = dup2(null, fd)
                _ = Glibc.close(null)
            }
        }
        isAbandoned = true
    }

    /// Flushes and closes the file (calling it twice does nothing).
    /// - Throws: `MedSynthError(.writeFailed)` naming the file.
    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        writeback.wait()
        casesGroup.handle.close()
        defer { lock = nil }
        if isAbandoned {
            // Detached from the file (`abandon`): nothing HDF5 does with it matters any more, and closing a file whose
            // write failed is where libhdf5 1.10 goes wrong, so the handle is kept open until the process ends.
            Self.abandonedLock.lock()
            Self.abandonedFiles.append(file)
            Self.abandonedLock.unlock()
            return
        }
        try file.closeCompletely()
    }

    deinit { try? close() }

    // MARK: - Steps

    /// One dataset as `HDF5VolumeStore` lays it out: float32 (depth, height, width), one chunk per slice,
    /// shuffle + deflate, attributes modality, unit, spacing_mm, affine, medsynth_version. Slices are handed to
    /// HDF5 as finished chunks, compressed on all cores (`SliceChunkCompressor`).
    private func writeVolume(_ volume: Volume, into group: HDF5Group) throws {
        let s = volume.shape
        let dataset = try group.createDataset(
            HDF5VolumeStore.datasetName(for: volume.modality), elementType: .float32,
            shape: [s.depth, s.height, s.width], chunkShape: [1, s.height, s.width],
            shuffle: deflateLevel != nil, deflateLevel: deflateLevel)
        try SliceChunkCompressor.write(volume.voxels, shape: s, level: deflateLevel, strategy: deflateStrategy, to: dataset)
        let spacing = volume.spacingMM
        try dataset.attributes.set("modality", volume.modality.rawValue)
        try dataset.attributes.set("unit", volume.unit.rawValue)
        try dataset.attributes.set("spacing_mm", [spacing.z, spacing.y, spacing.x])
        try dataset.attributes.set("affine", volume.affine.rowMajor)
        try dataset.attributes.set("medsynth_version", MedSynthVersion.string)
    }

    /// `H5Fflush` (HDF5's caches to the operating system), then `fsync` (the operating system's to the disk)
    /// unless `syncsToDisk` is false.
    private func durableFlush() throws {
        try file.flush()
        guard syncsToDisk else { return }
        writeback.wait()
        if let fd = fileDescriptor(), fsync(fd) != 0 {
            throw MedSynthError(.writeFailed, url.path, "cannot sync to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// With `syncsToDisk`, starts writing the volume just handed to the operating system out to disk in the
    /// background (`fdatasync` on another thread), so that the disk works while the next volume is prepared and
    /// the commit's `fsync` finds little left to do. Errors surface at that `fsync`.
    private func startWriteback() {
        guard syncsToDisk, let fd = fileDescriptor() else { return }
        // The descriptor stays open until `close()`, which waits for this call first.
        writebackQueue.async(group: writeback) { _ = fdatasync(fd) }
    }

    /// The file's POSIX descriptor (the default sec2 driver's handle), or nil for another driver.
    private func fileDescriptor() -> Int32? {
        var pointer: UnsafeMutableRawPointer? = nil
        guard H5Fget_vfd_handle(file.handle.id, ms_h5p_default(), &pointer) >= 0, let pointer else {
            _ = HDF5Context.drainErrorStack()
            return nil
        }
        return pointer.load(as: Int32.self)
    }

    /// A new, empty dataset file with the run's root attributes, put in place atomically.
    private static func createEmpty(_ url: URL, configuration: DatasetRunConfiguration, plannedCaseCount: Int) throws {
        try AtomicFile.write(to: url) { temporary in
            let file = try HDF5File.create(temporary, overwrite: true, displayPath: url.path)
            let a = file.root.attributes
            try a.set("format", MedSynthDataset.formatName)
            try a.set("format_version", MedSynthDataset.formatVersion)
            try a.set("medsynth_version", MedSynthVersion.string)
            try a.set("run_signature", configuration.signature)
            try a.set("run_configuration", configuration.json)
            try a.set("case_count", plannedCaseCount)
            _ = try file.root.createGroup(MedSynthDataset.casesGroup)
            try file.closeCompletely()
        }
    }

    /// Refuses an existing file that another run (or no run) started.
    private static func checkResumable(_ file: HDF5File, configuration: DatasetRunConfiguration) throws {
        let path = file.url.path
        let a = file.root.attributes
        guard let signature = try? a.string("run_signature") else {
            throw MedSynthError(.unsupported, path,
                                "exists and is not a resumable MedSynth dataset (no run_signature attribute); use --overwrite to replace it or choose another output")
        }
        guard signature != configuration.signature else { return }
        let stored = (try? a.string("run_configuration")).flatMap { $0.flatMap(DatasetRunConfiguration.parse) }
        let diff = stored.map { configuration.differences(from: $0) } ?? ""
        throw MedSynthError(.mismatch, path,
                            "was started with different arguments (\(diff.isEmpty ? "run signature \(signature), this run \(configuration.signature)" : diff)); rerun with the same arguments to resume it, or use --overwrite to start a new dataset in its place")
    }
}

/// A test hook: `MEDSYNTH_FAULT_INJECTION=<case-id>:<stage>` kills the process with SIGKILL when the writer
/// reaches `stage` (`written`, `flushed`, `linked`) for that case, so tests can check what a kill at exactly that
/// point leaves behind. Unset in normal use.
struct FaultInjection {
    enum Stage: String { case written, flushed, linked }
    let caseID: String
    let stage: Stage

    static func fromEnvironment() -> FaultInjection? {
        guard let spec = ProcessInfo.processInfo.environment["MEDSYNTH_FAULT_INJECTION"],
              let colon = spec.lastIndex(of: ":"),
              let stage = Stage(rawValue: String(spec[spec.index(after: colon)...])) else { return nil }
        return FaultInjection(caseID: String(spec[..<colon]), stage: stage)
    }

    func reach(_ stage: Stage, caseID: String) {
        if stage == self.stage && caseID == self.caseID { kill(getpid(), SIGKILL) }
    }
}

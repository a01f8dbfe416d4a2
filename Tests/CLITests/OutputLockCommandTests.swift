import Foundation
import MedCore
import MedTestSupport
import Testing

/// One writer per output, through the binary: while this process holds an output's `OutputLock` (as a running
/// `medsynth` would), a command writing that dataset or run folder is refused at once, naming this process, and
/// leaves nothing; once released, the same command runs.
@Suite struct OutputLockCommandTests {
    @Test func aSecondDatasetWriterIsRefused() throws {
        let folder = try Fixtures.temporaryFolder("lock-phantom")
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = ["phantom", "--cases", "1", "--shape", "8", "16", "16", "--seed", "2", "--out", "cohort.h5"]
        var lock: OutputLock? = try OutputLock(for: folder.appendingPathComponent("cohort.h5"))
        let refused = try CommandRunner.run(arguments, in: folder)
        #expect(refused.status == 1 && !refused.signaled, "\(refused.stderr)")
        #expect(refused.stderr.contains("cohort.h5: is being written by another run (pid \(getpid())"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("cohort.h5").path))
        _ = lock
        lock = nil
        let r = try CommandRunner.run(arguments, in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".cohort.h5.lock").path),
                "the lock file goes with the run")
    }

    @Test func aSecondRunInTheSameFolderIsRefused() throws {
        let folder = try TrainCommandTests.folder("lock-train", steps: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("out"), withIntermediateDirectories: true)
        let lock = try OutputLock(for: folder.appendingPathComponent("out/tiny"))
        let r = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out"], in: folder, timeoutSeconds: 300)
        #expect(r.status == 1 && !r.signaled, "\(r.stderr)")
        #expect(r.stderr.contains("out/tiny: is being written by another run (pid \(getpid())"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/tiny/config.yaml").path))
        _ = lock
    }
}

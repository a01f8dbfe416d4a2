import Foundation
import MedCore
import MedTestSupport
import Testing

/// One writer per output: a second lock on the same output is refused naming the holder; releasing it (or the
/// holder ending) frees the output; a lock file left behind by a killed run is taken over.
@Suite struct OutputLockTests {
    /// Another process is refused naming this one (a child running `flock -n`, util-linux, on the lock file);
    /// within this process the lock is shared and counted; the last release removes the file and frees the output.
    @Test func anotherProcessIsRefusedAndThisOneShares() throws {
        let dir = try Fixtures.temporaryFolder("output-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cohort.h5")
        let lockFile = dir.appendingPathComponent(".cohort.h5.lock")
        func otherProcessGetsIt() throws -> Bool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            p.arguments = ["-n", lockFile.path, "true"]
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        var first: OutputLock? = try OutputLock(for: out)
        #expect(try String(contentsOf: lockFile, encoding: .utf8).hasPrefix("pid \(getpid()),"))
        #expect(try !otherProcessGetsIt(), "another process must not get the lock")
        var second: OutputLock? = try OutputLock(for: out)  // this process: shared
        first = nil
        #expect(FileManager.default.fileExists(atPath: lockFile.path), "still held by the second")
        #expect(try !otherProcessGetsIt())
        _ = (first, second)
        second = nil
        #expect(!FileManager.default.fileExists(atPath: lockFile.path))
        // Another output in the same folder is independent.
        _ = try OutputLock(for: dir.appendingPathComponent("other.h5"))
    }

    @Test func aLockFileLeftByAKilledRunIsTakenOver() throws {
        let dir = try Fixtures.temporaryFolder("output-lock")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "pid 999999, `medsynth phantom`, started 2026-01-01T00:00:00Z".write(
            to: dir.appendingPathComponent(".run.lock"), atomically: true, encoding: .utf8)
        let lock = try OutputLock(for: dir.appendingPathComponent("run"))
        let text = try String(contentsOf: lock.lockFile, encoding: .utf8)
        #expect(text.hasPrefix("pid \(getpid()),"), "\(text)")
    }

    @Test func aMissingFolderIsAWriteError() {
        let e = #expect(throws: MedSynthError.self) {
            try OutputLock(for: URL(fileURLWithPath: "/nonexistent-medsynth-folder/out.h5"))
        }
        #expect(e?.kind == .writeFailed && e?.message.contains("lock file") == true)
    }
}

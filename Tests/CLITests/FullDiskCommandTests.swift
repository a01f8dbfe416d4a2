import Foundation
import MedCore
import MedIO
import MedTestSupport
import Testing

/// A dataset run that hits a full disk (simulated by a file-size limit, `ulimit -f`, with SIGXFSZ ignored so that
/// writes fail with EFBIG as they fail with ENOSPC on a full disk): the command ends with a one-line error naming
/// the file and the system's reason, never a crash; the cases committed before stay readable, and the same command
/// run again with room resumes them and ends with the same bytes as a run that never failed.
@Suite(.serialized) struct FullDiskCommandTests {
    /// `medsynth arguments` in `folder` under bash, with a file-size limit of `limitKiB` KiB and SIGXFSZ ignored.
    static func runLimited(_ arguments: [String], in folder: URL, limitKiB: Int) throws -> CommandRunner.Result {
        let executable = try #require(CommandRunner.executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(limitKiB); exec \"$0\" \"$@\"", executable.path] + arguments
        process.currentDirectoryURL = folder
        let outFile = folder.appendingPathComponent("stdout.txt"), errFile = folder.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return CommandRunner.Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                                    stdout: try String(contentsOf: outFile, encoding: .utf8),
                                    stderr: try String(contentsOf: errFile, encoding: .utf8))
    }

    @Test func aFullDiskFailsCleanlyAndTheSameCommandResumes() throws {
        let folder = try Fixtures.temporaryFolder("full-disk")
        defer { try? FileManager.default.removeItem(at: folder) }
        func phantom(_ out: String) -> [String] {
            ["phantom", "--cases", "4", "--shape", "24", "48", "48", "--seed", "5", "--lesions", "1", "--out", out]
        }
        let reference = try CommandRunner.run(phantom("reference.h5"), in: folder)
        #expect(reference.status == 0, "\(reference.stderr)")
        let referenceURL = folder.appendingPathComponent("reference.h5")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: referenceURL.path)[.size] as? Int)

        // Room for about half the dataset: the run fails part-way.
        let limited = try Self.runLimited(phantom("cohort.h5"), in: folder, limitKiB: size / 2 / 1024)
        #expect(limited.status == 1 && !limited.signaled, "status \(limited.status): \(limited.stderr)")
        #expect(!limited.stderr.contains("crashed"), "\(limited.stderr)")
        #expect(limited.stderr.contains("cohort.h5") && limited.stderr.contains("File too large"), "\(limited.stderr)")
        #expect(limited.stderr.contains("run the same command again to resume"), "\(limited.stderr)")
        let url = folder.appendingPathComponent("cohort.h5")
        let kept = try MedSynthDataset.caseIDs(in: url)
        #expect(!kept.isEmpty && kept.count < 4, "cases kept after the failure: \(kept)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".cohort.h5.lock").path))

        let resumed = try CommandRunner.run(phantom("cohort.h5"), in: folder)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("\(kept.count) of 4 cases already present"), "\(resumed.stderr)")
        let ids = try MedSynthDataset.caseIDs(in: url)
        #expect(ids == (try MedSynthDataset.caseIDs(in: referenceURL)))
        for id in ids {
            let a = try MedSynthDataset.readCase(id, in: url), b = try MedSynthDataset.readCase(id, in: referenceURL)
            #expect(a.volumes.map(\.modality) == b.volumes.map(\.modality))
            for (x, y) in zip(a.volumes, b.volumes) {
                #expect(x.voxels.map(\.bitPattern) == y.voxels.map(\.bitPattern), "\(id) \(x.modality)")
            }
        }
    }

    /// Whole-file outputs (a NIfTI volume, an HDF5 checkpoint) are written to a temporary file and renamed: a full
    /// disk ends the command with an error naming the output, and leaves neither a partial output nor the
    /// temporary file.
    @Test func aFullDiskLeavesNoPartialNIfTIOrCheckpoint() throws {
        let folder = try Fixtures.temporaryFolder("full-disk-files")
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = ["bench", "translate", "--prepare-only", "--size", "32", "--depth", "16", "--ngf", "8", "--blocks", "1",
                         "--dir", "out"]
        let full = try CommandRunner.run(arguments, in: folder)
        #expect(full.status == 0, "\(full.stderr)")
        func size(_ name: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("out/\(name)").path)[.size] as? Int)
        }
        let volume = try size("input_ct.nii.gz"), checkpoint = try size("cyclegan_ct2t1.h5")
        try #require(checkpoint > volume + 4096, "the checkpoint (\(checkpoint) B) must be the larger file (volume \(volume) B)")
        for (limitKiB, failing) in [(volume / 2 / 1024, "input_ct.nii.gz"), ((volume + checkpoint) / 2 / 1024, "cyclegan_ct2t1.h5")] {
            try FileManager.default.removeItem(at: folder.appendingPathComponent("out"))
            let r = try Self.runLimited(arguments, in: folder, limitKiB: max(1, limitKiB))
            #expect(r.status == 1 && !r.signaled, "limit \(limitKiB) KiB: status \(r.status): \(r.stderr)")
            #expect(r.stderr.contains("out/\(failing)"), "limit \(limitKiB) KiB: \(r.stderr)")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out").path)) ?? []
            #expect(!left.contains(failing) && !left.contains { $0.contains(AtomicFile.temporaryMarker) },
                    "limit \(limitKiB) KiB left \(left)")
        }
    }
}

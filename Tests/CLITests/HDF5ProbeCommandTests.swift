import Foundation
import Testing
import MedIO
import MedTestSupport

/// Issue 21: a crash inside libhdf5 on a hostile file happens in MedSynth's probe program, not in the command,
/// which fails with one line naming the file and leaves no output. The crash is injected
/// (`MEDSYNTH_HDF5_PROBE_CRASH=1` makes the probe die of SIGSEGV as libhdf5 would); no real file that crashes
/// libhdf5 1.10.8 has been found here (docs/RELIABILITY.md).
@Suite(.serialized) struct HDF5ProbeCommandTests {
    @Test func theProbeIsBuiltNextToTheTests() {
        // Without it every read would go unprobed; SwiftPM builds it beside medsynth and the test runner.
        #expect(HDF5Probe.executable != nil)
    }

    @Test func aCrashInLibHDF5FailsTheCommandInOneLineAndWritesNothing() throws {
        let scratch = try Fixtures.temporaryFolder("hdf5-probe")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let made = try CommandRunner.run(["phantom", "--cases", "1", "--shape", "16", "32", "32", "--seed", "3",
                                          "--out", "d.h5"], in: scratch)
        try #require(made.status == 0, "\(made.stderr)")
        let crash = [HDF5Probe.crashInjectionVariable: "1"]
        let info = try CommandRunner.run(["info", "d.h5"], in: scratch, environment: crash)
        #expect(info.status == 1 && !info.signaled, "\(info.status) \(info.stderr)")
        let lines = info.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("d.h5") && lines[0].contains("crashed") && lines[0].contains("signal 11"),
                "\(info.stderr)")
        let convert = try CommandRunner.run(["convert", "d.h5", "t1.nii.gz", "--dataset", "/cases/case000/T1"],
                                            in: scratch, environment: crash)
        #expect(convert.status == 1 && convert.stderr.contains("crashed"), "\(convert.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.appendingPathComponent("t1.nii.gz").path))
        // The same file reads normally when libhdf5 does not crash.
        let ok = try CommandRunner.run(["info", "d.h5"], in: scratch)
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}

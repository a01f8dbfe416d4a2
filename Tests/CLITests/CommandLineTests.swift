import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// End-to-end tests of the `medsynth` tool: help texts, outputs that cannot be written, the demo.
@Suite struct CommandLineTests {
    @Test(arguments: [["--help"], ["info", "--help"], ["convert", "--help"], ["demo", "--help"], ["sample", "--help"]])
    func helpShowsAnExample(arguments: [String]) throws {
        let r = try CommandRunner.run(arguments)
        #expect(r.status == 0)
        #expect(r.stdout.contains("Example"), "no example in: \(r.stdout)")
    }

    @Test func missingInputIsOneClearLine() throws {
        let r = try CommandRunner.run(["info", "/no/such/file.nii.gz"])
        #expect(r.status == 1)
        #expect(r.stderr == "medsynth: error: /no/such/file.nii.gz: no such file\n")
    }

    @Test func unwritableOutputsAreRefusedWithoutLeftovers() throws {
        let scratch = try Fixtures.temporaryFolder("cli-unwritable")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let demo = try CommandRunner.run(["sample", "--cases", "1", "--shape", "8", "16", "16", "--out", scratch.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        let input = scratch.appendingPathComponent("case000_CT.nii.gz").path
        // The parent of the output is a regular file, and a folder that does not exist.
        for bad in [input + "/x.nii", scratch.path + "/missing/x.h5", scratch.path + "/noextension"] {
            let r = try CommandRunner.run(["convert", input, bad])
            #expect(r.status == 1, "\(bad): exit \(r.status)")
            #expect(r.stderr.hasPrefix("medsynth: error: ") && r.stderr.contains(bad), "\(r.stderr)")
        }
        // A multi-slice volume to PNG needs --slice; nothing is written.
        let png = scratch.appendingPathComponent("x.png").path
        let r = try CommandRunner.run(["convert", input, png])
        #expect(r.status == 1 && r.stderr.contains("--slice"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: png))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains(AtomicFile.temporaryMarker) }
        #expect(leftovers.isEmpty)
    }

    @Test func demoWritesReadableFilesAndIsDeterministic() throws {
        let a = try Fixtures.temporaryFolder("demo-a"), b = try Fixtures.temporaryFolder("demo-b")
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        for folder in [a, b] {
            let r = try CommandRunner.run(["sample", "--cases", "2", "--shape", "12", "24", "24", "--seed", "5", "--out", folder.path, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            #expect((json?["files"] as? [Any])?.count == 16)  // 2 cases × 6 modalities in HDF5 + 3 NIfTI + 1 PNG
        }
        for name in ["case000_CT.nii.gz", "case000_T1.nii.gz", "case000_labels.nii.gz", "case000_CT_mid.png"] {
            let va = try VolumeIO.read(a.appendingPathComponent(name)).volume
            let vb = try VolumeIO.read(b.appendingPathComponent(name)).volume
            #expect(va == vb, "\(name) differs between two runs with the same seed")
        }
        // The HDF5 files are compared byte for byte (MedSynth stores no timestamps), not read in-process: the
        // serialized HDF5 suite's leak check counts identifiers across the whole test process.
        let ha = try Data(contentsOf: a.appendingPathComponent("phantom.h5"))
        let hb = try Data(contentsOf: b.appendingPathComponent("phantom.h5"))
        #expect(ha == hb)
    }

    @Test func convertRoundTripsThroughEveryFormat() throws {
        let scratch = try Fixtures.temporaryFolder("cli-convert")
        defer { try? FileManager.default.removeItem(at: scratch) }
        _ = try CommandRunner.run(["sample", "--cases", "1", "--shape", "8", "16", "16", "--out", scratch.path])
        let source = scratch.appendingPathComponent("case000_CT.nii.gz")
        let original = try VolumeIO.read(source).volume
        let h5 = scratch.appendingPathComponent("ct.h5").path
        let nii = scratch.appendingPathComponent("back.nii").path
        for (from, to) in [(source.path, h5), (h5, nii)] {
            let r = try CommandRunner.run(["convert", from, to])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let back = try VolumeIO.read(URL(fileURLWithPath: nii)).volume
        #expect(back.voxels == original.voxels)
        #expect(back.affine.isClose(to: original.affine, tolerance: 1e-5))
        #expect(back.modality == .ct && back.unit == .hounsfield)

        // PNG keeps physical units within half a quantisation step of the window.
        let png = scratch.appendingPathComponent("mid.png").path
        let r = try CommandRunner.run(["convert", source.path, png, "--slice", "4", "--window", "-1024", "3071"])
        #expect(r.status == 0, "\(r.stderr)")
        let slice = try VolumeIO.read(URL(fileURLWithPath: png)).volume
        let step = 4095.0 / 65535.0
        #expect(Approx.maxAbsDifference(slice.voxels, original.slice(4).voxels) <= step / 2 + 1e-3)
        #expect(slice.modality == .ct)

        let info = try CommandRunner.run(["info", h5, "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("/cases/ct/CT"))
    }
}

extension CommandLineTests {
    @Test func infoOnHDF5CanSkipOrSelectStatistics() throws {
        let dir = try Fixtures.temporaryFolder("cli-info-h5")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try CommandRunner.run(["sample", "--cases", "1", "--shape", "8", "16", "16", "--out", dir.path])
        let h5 = dir.appendingPathComponent("phantom.h5").path
        func images(_ extra: [String]) throws -> [[String: Any]] {
            let r = try CommandRunner.run(["info", h5, "--json"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            #expect((json["tree"] as? [Any])?.isEmpty == false)
            return json["images"] as! [[String: Any]]
        }
        #expect(try images([]).count == 6)
        #expect(try images(["--tree-only"]).isEmpty)
        let one = try images(["--dataset", "/cases/case000/PET"])
        #expect(one.count == 1 && one[0]["unit"] as? String == "SUV")
        let wrong = try CommandRunner.run(["info", dir.appendingPathComponent("case000_CT.nii.gz").path, "--dataset", "/x"])
        #expect(wrong.status == 1 && wrong.stderr.contains("HDF5"))
    }
}

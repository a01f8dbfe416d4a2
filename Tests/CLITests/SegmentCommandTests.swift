import Foundation
import MedIO
import MedTestSupport
import Testing

/// `medsynth segment train` and `predict` end to end through the binary, on a tiny built-in phantom with lesions.
@Suite(.serialized) struct SegmentCommandTests {
    static let config = """
    seed: 1
    data:
      phantom: { cases: 3, shape: [16, 32, 32], seed: 4, lesions: 2 }
      validationFraction: 0.34
      patchSize: [16, 16]
      batchSize: 2
    network: { spatialRank: 2, depth: 2, baseWidth: 4 }
    training: { steps: 4, logEvery: 1, validateEvery: 2 }
    """

    static func folder(_ name: String) throws -> URL {
        let folder = try Fixtures.temporaryFolder(name)
        try Data(config.utf8).write(to: folder.appendingPathComponent("tiny.yaml"))
        return folder
    }

    @Test func trainsThenPredictsNIfTIAndDatasetsKeepingTheGrid() throws {
        let folder = try Self.folder("segment-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try CommandRunner.run(["segment", "train", "--config", "tiny.yaml", "--outputs", "out", "--json"],
                                          in: folder, timeoutSeconds: 300)
        #expect(train.status == 0 && !train.signaled, "\(train.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 4 && summary["interrupted"] as? Bool == false && summary["name"] as? String == "tiny")
        let run = folder.appendingPathComponent("out/tiny")
        for f in ["config.yaml", "losses.csv", "validation.csv", "report.html", "summary.json", "checkpoints/latest.h5",
                  "checkpoints/best.h5"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(f).path), "missing \(f)")
        }
        #expect(train.stderr.contains("step 4/4") && train.stderr.contains("validating at step 2"))

        // One case's FLAIR as NIfTI, through convert; predict must keep its shape and affine.
        let dataset = "out/datasets/phantom-3c-16x32x32-seed4-lesions2.h5"
        let convert = try CommandRunner.run(["convert", dataset, "flair.nii.gz", "--dataset", "/cases/case000/FLAIR"], in: folder)
        #expect(convert.status == 0, "\(convert.stderr)")
        let checkpoint = "out/tiny/checkpoints/best.h5"
        let predict = try CommandRunner.run(["segment", "predict", "--checkpoint", checkpoint, "--in", "flair.nii.gz",
                                             "--out", "pred.nii.gz", "--json"], in: folder)
        #expect(predict.status == 0, "\(predict.stderr)")
        let input = try VolumeIO.read(folder.appendingPathComponent("flair.nii.gz")).volume
        let output = try VolumeIO.read(folder.appendingPathComponent("pred.nii.gz"))
        #expect(output.volume.shape == input.shape && output.volume.affine.isClose(to: input.affine, tolerance: 1e-5))
        #expect(output.storedDataType == "uint8" && output.volume.voxels.allSatisfy { $0 == 0 || $0 == 1 })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any])
        #expect(json["classes"] as? [String] == ["background", "lesion"])

        // An existing output is kept unless --overwrite.
        let again = try CommandRunner.run(["segment", "predict", "--checkpoint", checkpoint, "--in", "flair.nii.gz",
                                           "--out", "pred.nii.gz"], in: folder)
        #expect(again.status == 1 && again.stderr.contains("--overwrite"))

        // A whole dataset: one label map per case.
        let h5 = try CommandRunner.run(["segment", "predict", "--checkpoint", checkpoint, "--in", dataset, "--out", "pred.h5"], in: folder)
        #expect(h5.status == 0, "\(h5.stderr)")
        #expect(h5.stdout.contains("3 cases segmented"))
        try HDF5TestGate.exclusive {
            let url = folder.appendingPathComponent("pred.h5")
            #expect(try MedSynthDataset.caseIDs(in: url) == ["case000", "case001", "case002"])
            let label = try HDF5VolumeStore.read(url, dataset: "/cases/case001/label").volume
            #expect(label.shape == input.shape && label.modality == .label)
        }
    }

    @Test func mistakesAreOneLineNamingTheKeyOrTheFile() throws {
        let folder = try Self.folder("segment-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let typo = try CommandRunner.run(["segment", "train", "--config", "tiny.yaml", "--outputs", "out",
                                          "--set", "training.foregroundOversample=0.5"], in: folder)
        #expect(typo.status == 1 && typo.stderr.contains("training.foregroundOversample") && typo.stderr.contains("not a setting"))
        #expect(typo.stderr.split(separator: "\n").count == 1)
        let bad = try CommandRunner.run(["segment", "train", "--config", "tiny.yaml", "--outputs", "out",
                                         "--set", "data.modalities=[CT, CT]"], in: folder)
        #expect(bad.status == 1 && bad.stderr.contains("data.modalities"), "\(bad.stderr)")
        let missing = try CommandRunner.run(["segment", "predict", "--checkpoint", "nope.h5", "--in", "x.nii", "--out", "y.nii"], in: folder)
        #expect(missing.status == 1 && missing.stderr.contains("nope.h5") && !missing.signaled)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/tiny").path))
    }
}

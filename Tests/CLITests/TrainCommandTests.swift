import Foundation
import MedTestSupport
import Testing

/// `medsynth train` end to end through the binary: the built-in phantom, the run folder, Ctrl-C and --resume,
/// and configuration errors as one line.
@Suite(.serialized) struct TrainCommandTests {
    /// A CycleGAN small enough for seconds per run, on a 3-case 16×32×32 built-in phantom.
    static func config(steps: Int) -> String {
        """
        model: cyclegan
        seed: 3
        data:
          phantom: { cases: 3, shape: [16, 32, 32], seed: 4, lesions: 0 }
          slices: { modalityA: CT, modalityB: T1, pairing: unpaired, validationFraction: 0.34, validationSlices: 4 }
        network: { generatorFilters: 4, discriminatorFilters: 4, residualBlocks: 1, discriminatorLayers: 2, poolSize: 4 }
        training: { steps: \(steps), logEvery: 1, validateEvery: 5, checkpointEvery: 0, sampleRows: 2 }
        """
    }

    static func folder(_ name: String, steps: Int) throws -> URL {
        let folder = try Fixtures.temporaryFolder(name)
        try Data(config(steps: steps).utf8).write(to: folder.appendingPathComponent("tiny.yaml"))
        return folder
    }

    @Test func trainsOnTheBuiltInPhantomAndWritesTheRunFolder() throws {
        let folder = try Self.folder("train-cli", steps: 6)
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out", "--json"], in: folder, timeoutSeconds: 300)
        #expect(r.status == 0 && !r.signaled, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 6 && summary["interrupted"] as? Bool == false)
        #expect(summary["name"] as? String == "tiny")
        let run = folder.appendingPathComponent("out/tiny")
        for f in ["config.yaml", "losses.csv", "validation.csv", "report.html", "summary.json", "checkpoints/latest.h5",
                  "checkpoints/best.h5", "samples/step-000005.png", "samples/step-000006.png"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(f).path), "missing \(f)")
        }
        let datasets = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out/datasets").path)
        #expect(datasets == ["phantom-3c-16x32x32-seed4-lesions0.h5"])
        // Plain progress lines (stderr is a pipe): one per logged step, and the validations.
        #expect(r.stderr.contains("train: step 6/6") && r.stderr.contains("validating at step 5"))

        // The run's checkpoint alone is enough to translate: a held-out CT volume → T1 (A→B) and back (B→A).
        let dataset = "out/datasets/phantom-3c-16x32x32-seed4-lesions0.h5"
        let convert = try CommandRunner.run(["convert", dataset, "ct.nii.gz", "--dataset", "/cases/case000/CT"], in: folder)
        #expect(convert.status == 0, "\(convert.stderr)")
        let forward = try CommandRunner.run(["translate", "--checkpoint", "out/tiny/checkpoints/latest.h5", "--in", "ct.nii.gz",
                                             "--out", "t1.nii.gz", "--json"], in: folder)
        #expect(forward.status == 0, "\(forward.stderr)")
        let backward = try CommandRunner.run(["translate", "--checkpoint", "out/tiny/checkpoints/best.h5", "--in", "t1.nii.gz",
                                              "--out", "ct-again.nii.gz", "--direction", "BtoA"], in: folder)
        #expect(backward.status == 0, "\(backward.stderr)")
        let info = try CommandRunner.run(["info", "ct-again.nii.gz", "--json"], in: folder)
        #expect(info.status == 0 && info.stdout.contains("16") && info.stdout.contains("32"), "\(info.stdout)")

        // A second new run under the same name is refused, in one line, and changes nothing.
        let again = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out"], in: folder)
        #expect(again.status == 1 && again.stderr.contains("--resume"))
        #expect(again.stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1)
    }

    @Test func ctrlCSavesAndResumeFinishesTheRun() throws {
        let folder = try Self.folder("train-sigint", steps: 1500)   // ~130 steps/s: still running when the signal comes
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = try #require(CommandRunner.executable)
        process.arguments = ["train", "--config", "tiny.yaml", "--outputs", "out", "--name", "stopme"]
        process.currentDirectoryURL = folder
        let errPipe = Pipe(), outPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = outPipe
        try process.run()
        // Wait for the third step's progress line, then interrupt as Ctrl-C does.
        var seen = Data()
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline && !String(decoding: seen, as: UTF8.self).contains("step 3/1500") {
            let chunk = errPipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        #expect(String(decoding: seen, as: UTF8.self).contains("step 3/1500"))
        kill(process.processIdentifier, SIGINT)
        // Keep draining stderr so the process never blocks on a full pipe while it saves and exits.
        let drain = errPipe.fileHandleForReading
        DispatchQueue.global().async { _ = drain.readDataToEndOfFile() }
        process.waitUntilExit()
        let out = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(out)")
        #expect(out.contains("interrupted") && out.contains("--resume"))
        let run = folder.appendingPathComponent("out/stopme")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/latest.h5").path))
        let stoppedAt = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any])["steps"] as? Int
        #expect((3..<1500).contains(stoppedAt ?? -1))

        // Resume with fewer steps is refused (the schedule would change); with the run's own config it finishes.
        let changed = try CommandRunner.run(["train", "--name", "stopme", "--resume", "--outputs", "out", "--steps", "20"], in: folder)
        #expect(changed.status == 1 && changed.stderr.contains("training.steps"), "\(changed.stderr)")
        let resumed = try CommandRunner.run(["train", "--name", "stopme", "--resume", "--outputs", "out",
                                             "--json"], in: folder, timeoutSeconds: 600)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming") && resumed.stderr.contains("at step \(stoppedAt ?? -1)"))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(summary["steps"] as? Int == 1500 && summary["interrupted"] as? Bool == false)
        let losses = try String(contentsOf: run.appendingPathComponent("losses.csv"), encoding: .utf8)
        #expect(losses.split(separator: "\n").count == 1 + 1500, "one row per step, none twice")
    }

    @Test func regressionWithALesionWeightTrainsAndItsCheckpointTranslates() throws {
        // model: regression with the lesion-weighted L1 on a built-in phantom with lesions (label maps present), then
        // `translate` with its checkpoint exactly as with a pix2pix one.
        let folder = try Fixtures.temporaryFolder("train-regression")
        defer { try? FileManager.default.removeItem(at: folder) }
        let yaml = """
        model: regression
        seed: 2
        data:
          phantom: { cases: 3, shape: [16, 32, 32], seed: 4, lesions: 2 }
          slices: { modalityA: CT, modalityB: FLAIR, pairing: paired, validationFraction: 0.34, validationSlices: 4 }
        network: { generatorFilters: 4, downsamplings: 5, lesionL1Weight: 20 }
        training: { steps: 4, logEvery: 2, validateEvery: 4, checkpointEvery: 0, sampleRows: 1 }
        """
        try Data(yaml.utf8).write(to: folder.appendingPathComponent("reg.yaml"))
        let r = try CommandRunner.run(["train", "--config", "reg.yaml", "--outputs", "out", "--json"], in: folder, timeoutSeconds: 300)
        #expect(r.status == 0 && !r.signaled, "\(r.stderr)")
        #expect(r.stdout.contains("\"model\" : \"regression\"") || r.stdout.contains("\"model\": \"regression\""), "\(r.stdout)")
        let losses = try String(contentsOf: folder.appendingPathComponent("out/reg/losses.csv"), encoding: .utf8)
        #expect(losses.hasPrefix("step,learning_rate,G_L1\n"))

        let dataset = "out/datasets/phantom-3c-16x32x32-seed4-lesions2.h5"
        let convert = try CommandRunner.run(["convert", dataset, "ct.nii.gz", "--dataset", "/cases/case000/CT"], in: folder)
        #expect(convert.status == 0, "\(convert.stderr)")
        let translate = try CommandRunner.run(["translate", "--checkpoint", "out/reg/checkpoints/latest.h5", "--in", "ct.nii.gz",
                                               "--out", "flair.nii.gz", "--json"], in: folder)
        #expect(translate.status == 0 && translate.stdout.contains("regression"), "\(translate.stderr)\(translate.stdout)")
        let info = try CommandRunner.run(["info", "flair.nii.gz", "--json"], in: folder)
        #expect(info.status == 0 && info.stdout.contains("FLAIR"), "\(info.stdout)")

        // A bad weight is one line naming the key.
        let bad = try CommandRunner.run(["train", "--config", "reg.yaml", "--name", "bad", "--outputs", "out",
                                         "--set", "network.lesionL1Weight=-3"], in: folder)
        #expect(bad.status == 1 && bad.stderr.contains("network.lesionL1Weight") && bad.stderr.contains("-3"), "\(bad.stderr)")
    }

    @Test func configurationMistakesAreOneLineNamingTheKey() throws {
        let folder = try Self.folder("train-bad", steps: 2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let typo = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out", "--set", "network.lambdaCycle=3"], in: folder)
        #expect(typo.status == 1 && typo.stderr.contains("network.lambdaCycle") && typo.stderr.contains("not a setting"))
        let model = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out", "--set", "model=stylegan"], in: folder)
        #expect(model.status == 1 && model.stderr.contains("stylegan") && model.stderr.contains("cyclegan, pix2pix, cgan"))
        let missing = try CommandRunner.run(["train", "--config", "nope.yaml"], in: folder)
        #expect(missing.status == 1 && missing.stderr.contains("nope.yaml"))
        let noData = try CommandRunner.run(["train", "--config", "tiny.yaml", "--outputs", "out", "--set", "data.files=[missing.h5]"], in: folder)
        #expect(noData.status == 1 && noData.stderr.contains("missing.h5") && noData.stderr.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/tiny").path), "nothing written on a refused start")
    }
}

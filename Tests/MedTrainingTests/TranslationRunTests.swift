import Foundation
import MedCore
import MedInference
import MedIO
import MedNN
import MedTensor
import MedTestSupport
import Testing
@testable import MedTraining

/// The training run (`medsynth train`'s library side) on the small `SliceFixture` datasets: the run folder,
/// exact resume after an interrupt, the NaN guard, and the checks that protect existing runs.
@Suite(.serialized) struct TranslationRunTests {
    /// A tiny CycleGAN run: 16-pixel crops, 4 filters, one residual block, a 2-layer PatchGAN.
    static let cycleGANYAML = """
    model: cyclegan
    seed: 5
    data:
      slices: { modalityA: CT, modalityB: T1, pairing: unpaired, cropSize: 16, validationCrop: center,
                validationFraction: 0.4, minimumForegroundFraction: 0.05, normalizationB: { method: percentiles, lowerPercentile: 0, upperPercentile: 100 } }
    network: { generatorFilters: 4, discriminatorFilters: 4, residualBlocks: 1, discriminatorLayers: 2, poolSize: 2 }
    training: { steps: 6, logEvery: 2, validateEvery: 3, checkpointEvery: 0, validationBatchSize: 2, sampleRows: 2 }
    """

    /// A tiny conditional GAN (ResNet generator, so 16-pixel crops work), CT → T1 as the paired stand-in.
    static let cganYAML = """
    model: cgan
    seed: 9
    data:
      slices: { modalityA: CT, modalityB: T1, pairing: paired, cropSize: 16, validationCrop: center,
                validationFraction: 0.4, normalizationB: { method: percentiles, lowerPercentile: 0, upperPercentile: 100 } }
    network: { generatorArchitecture: resnet, generatorFilters: 4, discriminatorFilters: 4, residualBlocks: 1,
               discriminatorLayers: 2, noiseChannels: 1 }
    training: { steps: 5, logEvery: 1, validateEvery: 2, checkpointEvery: 4, validationBatchSize: 3, sampleRows: 1 }
    """

    static func config<N: TranslatorOptions>(_: N.Type, _ yaml: String, _ overrides: [String] = []) throws
        -> ResolvedConfiguration<TranslationRunConfig<N>> {
        try ConfigLoader.load(TranslationRunConfig<N>.self, yaml: yaml, source: "test.yaml", overrides: overrides)
    }

    /// Every tensor of a checkpoint file, by key (weights, buffers and optimizer state).
    static func tensors(_ url: URL) throws -> [String: [Float]] {
        let c = try CheckpointContents.read(from: url)
        var out: [String: [Float]] = [:]
        for e in c.entries { out[e.key] = e.value.scalars }
        for (name, o) in c.optimizers { for (k, t) in o.tensors { out["opt.\(name).\(k)"] = t.scalars } }
        return out
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// Runs `yaml` straight through, and again stopped after `stopAfter` steps and resumed in a new process-like
    /// object; the checkpoints, loss log and validation log must agree exactly.
    func checkResume<N: TranslatorOptions>(_ type: N.Type, yaml: String, stopAfter: Int, name: String,
                                           inspect: (URL) throws -> Void = { _ in },
                                           files makeFiles: (URL) throws -> [URL] = { try SliceFixture.standardFiles(in: $0) }) throws {
        let folder = try Fixtures.temporaryFolder("slicedata")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HDF5TestGate.exclusive {
            let files = try makeFiles(folder)
            let resolved = try Self.config(type, yaml)
            let straightDir = folder.appendingPathComponent("straight-\(name)")
            let straight = try TranslationRun(configuration: resolved, files: files, directory: straightDir, resume: false)
            let full = try straight.run()
            #expect(!full.interrupted && full.steps == resolved.value.training.steps)
            try inspect(straightDir)

            let splitDir = folder.appendingPathComponent("split-\(name)")
            let first = try TranslationRun(configuration: resolved, files: files, directory: splitDir, resume: false)
            var polls = 0
            let partial = try first.run(shouldStop: { polls += 1; return polls >= stopAfter })
            #expect(partial.interrupted && partial.steps == stopAfter)
            let second = try TranslationRun(configuration: resolved, files: files, directory: splitDir, resume: true)
            #expect(second.step == stopAfter)
            let rest = try second.run()
            #expect(!rest.interrupted && rest.steps == resolved.value.training.steps)

            for file in ["checkpoints/latest.h5", "checkpoints/best.h5"] {
                let a = try Self.tensors(straightDir.appendingPathComponent(file))
                let b = try Self.tensors(splitDir.appendingPathComponent(file))
                #expect(a.keys.sorted() == b.keys.sorted())
                #expect(a == b, "\(name): \(file) differs between the straight and the resumed run")
            }
            for file in ["losses.csv", "validation.csv"] {
                #expect(try Self.text(straightDir.appendingPathComponent(file)) == Self.text(splitDir.appendingPathComponent(file)),
                        "\(name): \(file) differs")
            }
        }
    }

    @Test func cycleGANRunResumesExactlyAfterAnInterrupt() throws {
        // Stopped after step 2: between validations, with a half-filled loss window and a filling pool.
        try checkResume(CycleGANOptions.self, yaml: Self.cycleGANYAML, stopAfter: 2, name: "cyclegan")
    }

    @Test func wganGPRunLogsThePenaltyAndResumesExactlyWithItsStream() throws {
        // WGAN-GP: the penalty's α stream is part of the checkpoint; the loss log gains GP_A and GP_B.
        let yaml = Self.cycleGANYAML.replacingOccurrences(of: "poolSize: 2 }", with: "poolSize: 2, ganMode: wgangp }")
        #expect(yaml != Self.cycleGANYAML)
        try checkResume(CycleGANOptions.self, yaml: yaml, stopAfter: 2, name: "cyclegan-wgangp") { folder in
            let log = try Self.text(folder.appendingPathComponent("losses.csv"))
            let header = log.split(separator: "\n").first.map(String.init) ?? ""
            #expect(header.hasSuffix(",GP_A,GP_B"), "losses.csv header: \(header)")
            let last = log.split(separator: "\n").last.map { $0.split(separator: ",").suffix(2).compactMap { Double($0) } } ?? []
            #expect(last.count == 2 && last.allSatisfy { $0.isFinite && $0 > 0 }, "penalties \(last)")
        }
    }

    @Test func conditionalGANRunResumesExactlyWithItsNoiseStream() throws {
        try checkResume(ConditionalGANOptions.self, yaml: Self.cganYAML, stopAfter: 3, name: "cgan")
    }

    // MARK: - Regression and the lesion-weighted L1

    /// A tiny regression run on `TranslationLesionFixture` (32-pixel slices for the 5-level U-Net), lesion weight 20.
    static let regressionYAML = """
    model: regression
    seed: 4
    data:
      slices: { modalityA: CT, modalityB: FLAIR, pairing: paired, validationFraction: 0.4 }
    network: { generatorFilters: 4, downsamplings: 5, lesionL1Weight: 20 }
    training: { steps: 5, logEvery: 2, validateEvery: 2, checkpointEvery: 0, validationBatchSize: 2, sampleRows: 1 }
    """

    @Test func regressionRunWithLesionWeightResumesExactlyAndItsCheckpointTranslates() throws {
        try checkResume(RegressionOptions.self, yaml: Self.regressionYAML, stopAfter: 3, name: "regression", inspect: { folder in
            let log = try Self.text(folder.appendingPathComponent("losses.csv"))
            #expect(log.hasPrefix("step,learning_rate,G_L1\n"), "\(log)")
            // The checkpoint is used exactly as a pix2pix one: VolumeTranslator rebuilds G and translates CT → FLAIR,
            // equal to the trained generator applied slice by slice.
            let url = folder.appendingPathComponent("checkpoints/latest.h5")
            let translator = try VolumeTranslator(checkpoint: url, options: TranslationOptions(batchSize: 3))
            #expect(translator.description.model == .regression && translator.networkName == "G")
            #expect(translator.inputModality == .ct && translator.outputModality == .flair && translator.sideMultiple == 32)
            let ct = TranslationLesionFixture.volumes()[0]
            let result = try translator.translate(ct, subject: "ct")
            #expect(result.volume.shape == ct.shape && result.volume.affine == ct.affine && result.volume.modality == .flair)

            let trainer = try RegressionTrainer(options: try Self.config(RegressionOptions.self, Self.regressionYAML).value.network, seed: 99)
            try trainer.checkpoint().load(from: url)
            var expected: [Float] = []
            for k in 0..<ct.shape.depth {
                let x = Tensor(result.inputMapping.normalize(ct.sliceVoxels(k)), shape: [1, 1, 32, 32])
                expected += result.outputMapping.physicalValues(of: trainer.translate(x))
            }
            let difference = Approx.maxAbsDifference(result.volume.voxels, expected) / (result.outputMapping.width / 2)
            #expect(difference <= 1e-5, "VolumeTranslator vs the trained generator: \(difference) of the half window")
        }, files: TranslationLesionFixture.files(in:))
    }

    @Test func aLesionWeightOnDataWithoutLabelMapsNamesTheFileAndTheKey() throws {
        let folder = try Fixtures.temporaryFolder("nolabels")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HDF5TestGate.exclusive {
            let file = try SliceFixture.write((0..<3).map { (String(format: "case%03d", $0), SliceFixture.volumes(withLabels: false)) },
                                              to: folder, name: "nolabels.h5")
            let resolved = try Self.config(ConditionalGANOptions.self, Self.cganYAML,
                                           ["data.slices.foregroundSource=intensity", "network.lesionL1Weight=5"])
            do {
                _ = try TranslationRun(configuration: resolved, files: [file], directory: folder.appendingPathComponent("run"), resume: false)
                Issue.record("a lesion weight without label maps must be refused")
            } catch let e as MedSynthError {
                #expect(e.subject == file.path && e.message.contains("network.lesionL1Weight = 5.0") && e.message.contains("'label'"),
                        "\(e)")
            }
            // Weight 0 trains on the same files.
            let plain = try Self.config(ConditionalGANOptions.self, Self.cganYAML, ["data.slices.foregroundSource=intensity", "training.steps=1"])
            try TranslationRun(configuration: plain, files: [file], directory: folder.appendingPathComponent("plain"), resume: false).run()
        }
    }

    @Test func runFolderHoldsEverythingTheIssueAsksFor() throws {
        try SliceFixture.withFiles { folder, files in
            let resolved = try Self.config(ConditionalGANOptions.self, Self.cganYAML)
            let dir = folder.appendingPathComponent("run")
            let run = try TranslationRun(configuration: resolved, files: files, directory: dir, resume: false)
            let summary = try run.run()
            let fm = FileManager.default
            for f in ["config.yaml", "losses.csv", "validation.csv", "report.html", "summary.json",
                      "checkpoints/latest.h5", "checkpoints/best.h5", "checkpoints/step-000004.h5",
                      "samples/step-000002.png", "samples/step-000004.png", "samples/step-000005.png"] {
                #expect(fm.fileExists(atPath: dir.appendingPathComponent(f).path), "missing \(f)")
            }
            #expect(!fm.fileExists(atPath: dir.appendingPathComponent("checkpoints/step-000002.h5").path))
            // No temporary files left behind.
            let all = try fm.subpathsOfDirectory(atPath: dir.path)
            #expect(!all.contains { $0.hasSuffix(".partial") })

            let losses = try Self.text(dir.appendingPathComponent("losses.csv")).split(separator: "\n")
            #expect(losses.first == "step,learning_rate,G_GAN,G_L1,D_real,D_fake")
            #expect(losses.count == 1 + 5)
            let validation = try Self.text(dir.appendingPathComponent("validation.csv")).split(separator: "\n")
            #expect(validation.count == 1 + 3)   // steps 2, 4, 5
            #expect(validation[1].hasPrefix("2,"))
            // T1 output in arbitrary units, data range = the output window's width; metrics are finite.
            let last = try #require(summary.last)
            #expect(last.unit == "arbitrary" && last.psnrDB.isFinite && last.ssim > -1 && last.ssim <= 1 && last.mae >= 0)
            #expect(last.unmaskedSlices == 0, "the fixture has label maps, so every slice is scored inside the head")
            #expect(summary.best!.ssim >= last.ssim)

            // Baselines: the fixture's T1 is exactly 2·CT + 3000, so the least-squares affine baseline recovers it
            // and scores perfectly, while the untrained network does not.
            let baselines = try runJSONDecoder().decode(TranslationBaselines.self,
                                                        from: Data(contentsOf: dir.appendingPathComponent("baselines.json")))
            #expect(abs(baselines.affineSlope - 2) < 1e-3 && abs(baselines.affineIntercept - 3000) < 1)
            #expect(baselines.affine.mae < 0.5 && baselines.affine.ssim > 0.9999)
            #expect(baselines.untrained.ssim < 0.9 && baselines.untrained.step == 0)
            let html = try Self.text(dir.appendingPathComponent("report.html"))
            #expect(html.contains("best affine mapping of the input"))
            #expect(html.contains("<svg") && html.contains("data:image/png;base64,") && html.contains("SSIM"))
            let yaml = try Self.text(dir.appendingPathComponent("config.yaml"))
            #expect(yaml.contains("# Non-default settings:") && yaml.contains("network.lambdaL1") == false && yaml.contains("lambdaL1:"))

            // Every checkpoint carries what `translate` needs.
            let contents = try CheckpointContents.read(from: dir.appendingPathComponent("checkpoints/latest.h5"))
            let description = try TranslatorDescription.read(from: contents.trainingState, source: "latest.h5")
            #expect(description.model == .cgan && description.modalityA == .ct && description.modalityB == .t1)
            #expect(description.generators == ["AtoB": "G"] && description.noiseChannels == 1 && description.step == 5)
            #expect(description.sideMultiple == 4)
            #expect(contents.networkNames.contains("G"))

            // The PNG grid: 1 row, 4 tiles of 16 px with 2-px gaps.
            let grid = try PNGFile.read(dir.appendingPathComponent("samples/step-000005.png")).volume
            #expect(grid.shape == VolumeShape(depth: 1, height: 16, width: 4 * 16 + 3 * 2))
        }
    }

    @Test func learningRateFollowsTheReferenceLinearDecay() {
        var t = TrainingLoopConfig()
        (t.steps, t.decayFraction) = (10, 0.5)
        // 5 constant steps, then 1 − (t − 5 + 1)/6 as the reference's lambda_rule with n_epochs_decay = 5.
        let factors = (0..<10).map { t.learningRateFactor(step: $0) }
        #expect(factors[0..<5].allSatisfy { $0 == 1 })
        #expect(abs(factors[5] - 5.0 / 6) < 1e-6 && abs(factors[9] - 1.0 / 6) < 1e-6)
        t.decayFraction = 0
        #expect((0..<10).allSatisfy { t.learningRateFactor(step: $0) == 1 })
    }

    @Test func aDivergingRunStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint() throws {
        try SliceFixture.withFiles { folder, files in
            // An absurd learning rate: Adam moves every weight by ~1e30 in the first step, so the second step's
            // activations overflow.
            let resolved = try Self.config(CycleGANOptions.self, Self.cycleGANYAML,
                                           ["network.learningRate=1e30", "training.validateEvery=1", "training.decayFraction=0"])
            let dir = folder.appendingPathComponent("diverge")
            let run = try TranslationRun(configuration: resolved, files: files, directory: dir, resume: false)
            var message = "", subject = ""
            do {
                try run.run()
            } catch let e as MedSynthError {
                (message, subject) = (e.description, e.subject ?? "")
            }
            #expect(message.contains("loss ") && (message.contains("nan") || message.contains("inf")), "\(message)")
            #expect(message.contains("was not saved"))
            let failedStep = Int(subject.dropFirst("step ".count)) ?? -1
            #expect(failedStep >= 2, "\(message)")
            let contents = try CheckpointContents.read(from: dir.appendingPathComponent("checkpoints/latest.h5"))
            #expect(contents.trainingState.integers["run.step"] == failedStep - 1)
        }
    }

    @Test func existingRunsAreProtectedAndResumeChecksTheConfiguration() throws {
        try SliceFixture.withFiles { folder, files in
            let resolved = try Self.config(CycleGANOptions.self, Self.cycleGANYAML, ["training.steps=3"])
            let dir = folder.appendingPathComponent("guarded")
            #expect(throws: MedSynthError.self) {   // nothing to resume yet
                try TranslationRun(configuration: resolved, files: files, directory: dir, resume: true)
            }
            try TranslationRun(configuration: resolved, files: files, directory: dir, resume: false).run()
            do {
                _ = try TranslationRun(configuration: resolved, files: files, directory: dir, resume: false)
                Issue.record("a second new run in the same folder must be refused")
            } catch let e as MedSynthError {
                #expect(e.message.contains("--resume"))
            }
            let other = try Self.config(CycleGANOptions.self, Self.cycleGANYAML, ["training.steps=3", "network.lambdaA=5"])
            do {
                _ = try TranslationRun(configuration: other, files: files, directory: dir, resume: true)
                Issue.record("resuming with another configuration must be refused")
            } catch let e as MedSynthError {
                #expect(e.message.contains("network.lambdaA: 10.0 in the checkpoint, 5.0 now") || e.message.contains("network.lambdaA"), "\(e.message)")
            }
        }
    }

    @Test func configurationErrorsNameTheKey() throws {
        func message(_ overrides: [String], _ yaml: String = TranslationRunTests.cycleGANYAML) -> String {
            do {
                _ = try Self.config(CycleGANOptions.self, yaml, overrides)
                return ""
            } catch { return "\(error)" }
        }
        #expect(message(["network.lambdaCycle=3"]).contains("network.lambdaCycle"))
        #expect(message(["network.residualBlocks=-1"]).contains("network.residualBlocks"))
        #expect(message(["training.steps=0"]).contains("training.steps"))
        #expect(message(["network.ganMode=wgangp"]) == "")
        #expect(message(["network.ganMode=wgangp", "network.lambdaGP=-1"]).contains("network.lambdaGP"))
        #expect(message(["model=pix2pix"]).contains("model"))
        // The lesion-weighted L1: keys of the paired kinds only, checked by name.
        #expect(message(["network.lesionL1Weight=3"]).contains("network.lesionL1Weight"))   // not a CycleGAN key
        func regression(_ overrides: [String], _ yaml: String = TranslationRunTests.regressionYAML) -> MedSynthError? {
            do {
                _ = try Self.config(RegressionOptions.self, yaml, overrides)
                return nil
            } catch { return error as? MedSynthError }
        }
        #expect(regression([]) == nil)
        #expect(regression(["network.lesionL1Weight=-1"])?.subject == "network.lesionL1Weight")
        #expect(regression(["network.lesionL1Weight=.nan"])?.subject == "network.lesionL1Weight")
        #expect(regression(["network.lesionLabels=[10, 0]"])?.subject == "network.lesionLabels")
        #expect(regression(["network.lesionLabels=[]"])?.subject == "network.lesionLabels")
        #expect(regression(["data.slices.pairing=unpaired"])?.subject == "data.slices.pairing")
        #expect(regression(["network.discriminatorFilters=8"])?.description.contains("network.discriminatorFilters") == true)
        do {
            _ = try Self.config(Pix2PixOptions.self, "model: pix2pix", ["network.lesionLabels=[0]"])
            Issue.record("label 0 as a lesion label must be refused")
        } catch let e as MedSynthError {
            #expect(e.subject == "network.lesionLabels" && e.message.contains("0"))
        }
        let pix = """
        model: pix2pix
        data: { slices: { pairing: unpaired } }
        """
        do {
            _ = try Self.config(Pix2PixOptions.self, pix)
            Issue.record("pix2pix on unpaired slices must be refused")
        } catch let e as MedSynthError {
            #expect(e.subject == "data.slices.pairing")
        }
        // Sizes the generator cannot take are refused before any step.
        try SliceFixture.withFiles { folder, files in
            let bad = try Self.config(CycleGANOptions.self, Self.cycleGANYAML, ["data.slices.cropSize=10"])
            do {
                _ = try TranslationRun(configuration: bad, files: files, directory: folder.appendingPathComponent("x"), resume: false)
                Issue.record("a 10-pixel crop must be refused for a generator that needs multiples of 4")
            } catch let e as MedSynthError {
                #expect(e.subject == "data.slices.cropSize" && e.message.contains("multiples of 4"))
            }
        }
    }
}

/// Five co-registered CT / FLAIR / label cases of 4×32×32 (32-pixel slices for a 5-level U-Net): a head of white
/// matter (label 8) in air with a lesion (label 10) that is bright on FLAIR and nearly invisible on CT — the
/// phantom's situation in miniature. The lesion moves with the case.
enum TranslationLesionFixture {
    static let shape = VolumeShape(depth: 4, height: 32, width: 32)

    /// CT, FLAIR and label of case `index`.
    static func volumes(_ index: Int = 0) -> [Volume] {
        var ct = Volume(shape: shape, modality: .ct)
        var flair = Volume(shape: shape, modality: .flair)
        var labels = Volume(shape: shape, modality: .label)
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let (y, x) = (Double(j) - 15.5, Double(i) - 15.5)
            let inHead = y * y / 169 + x * x / 144 < 1
            let lesion = inHead && abs(j - 12 - index) < 3 && abs(i - 14 - index) < 3 && k > 0
            ct[k, j, i] = inHead ? Float(30 + j + (lesion ? 5 : 0)) : -1000
            flair[k, j, i] = inHead ? Float(lesion ? 700 : 300 + 2 * i) : Float(k + j % 3)
            labels[k, j, i] = lesion ? 10 : (inHead ? 8 : 0)
        } } }
        return [ct, flair, labels]
    }

    /// The dataset file in `folder`.
    static func files(in folder: URL) throws -> [URL] {
        [try SliceFixture.write((0..<5).map { (String(format: "case%03d", $0), volumes($0)) }, to: folder, name: "lesions.h5")]
    }
}

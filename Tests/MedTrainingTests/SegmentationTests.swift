import Foundation
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport
import Testing
import MedInference
@testable import MedTraining

/// Small lesion datasets written in the test: FLAIR volumes of 16×32×32 with a bright ball (labels 10 core, 12
/// rim) on a darker "head" (label 8) and seeded noise, so a tiny U-Net can learn them in a few steps.
enum LesionFixture {
    static let shape = VolumeShape(depth: 16, height: 32, width: 32)

    /// A case: FLAIR (arbitrary units, 2 mm slices) and its label map; the lesion's centre moves with `index`.
    static func volumes(index: Int) -> [Volume] {
        var g = SeededGenerator(seed: UInt64(100 + index))
        let affine = Affine(spacingMM: SIMD3(1, 1, 2))
        var flair = Volume(shape: shape, affine: affine, modality: .flair)
        var labels = Volume(shape: shape, affine: affine, modality: .label)
        let centre = (8.0, 12.0 + Double(index % 3) * 4, 14.0 + Double(index % 2) * 5)
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let dz = (Double(k) - centre.0) * 2, dy = Double(j) - centre.1, dx = Double(i) - centre.2
            let r = (dz * dz + dy * dy + dx * dx).squareRoot()
            let head = (Double(j) - 16) * (Double(j) - 16) + (Double(i) - 16) * (Double(i) - 16) < 14 * 14
            var label: Float = head ? 8 : 0
            var value = head ? 300.0 : 5.0
            if r < 2.5 { label = 10; value = 700 } else if r < 4 { label = 12; value = 600 }
            labels[k, j, i] = label
            flair[k, j, i] = Float(value + 20 * g.nextNormal())
        } } }
        return [flair, labels]
    }

    /// `count` cases in one file.
    static func write(in folder: URL, count: Int = 4) throws -> URL {
        let url = folder.appendingPathComponent("lesions.h5")
        try HDF5VolumeStore.write((0..<count).flatMap { n in volumes(index: n).map { (caseID: String(format: "case%03d", n), volume: $0) } },
                                  to: url)
        return url
    }

    /// Runs `body` with a fixture file inside the HDF5 test gate; removes the folder afterwards.
    static func withFile<T>(_ body: (URL, URL) throws -> T) throws -> T {
        let folder = try Fixtures.temporaryFolder("segmentation")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try HDF5TestGate.exclusive { try body(folder, try write(in: folder)) }
    }

    /// A tiny 2-D run on the fixture.
    static let yaml = """
    seed: 4
    data: { modalities: [FLAIR], classNames: [lesion], classLabels: [[10, 11, 12, 13]], validationFraction: 0.25,
            patchSize: [16, 16], batchSize: 2 }
    network: { spatialRank: 2, depth: 2, baseWidth: 4 }
    training: { steps: 7, learningRate: 0.01, logEvery: 2, validateEvery: 3, checkpointEvery: 0 }
    """
}

@Suite(.serialized) struct SegmentationTests {
    static func config(_ yaml: String = LesionFixture.yaml, _ overrides: [String] = []) throws -> ResolvedConfiguration<SegmentationRunConfig> {
        try ConfigLoader.load(SegmentationRunConfig.self, yaml: yaml, source: "test.yaml", overrides: overrides)
    }

    static func tensors(_ url: URL) throws -> [String: [Float]] {
        let c = try CheckpointContents.read(from: url)
        var out: [String: [Float]] = [:]
        for e in c.entries { out[e.key] = e.value.scalars }
        for (name, o) in c.optimizers { for (k, t) in o.tensors { out["opt.\(name).\(k)"] = t.scalars } }
        return out
    }

    // MARK: Training

    @Test func segmenterOverfitsOneBatch() {
        // Two 32×32 images: a bright disc (class 1) on a noisy background; 60 Adam steps on the same batch.
        var g = SeededGenerator(seed: 11)
        var images = [Float](), labels = [Float]()
        for n in 0..<2 {
            for y in 0..<32 { for x in 0..<32 {
                let dy = Double(y - 12 - 6 * n), dx = Double(x - 16 + 5 * n)
                let inside = dy * dy + dx * dx < 25
                labels.append(inside ? 1 : 0)
                images.append(Float((inside ? 0.6 : -0.4) + 0.2 * g.nextNormal()))
            } }
        }
        let x = Tensor(images, shape: [2, 1, 32, 32]), t = Tensor(labels, shape: [2, 32, 32])
        let trainer = SegmentationTrainer(config: UNetSegmenterConfig(spatialRank: 2, inputChannels: 1, classes: 2, depth: 2, baseWidth: 4),
                                          learningRate: 0.01, seed: 3)
        let first = trainer.step(images: x, labels: t)
        var last = first
        for _ in 0..<60 { last = trainer.step(images: x, labels: t) }
        #expect(first.isFinite && last < first / 3, "loss \(first) → \(last)")
        // Dice of the argmax on the training batch.
        trainer.network.eval()
        let p = withNoGrad { trainer.network(x).softmax(axis: 1) }.scalars
        var both = 0, predicted = 0, reference = 0
        for n in 0..<2 { for v in 0..<(32 * 32) {
            let isLesion = p[(n * 2 + 1) * 1024 + v] > p[(n * 2) * 1024 + v]
            let truth = labels[n * 1024 + v] == 1
            if isLesion { predicted += 1 }
            if truth { reference += 1 }
            if isLesion && truth { both += 1 }
        } }
        let dice = 2 * Double(both) / Double(predicted + reference)
        #expect(dice > 0.9, "Dice on the overfitted batch \(dice)")
    }

    @Test func scheduleFollowsPolyAndLinearDecay() throws {
        var t = SegmentationTrainingConfig()
        t.steps = 10
        #expect(t.learningRateFactor(step: 0) == 1)
        #expect(abs(t.learningRateFactor(step: 5) - Float(pow(0.5, 0.9))) < 1e-6)
        t.schedule = .linear
        #expect(abs(t.learningRateFactor(step: 5) - 0.5) < 1e-6 && abs(t.learningRateFactor(step: 9) - 0.1) < 1e-6)
        t.schedule = .constant
        #expect(t.learningRateFactor(step: 9) == 1)
    }

    // MARK: Inference

    @Test func windowsCoverTheVolumeAsNNUNetPlacesThem() {
        #expect(SegmentationInference.windowStarts(extent: 32, patch: 32, overlap: 0.5) == [0])
        #expect(SegmentationInference.windowStarts(extent: 64, patch: 32, overlap: 0.5) == [0, 16, 32])
        // 40 − 16 = 24 at a target stride of 8 → 4 windows, spread evenly: 0, 8, 16, 24.
        #expect(SegmentationInference.windowStarts(extent: 40, patch: 16, overlap: 0.5) == [0, 8, 16, 24])
        // 37 − 16 = 21 → ceil(21/8) + 1 = 4 windows at 7-voxel strides.
        #expect(SegmentationInference.windowStarts(extent: 37, patch: 16, overlap: 0.5) == [0, 7, 14, 21])
        let g = SegmentationInference.gaussianImportance(patch: [8, 16])
        #expect(g.count == 128 && abs((g.max() ?? 0) - 1) < 1e-6 && g.min()! > 0)
        // σ = side/8 = 2 along the width, centre 7.5: g(9)/g(8) = exp(−(1.5² − 0.5²)/(2·2²)) = exp(−¼).
        let row = Array(g[(3 * 16)..<(4 * 16)])
        #expect(abs(Double(row[9] / row[8]) - exp(-0.25)) < 1e-5)
        #expect(row[7] == row[8] && abs(Double(row[0] / row[8]) - exp(-(7.5 * 7.5 - 0.25) / 8)) < 1e-5)
    }

    /// A pointwise network (no spatial context): every window gives each voxel the same probabilities, so the
    /// Gaussian-weighted average must equal a direct pass over the whole volume, and padding must crop back.
    @Test func slidingWindowOfAPointwiseNetworkEqualsADirectPass() {
        var g = SeededGenerator(seed: 5)
        let shape = VolumeShape(depth: 13, height: 21, width: 18)   // not multiples of 8: padded and cropped
        let channels = (0..<2).map { _ in (0..<shape.voxelCount).map { _ in Float(g.nextNormal()) } }
        let conv = Conv(spatialRank: 3, inputChannels: 2, outputChannels: 3, kernelSize: 1, generator: &g)
        let direct = SegmentationInference.probabilities3D(channels: channels, shape: shape, classes: 3, patch: [],
                                                           sideMultiple: 8, overlap: 0.5, batchSize: 1) { conv($0) }
        let windows = SegmentationInference.probabilities3D(channels: channels, shape: shape, classes: 3, patch: [8, 16, 8],
                                                            sideMultiple: 8, overlap: 0.5, batchSize: 3) { conv($0) }
        #expect(direct.count == 3 * shape.voxelCount && windows.count == direct.count)
        let worst = zip(direct, windows).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
        // The reference: softmax of the 1×1 convolution at each voxel, computed here directly.
        let w = conv.weight.value.scalars, b = conv.bias!.value.scalars
        var largest: Float = 0
        for v in stride(from: 0, to: shape.voxelCount, by: 37) {
            let z = (0..<3).map { c in b[c] + w[c * 2] * channels[0][v] + w[c * 2 + 1] * channels[1][v] }
            let m = z.max()!, e = z.map { exp($0 - m) }, s = e.reduce(0, +)
            for c in 0..<3 { largest = max(largest, abs(e[c] / s - windows[c * shape.voxelCount + v])) }
        }
        #expect(largest < 1e-5, "largest difference to the hand-computed softmax \(largest)")
    }

    /// A real U-Net (3×3×3 context) against a naive stitching written here: each window forwarded alone, its
    /// softmax weighted by an independently computed Gaussian and accumulated in Double.
    @Test func slidingWindowOfAUNetMatchesANaiveStitching() {
        var g = SeededGenerator(seed: 8)
        let shape = VolumeShape(depth: 12, height: 12, width: 20)
        let channels = [(0..<shape.voxelCount).map { _ in Float(g.nextNormal()) }]
        let net = UNetSegmenter(UNetSegmenterConfig(spatialRank: 3, inputChannels: 1, classes: 2, depth: 1, baseWidth: 2), generator: &g)
        net.eval()
        let patch = [8, 8, 8]
        let fast = SegmentationInference.probabilities3D(channels: channels, shape: shape, classes: 2, patch: patch,
                                                         sideMultiple: 2, overlap: 0.5, batchSize: 4) { net($0) }
        // Naive: windows at 0, 4 (depth, height: 12 − 8 = 4 at stride 4) and 0, 4, 8, 12 (width).
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        var sum = [Double](repeating: 0, count: 2 * shape.voxelCount), weight = [Double](repeating: 0, count: shape.voxelCount)
        func gauss(_ x: Int) -> Double { let c = 3.5, s = 1.0; return exp(-(Double(x) - c) * (Double(x) - c) / (2 * s * s)) }
        for z0 in [0, 4] { for y0 in [0, 4] { for x0 in [0, 4, 8, 12] {
            var input = [Float]()
            for z in 0..<8 { for y in 0..<8 { for x in 0..<8 { input.append(channels[0][((z0 + z) * h + y0 + y) * w + x0 + x]) } } }
            let p = withNoGrad { net(Tensor(input, shape: [1, 1, 8, 8, 8])).softmax(axis: 1) }.scalars
            for z in 0..<8 { for y in 0..<8 { for x in 0..<8 {
                let wt = gauss(z) * gauss(y) * gauss(x)
                let v = ((z0 + z) * h + y0 + y) * w + x0 + x
                weight[v] += wt
                for c in 0..<2 { sum[c * shape.voxelCount + v] += wt * Double(p[(c * 8 + z) * 64 + y * 8 + x]) }
            } } }
        } } }
        var largest = 0.0
        for c in 0..<2 { for v in 0..<(d * h * w) {
            largest = max(largest, abs(sum[c * shape.voxelCount + v] / weight[v] - Double(fast[c * shape.voxelCount + v])))
        } }
        #expect(largest < 1e-5, "largest difference \(largest)")
        // And the windows really differ from one whole-volume pass (the test would be vacuous otherwise).
        let whole = SegmentationInference.probabilities3D(channels: channels, shape: shape, classes: 2, patch: [],
                                                          sideMultiple: 2, overlap: 0.5, batchSize: 1) { net($0) }
        #expect(zip(whole, fast).map { abs($0 - $1) }.max()! > 1e-4)
    }

    @Test func twoDInferencePadsSlicesAndEqualsPerSlicePasses() {
        var g = SeededGenerator(seed: 9)
        let shape = VolumeShape(depth: 3, height: 16, width: 16)
        let channels = [(0..<shape.voxelCount).map { _ in Float(g.nextNormal()) }]
        let net = UNetSegmenter(UNetSegmenterConfig(spatialRank: 2, inputChannels: 1, classes: 3, depth: 2, baseWidth: 2), generator: &g)
        net.eval()
        let batched = SegmentationInference.probabilities2D(channels: channels, shape: shape, classes: 3, sideMultiple: 4,
                                                            batchSize: 2) { net($0) }
        for k in 0..<3 {
            let slice = Array(channels[0][(k * 256)..<((k + 1) * 256)])
            let p = withNoGrad { net(Tensor(slice, shape: [1, 1, 16, 16])).softmax(axis: 1) }.scalars
            for c in 0..<3 { for v in 0..<256 {
                #expect(abs(p[c * 256 + v] - batched[c * shape.voxelCount + k * 256 + v]) < 1e-5)
            } }
        }
        // Sides that are not multiples of 4 are padded and cropped back.
        let odd = VolumeShape(depth: 2, height: 13, width: 10)
        let oddChannels = [(0..<odd.voxelCount).map { Float($0 % 7) }]
        let p = SegmentationInference.probabilities2D(channels: oddChannels, shape: odd, classes: 3, sideMultiple: 4, batchSize: 2) { net($0) }
        #expect(p.count == 3 * odd.voxelCount)
        for v in 0..<odd.voxelCount { #expect(abs(p[v] + p[odd.voxelCount + v] + p[2 * odd.voxelCount + v] - 1) < 1e-5) }
    }

    // MARK: Runs

    @Test func runFolderCheckpointAndPredictor() throws {
        try LesionFixture.withFile { folder, file in
            let resolved = try Self.config()
            let dir = folder.appendingPathComponent("run")
            let run = try SegmentationRun(configuration: resolved, files: [file], directory: dir, resume: false)
            #expect(run.dataset.trainingCaseCount == 3 && run.dataset.validationCases.count == 1)
            let summary = try run.run()
            for f in ["config.yaml", "losses.csv", "validation.csv", "report.html", "summary.json",
                      "checkpoints/latest.h5", "checkpoints/best.h5", "samples/step-000003.png", "samples/step-000007.png"] {
                #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "missing \(f)")
            }
            #expect(!(try FileManager.default.subpathsOfDirectory(atPath: dir.path)).contains { $0.hasSuffix(".partial") })
            let validation = try String(contentsOf: dir.appendingPathComponent("validation.csv"), encoding: .utf8).split(separator: "\n")
            #expect(validation.first == "step,mean_dice,dice_lesion,hd95_mm_lesion,hd95_undefined_lesion,cases")
            #expect(validation.count == 1 + 3)   // steps 3, 6, 7
            let last = try #require(summary.last)
            #expect(last.cases.count == 1 && (0...1).contains(last.meanDice))
            #expect(summary.best!.meanDice >= last.meanDice)
            let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(html.contains("<svg") && html.contains("Dice lesion"))

            // The checkpoint alone predicts: same classes as the run's own validation inference.
            let best = dir.appendingPathComponent("checkpoints/latest.h5")
            let predictor = try SegmentationPredictor(checkpoint: best)
            #expect(predictor.description.modalities == [.flair] && predictor.description.classLabels == [[10, 11, 12, 13]])
            #expect(predictor.description.step == 7 && predictor.description.network.depth == 2)
            let held = run.dataset.validationCases.first!
            let volumes = LesionFixture.volumes(index: Int(held.caseID.dropFirst(4))!)
            let labels = try predictor.predict([volumes[0]], subject: "fixture")
            #expect(labels.shape == LesionFixture.shape && labels.affine == volumes[0].affine && labels.modality == .label)
            #expect(labels.voxels == run.predictClasses(held))
            // Wrong inputs are refused with a message, not a crash.
            #expect(throws: MedSynthError.self) { try predictor.predict([volumes[0], volumes[0]], subject: "two") }
            var ct = volumes[0]
            ct.modality = .ct
            ct.unit = .hounsfield
            #expect(throws: MedSynthError.self) { try predictor.predict([ct], subject: "ct") }
        }
    }

    @Test func interruptedAndResumedRunEndsWithTheSameWeights() throws {
        try LesionFixture.withFile { folder, file in
            let resolved = try Self.config()
            let straightDir = folder.appendingPathComponent("straight")
            try SegmentationRun(configuration: resolved, files: [file], directory: straightDir, resume: false).run()
            let splitDir = folder.appendingPathComponent("split")
            var polls = 0
            let partial = try SegmentationRun(configuration: resolved, files: [file], directory: splitDir, resume: false)
                .run(shouldStop: { polls += 1; return polls >= 5 })   // after the step-3 validation, mid loss window
            #expect(partial.interrupted && partial.steps == 5)
            let second = try SegmentationRun(configuration: resolved, files: [file], directory: splitDir, resume: true)
            #expect(second.step == 5 && second.best?.step == 3)
            let rest = try second.run()
            #expect(!rest.interrupted && rest.steps == 7)
            for f in ["checkpoints/latest.h5", "checkpoints/best.h5"] {
                let a = try Self.tensors(straightDir.appendingPathComponent(f)), b = try Self.tensors(splitDir.appendingPathComponent(f))
                #expect(!a.isEmpty && a == b, "\(f) differs between the straight and the resumed run")
            }
            for f in ["losses.csv", "validation.csv"] {
                #expect(try String(contentsOf: straightDir.appendingPathComponent(f), encoding: .utf8)
                        == String(contentsOf: splitDir.appendingPathComponent(f), encoding: .utf8), "\(f) differs")
            }
            // A different configuration is refused on resume, naming the key.
            let other = try Self.config(LesionFixture.yaml, ["training.learningRate=0.02"])
            do {
                _ = try SegmentationRun(configuration: other, files: [file], directory: splitDir, resume: true)
                Issue.record("resuming with another configuration must be refused")
            } catch let e as MedSynthError {
                #expect(e.message.contains("training.learningRate"))
            }
            // A new run in a used folder is refused.
            #expect(throws: MedSynthError.self) {
                try SegmentationRun(configuration: resolved, files: [file], directory: splitDir, resume: false)
            }
        }
    }

    @Test func threeDRunTrainsOnPatchesAndValidatesBySlidingWindow() throws {
        try LesionFixture.withFile { folder, file in
            let yaml = """
            seed: 2
            data: { modalities: [flair], validationFraction: 0.25, patchSize: [8, 16, 16], batchSize: 1,
                    normalization: { method: zScore, clipSigma: 3 } }
            network: { spatialRank: 3, depth: 1, baseWidth: 2 }
            training: { steps: 2, validateEvery: 2, inferenceBatchSize: 4 }
            """
            let run = try SegmentationRun(configuration: try Self.config(yaml), files: [file],
                                          directory: folder.appendingPathComponent("run3d"), resume: false)
            let summary = try run.run()
            #expect(summary.steps == 2 && summary.last?.cases.count == 1)
            let predictor = try SegmentationPredictor(checkpoint: URL(fileURLWithPath: summary.latestCheckpoint))
            #expect(predictor.description.patchSize == [8, 16, 16] && predictor.description.overlap == 0.5)
            #expect(predictor.description.normalizations == [.zScore(clipSigma: 3)])
        }
    }

    @Test func divergingRunStopsAndKeepsTheLastGoodCheckpoint() throws {
        try LesionFixture.withFile { folder, file in
            let resolved = try Self.config(LesionFixture.yaml, ["training.learningRate=1e30", "training.validateEvery=1",
                                                                "training.schedule=constant"])
            let dir = folder.appendingPathComponent("diverge")
            let run = try SegmentationRun(configuration: resolved, files: [file], directory: dir, resume: false)
            do {
                try run.run()
                Issue.record("a learning rate of 1e30 must diverge")
            } catch let e as MedSynthError {
                #expect(e.message.contains("was not saved"), "\(e)")
                let failed = Int((e.subject ?? "").dropFirst("step ".count)) ?? -1
                #expect(failed >= 2)
                let contents = try CheckpointContents.read(from: dir.appendingPathComponent("checkpoints/latest.h5"))
                #expect(contents.trainingState.integers["run.step"] == failed - 1)
            }
        }
    }

    // MARK: Configuration

    @Test func configurationErrorsNameTheKey() throws {
        func subject(_ yaml: String, _ overrides: [String] = []) -> String {
            do {
                _ = try Self.config(yaml, overrides)
                return "accepted"
            } catch let e as MedSynthError {
                return e.subject ?? ""
            } catch {
                return "\(error)"
            }
        }
        #expect(subject("data: { modalities: [XRAY] }").contains("data.modalities"))
        #expect(subject("data: { modalities: [] }").contains("data.modalities"))
        #expect(subject("data: { classLabels: [[0]] }").contains("data.classLabels"))
        #expect(subject("data: { classLabels: [[10], [11]] }").contains("data.classNames"))
        #expect(subject("network: { spatialRank: 4 }").contains("network.spatialRank"))
        #expect(subject("data: { patchSize: [30, 30] }").contains("data.patchSize"))
        #expect(subject("data: { patchSize: [32, 32] }", ["network.spatialRank=3"]).contains("data.patchSize"))
        #expect(subject("training: { foregroundOversampling: 1.5 }").contains("training.foregroundOversampling"))
        #expect(subject("training: { schedule: cosine }").contains("training.schedule"))
        #expect(subject("training: { stepz: 3 }").contains("training.stepz"))
        #expect(subject("data: { normalization: { method: zScore, lowerHU: 5 } }").contains("lowerHU"))
        #expect(subject("data: { validationFraction: 0 }").contains("data.validationFraction"))
        #expect(subject(LesionFixture.yaml) == "accepted")
        // Defaults: the lesion task on FLAIR.
        let d = try Self.config("").value
        #expect(d.data.inputModalities == [.flair] && d.data.classLabels == [[10, 11, 12, 13]] && d.training.schedule == .poly)
    }
}

import Dispatch
import Foundation
import MedCore
import MedIO
import MedMetrics
import MedNN
import MedSynthesis
import MedInference
import MedTraining

/// The settings of `medsynth demo`: the full demo (about 11–12 minutes on 2 cores) or `--quick` (under 2 minutes).
public struct DemoSettings: Codable, Equatable, Sendable {
    /// The phantom seed of the demo's dataset.
    public var seed: UInt64 = 2026
    /// Phantom cases with lesions that the translator trains on.
    public var cases = 12
    /// Held-out phantom cases that are translated and scored (their own seed: never seen in training).
    public var heldOutCases = 3
    /// The grid of every case (the validation experiment uses the same one).
    public var shape = [32, 128, 128]
    /// Lesions per case, 1…K.
    public var lesions = 3
    /// Augmented copies of each phantom case (`data/augmented.h5`, to inspect; the validation stage makes its own).
    public var augmentedPerCase = 1
    /// The augmentation pipeline.
    public var augmentPipeline = "Configs/augment-default.yaml"
    /// The per-patch pipeline of the validation's on-the-fly augmentation arm.
    public var onlinePipeline = "Configs/augment-online.yaml"
    /// The translator's configuration (the CT → T1 pix2pix config pointed at FLAIR, the validation's target) and steps.
    public var translatorConfig = "Configs/pix2pix-ct2t1.yaml"
    public var translatorSteps = 1500
    public var translatorOverrides: [String] = ["data.slices.modalityB=FLAIR", "training.validateEvery=500", "training.checkpointEvery=0", "data.slices.validationSlices=32"]
    /// The validation experiment's configuration and the overrides that reduce it.
    public var validationConfig = "Configs/validate-lesions.yaml"
    /// The demo's learning curve is 2 cohort sizes × 3 seeds with a short budget (at most 300 steps, validated every
    /// 100), and leaves out the offline-copies and CarveMix arms, to stay within its time; the full experiment
    /// trains to convergence.
    public var validationOverrides: [String] = ["seeds=[0, 1, 2]", "data.cohortSizes=[2, 8]", "segmenter.training.steps=300",
                                                "segmenter.training.minSteps=200", "segmenter.training.patience=1",
                                                "data.healthyCases=8", "data.testCases=8", "arms.augment.enabled=false",
                                                "arms.carveMix.enabled=false", "arms.domainRandomisation.perCase=2"]

    /// The full demo.
    public init() {}

    /// `--quick`: a tiny version of every stage, for tests (under 2 minutes on 2 cores).
    public static var quick: DemoSettings {
        var s = DemoSettings()
        s.cases = 4
        s.heldOutCases = 2
        s.shape = [16, 64, 64]
        s.lesions = 2
        s.translatorSteps = 30
        s.translatorOverrides = ["data.slices.modalityB=FLAIR", "network.downsamplings=5", "network.generatorFilters=8", "network.discriminatorFilters=8",
                                 "training.validateEvery=30", "training.checkpointEvery=0", "data.slices.validationSlices=8"]
        s.validationOverrides = ValidationExperimentConfig.quickOverrides + ["arms.augment.enabled=false", "arms.carveMix.enabled=false"]
        return s
    }
}

/// One held-out case translated by the demo's translator and scored against its real image inside the head.
public struct DemoTranslationScore: Codable, Sendable {
    public var caseID: String
    public var psnrDB: Double
    public var ssim: Double
    public var mae: Double
    public var unit: String
}

/// What `medsynth demo` did: `Outputs/demo/summary.json`.
public struct DemoSummary: Codable, Sendable {
    public var directory: String
    public var datasets: [String]
    public var translatorRun: String
    public var translatorCheckpoint: String
    public var translation: [DemoTranslationScore]
    public var validationReport: String
    /// The real-cohort sizes of the reduced learning curve.
    public var validationCohortSizes: [Int]
    public var validationArms: [ArmStatistics]
    public var validationTargets: [ValidationTarget]
    /// Wall seconds per stage, in order.
    public var stageSeconds: [String: Double]
    public var seconds: Double
}

/// `medsynth demo`: the whole tool on the built-in phantom, end to end, into one folder.
///
/// 1. `data/phantom.h5` (phantom cases with lesions) and `data/augmented.h5` (augmented copies), `data/heldout.h5`
///    (cases of another seed that no model sees in training);
/// 2. `translator/`: a short CT → FLAIR translator run (`medsynth train`'s folder: report, checkpoints);
/// 3. `translation/`: the held-out cases translated (`translated.h5`, and the first case as NIfTI: input CT,
///    synthetic FLAIR, real FLAIR), scored by PSNR / SSIM / MAE inside the head;
/// 4. `validation/`: a reduced validation experiment (`medsynth validate`), its cross-modality arms using the
///    translator of step 2;
/// 5. `report.html`, linking all of it, and `summary.json`.
///
/// Every stage keeps what it finished: running the demo again resumes (datasets case by case, the translator
/// from its checkpoint, the experiment training by training).
public final class EndToEndDemo: @unchecked Sendable {
    public let settings: DemoSettings
    public let directory: URL
    public let workers: Int
    public let log: @Sendable (String) -> Void
    private let commandLine = CaseProvenance.quotedCommandLine(CommandLine.arguments)

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var phantomFile: URL { dataDirectory.appendingPathComponent("phantom.h5") }
    public var augmentedFile: URL { dataDirectory.appendingPathComponent("augmented.h5") }
    public var heldOutFile: URL { dataDirectory.appendingPathComponent("heldout.h5") }
    public var translatorDirectory: URL { directory.appendingPathComponent("translator") }
    public var translationDirectory: URL { directory.appendingPathComponent("translation") }
    public var validationDirectory: URL { directory.appendingPathComponent("validation") }

    public init(settings: DemoSettings, directory: URL, workers: Int = Parallel.workerCount,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.settings = settings
        self.directory = directory
        self.workers = workers
        self.log = log
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: translationDirectory, withIntermediateDirectories: true)
        let settingsFile = directory.appendingPathComponent("demo-settings.json")
        let text = String(decoding: try runJSONEncoder().encode(settings), as: UTF8.self) + "\n"
        if let saved = try? String(contentsOf: settingsFile, encoding: .utf8), saved != text {
            throw MedSynthError(.mismatch, settingsFile.path,
                                "holds another demo's settings (\(saved.contains("\"cases\" : 4") ? "--quick" : "the full demo")); use another --out folder, or delete \(directory.path)")
        }
        try RunFiles.writeAtomically(text, to: settingsFile)
    }

    /// Runs every stage that has not finished; nil when stopped.
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> DemoSummary? {
        let started = DispatchTime.now().uptimeNanoseconds
        var stages: [String: Double] = [:]
        var mark = started
        func stage(_ name: String) {
            let now = DispatchTime.now().uptimeNanoseconds
            stages[name] = Double(now - mark) / 1e9
            mark = now
        }
        let s = settings
        let grid = VolumeShape(depth: s.shape[0], height: s.shape[1], width: s.shape[2])
        log("demo [1/4]: phantom data with lesions and augmentation in \(dataDirectory.path)")
        for (url, count, seed, role) in [(phantomFile, s.cases, s.seed, "phantom cases"), (heldOutFile, s.heldOutCases, s.seed + 1, "held-out cases")] {
            let (builder, configuration) = try PhantomDatasetBuilder.builtIn(cases: count, shape: grid, seed: seed, lesions: s.lesions,
                                                                             commandLine: commandLine)
            try write(url, configuration, builder.caseIDs, role: role, make: builder.makeCase)
        }
        let (pipeline, yaml) = try AugmentationPipeline.read(URL(fileURLWithPath: s.augmentPipeline))
        let augment = try AugmentDatasetBuilder(source: phantomFile, pipeline: pipeline, perCase: s.augmentedPerCase, seed: s.seed,
                                                commandLine: commandLine)
        try write(augmentedFile, augment.runConfiguration(pipelineYAML: yaml),
                  augment.caseIDs, role: "augmented copies", make: augment.makeCase)
        stage("data")
        if shouldStop() { return nil }

        log("demo [2/4]: CT → MR translator (\(s.translatorSteps) steps) in \(translatorDirectory.path)")
        // The translator learns from the phantom cases themselves: the augmented copies carry per-modality
        // intensity and MR-artifact transforms that no CT image predicts, which only blur a paired translator.
        let files = [phantomFile]
        let overrides = ["data.files=[\(files.map { "\"\($0.path)\"" }.joined(separator: ", "))]", "training.steps=\(s.translatorSteps)"]
            + s.translatorOverrides
        guard let checkpoint = try TranslatorTraining.checkpoint(configFile: s.translatorConfig, overrides: overrides,
                                                                 directory: translatorDirectory, files: files, label: "demo",
                                                                 log: log, shouldStop: shouldStop) else { return nil }
        stage("translator")

        log("demo [3/4]: translating the \(s.heldOutCases) held-out cases and scoring them")
        let scores = try translateHeldOut(checkpoint: checkpoint)
        for t in scores {
            log(String(format: "demo: %@: PSNR %.2f dB, SSIM %.3f, MAE %.1f %@ inside the head", t.caseID, t.psnrDB, t.ssim, t.mae, t.unit))
        }
        stage("translation")
        if shouldStop() { return nil }

        log("demo [4/4]: reduced validation experiment in \(validationDirectory.path)")
        let validationOverrides = s.validationOverrides + [
            "data.shape=[\(s.shape.map(String.init).joined(separator: ", "))]",
            "arms.augment.pipeline=\(s.augmentPipeline)", "arms.onlineAugment.pipeline=\(s.onlinePipeline)",
            "arms.crossModality.translator=\(checkpoint.path)",
        ]
        let resolved = try ConfigLoader.load(ValidationExperimentConfig.self, file: s.validationConfig, overrides: validationOverrides)
        let resume = FileManager.default.fileExists(atPath: validationDirectory.appendingPathComponent("config.yaml").path)
        let experiment = try ValidationExperiment(configuration: resolved, directory: validationDirectory, resume: resume,
                                                  workers: workers, log: log)
        guard let validation = try experiment.run(shouldStop: shouldStop) else { return nil }
        stage("validation")

        let summary = DemoSummary(
            directory: directory.path, datasets: [phantomFile, augmentedFile, heldOutFile].map(\.path),
            translatorRun: translatorDirectory.path, translatorCheckpoint: checkpoint.path, translation: scores,
            validationReport: validationDirectory.appendingPathComponent("report.html").path,
            validationCohortSizes: validation.cohortSizes, validationArms: validation.arms, validationTargets: validation.targets, stageSeconds: stages,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        try RunFiles.writeAtomically(String(decoding: try runJSONEncoder().encode(summary), as: UTF8.self) + "\n",
                                     to: directory.appendingPathComponent("summary.json"))
        try RunFiles.writeAtomically(DemoReport(summary: summary, settings: settings, directory: directory).html(),
                                     to: directory.appendingPathComponent("report.html"))
        return summary
    }

    /// Translates every held-out case into `translation/translated.h5`, exports the first as NIfTI, and scores each
    /// against its real image inside the head (label > 0): PSNR and MAE over the head's voxels, SSIM (3-D,
    /// scikit-image's defaults) averaged inside the head, with the translator's output window as data range.
    func translateHeldOut(checkpoint: URL) throws -> [DemoTranslationScore] {
        let contents = try CheckpointContents.read(from: checkpoint)
        let translator = try VolumeTranslator(contents: contents, direction: .aToB)
        let builder = try DatasetTranslationBuilder(source: heldOutFile, translator: translator, commandLine: commandLine)
        let output = translationDirectory.appendingPathComponent("translated.h5")
        var configuration = builder.runConfiguration(deflateLevel: HDF5VolumeStore.defaultDeflateLevel, deflateStrategy: .runLength)
        configuration.values["checkpoint"] = checkpoint.lastPathComponent
        try write(output, configuration, builder.caseIDs, role: "translated held-out cases", make: builder.makeCase)
        let inputModality = translator.inputModality, outputModality = translator.outputModality
        let range = translator.description.roles(.aToB).output == translator.description.modalityB
            ? translator.description.outputMappingB.width : translator.description.outputMappingA.width
        var scores: [DemoTranslationScore] = []
        for (n, id) in builder.caseIDs.enumerated() {
            let real = try MedSynthDataset.readCase(id, in: heldOutFile)
            let synthetic = try MedSynthDataset.readCase(id, in: output)
            guard let target = real.volume(outputModality), let predicted = synthetic.volume(outputModality),
                  let labels = real.volume(.label), let input = real.volume(inputModality) else {
                throw MedSynthError(.notFound, heldOutFile.path, "case '\(id)' lacks \(outputModality.rawValue), \(inputModality.rawValue) or its label map")
            }
            let mask = try VoxelMask(shape: labels.shape, isInside: labels.voxels.map { $0 > 0 })
            let ssim = try SSIM.compute(target, predicted, dataRange: range, mask: mask).maskedMean
            scores.append(DemoTranslationScore(caseID: id, psnrDB: try ImageMetrics.psnr(predicted, target, dataRange: range, mask: mask),
                                               ssim: ssim ?? .nan, mae: try ImageMetrics.mae(predicted, target, mask: mask),
                                               unit: target.unit.rawValue))
            if n == 0 {
                for (volume, name) in [(input, "\(id)_\(inputModality.rawValue)_input.nii.gz"),
                                       (predicted, "\(id)_\(outputModality.rawValue)_synthetic.nii.gz"),
                                       (target, "\(id)_\(outputModality.rawValue)_real.nii.gz")] {
                    try VolumeIO.write(volume, to: translationDirectory.appendingPathComponent(name))
                }
                try writeComparison(input: input, synthetic: predicted, real: target, inputRange: contents, range: range)
            }
        }
        try RunFiles.writeAtomically(String(decoding: try runJSONEncoder().encode(scores), as: UTF8.self) + "\n",
                                     to: translationDirectory.appendingPathComponent("scores.json"))
        return scores
    }

    /// translation/comparison.png: the middle slice of the first held-out case, input | synthetic | real — CT in a
    /// brain window (−20…100 HU), other images in their own 1st–99th percentile window.
    private func writeComparison(input: Volume, synthetic: Volume, real: Volume, inputRange: CheckpointContents, range: Double) throws {
        let (h, w) = (input.shape.height, input.shape.width)
        let plane = h * w, k = input.shape.depth / 2
        let gap = 2, width = 3 * w + 2 * gap
        var pixels = [Float](repeating: 1, count: h * width)
        for (t, v) in [input, synthetic, real].enumerated() {
            let slice = Array(v.voxels[(k * plane)..<((k + 1) * plane)])
            let sorted = slice.sorted()
            var lo = sorted[sorted.count / 100], hi = max(sorted[sorted.count * 99 / 100], lo + 1e-6)
            if v.modality == .ct { (lo, hi) = (-20, 100) }
            for y in 0..<h {
                for x in 0..<w { pixels[y * width + t * (w + gap) + x] = min(1, max(0, (slice[y * w + x] - lo) / (hi - lo))) }
            }
        }
        try PNGFile.write(Volume(shape: VolumeShape(depth: 1, height: h, width: width), voxels: pixels),
                          to: translationDirectory.appendingPathComponent("comparison.png"), bitDepth: 8,
                          window: try IntensityWindow(lowerValue: 0, upperValue: 1))
    }

    private func write(_ url: URL, _ configuration: DatasetRunConfiguration, _ caseIDs: [String], role: String,
                       make: @escaping @Sendable (Int) throws -> DatasetCase) throws {
        try DatasetFiles.writeMissing(url, configuration, caseIDs, role: role, label: "demo", log: log, make: make)
    }
}

/// `Outputs/demo/report.html`: one page that links the stages' own reports and files.
struct DemoReport {
    var summary: DemoSummary
    var settings: DemoSettings
    var directory: URL

    func relative(_ path: String) -> String {
        let base = directory.standardizedFileURL.path + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    func html() -> String {
        let e = ValidationReport.escape
        let s = summary
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>MedSynth demo</title>
        <style>
        body { font-family: sans-serif; margin: 2em; max-width: 1000px; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .met { color: #006400; font-weight: bold; } .missed { color: #b00000; font-weight: bold; }
        </style></head><body>
        <h1>MedSynth end-to-end demo</h1>
        \(ValidationReport.learningCurve(arms: s.validationArms, cohortSizes: s.validationCohortSizes, hd95: false))
        <p>The learning curve of the reduced validation experiment (section 4): lesion Dice of a FLAIR segmenter against the number of real labelled cases, per arm. A short budget and 3 seeds: it shows the method, not the conclusions (BENCHMARKS.md).</p>
        <p>Everything below was made from the built-in head phantom (seed \(settings.seed)) by <code>medsynth demo</code> in \(ValidationReport.duration(s.seconds)):
        \(s.stageSeconds.sorted { $0.value > $1.value }.map { "\($0.key) \(ValidationReport.duration($0.value))" }.joined(separator: ", ")).</p>
        <h2>1. Data</h2><ul>
        """
        for d in s.datasets {
            h += "<li><a href=\"\(e(relative(d)))\">\(e(relative(d)))</a> (MedSynth HDF5: CT, T1, T2, FLAIR, PET and labels per case; docs/DATASET_FORMAT.md)</li>\n"
        }
        h += "</ul>\n<h2>2. Translator</h2>\n<p>Training run: <a href=\"\(e(relative(s.translatorRun)))/report.html\">\(e(relative(s.translatorRun)))/report.html</a> (losses, validation, samples); checkpoint <code>\(e(relative(s.translatorCheckpoint)))</code>.</p>\n"
        h += "<h2>3. Held-out cases translated</h2>\n<p>Scored inside the head against the real image; files in <a href=\"translation/\">translation/</a>.</p>\n"
        h += "<table><tr><th>case</th><th>PSNR (dB)</th><th>SSIM</th><th>MAE</th></tr>\n"
        for t in s.translation {
            h += "<tr><td>\(e(t.caseID))</td><td>\(ValidationReport.number(t.psnrDB, 2))</td><td>\(ValidationReport.number(t.ssim))</td><td>\(ValidationReport.number(t.mae, 1)) \(e(t.unit))</td></tr>\n"
        }
        h += "</table>\n<p><img src=\"translation/comparison.png\" alt=\"input | synthetic | real\"><br>Middle slice of the first held-out case: input | synthetic | real.</p>\n"
        h += "<h2>4. Validation experiment (reduced)</h2>\n<p>Full report: <a href=\"\(e(relative(s.validationReport)))\">\(e(relative(s.validationReport)))</a>. A reduced run: its numbers are not the experiment's conclusions (BENCHMARKS.md has the full one).</p>\n"
        h += "<table><tr><th>arm</th><th>real cases</th><th>Dice mean ± SD</th><th>verdict</th></tr>\n"
        for a in s.validationArms {
            h += "<tr><td>\(e(a.title))</td><td>\(a.cohortSize)</td><td>\(ValidationReport.meanSD(a.dice))</td><td style=\"text-align:left\">\(e(a.verdict))</td></tr>\n"
        }
        h += "</table><ul>\n"
        for t in s.validationTargets {
            let state = t.met.map { $0 ? "<span class=\"met\">met</span>" : "<span class=\"missed\">not met</span>" } ?? "not measured"
            h += "<li>\(e(t.goal)): \(e(t.measured)) — \(state)</li>\n"
        }
        h += "</ul>\n<p>MedSynth \(e(MedSynthVersion.string)).</p>\n</body></html>\n"
        return h
    }
}

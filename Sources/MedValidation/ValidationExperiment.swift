import Dispatch
import Foundation
import MedCore
import MedIO
import MedMetrics
import MedNN
import MedSynthesis
import MedTensor
import MedInference
import MedTraining

/// One test case's scores from one trained segmenter.
public struct ValidationCaseScore: Codable, Equatable, Sendable {
    /// The test case id.
    public var caseID: String
    /// Lesion Dice (1 when reference and prediction are both empty).
    public var dice: Double
    /// Lesion HD95 in mm (MONAI's convention); nil when either mask is empty.
    public var hd95MM: Double?
    /// Lesion voxels in the reference and in the prediction.
    public var referenceVoxels: Int
    public var predictedVoxels: Int
}

/// One validation of a training: the mean lesion Dice on the held-out validation cases after `step` steps.
public struct ValidationCurvePoint: Codable, Equatable, Sendable {
    public var step: Int
    public var dice: Double
}

/// What one training (arm × cohort size × seed) produced: `results/<arm>-n<N>-seed<S>.json`.
public struct ValidationJobResult: Codable, Equatable, Sendable {
    public var arm: ValidationArm
    /// Real cases in the training cohort.
    public var cohortSize: Int
    public var seed: UInt64
    /// Training cases (real and added).
    public var trainingCases: Int
    /// The loss (Dice + CE) averaged over the last 10% of the steps run.
    public var finalLoss: Double
    /// Steps run (fewer than `segmenter.training.steps` when the stopping rule ended the training).
    public var steps: Int
    /// The step whose weights were tested: the best on validation, or the last step without validation.
    public var keptStep: Int
    /// Every validation, in order (empty with `validateEvery: 0`).
    public var validationCurve: [ValidationCurvePoint]
    /// Wall seconds of training and testing.
    public var seconds: Double
    /// Every test case, in test-set order.
    public var cases: [ValidationCaseScore]
}

/// One training of the experiment.
public struct ValidationJob: Hashable, Sendable {
    public var arm: ValidationArm
    public var cohortSize: Int
    public var seed: UInt64
}

/// The validation experiment in a run folder (`medsynth validate`): builds the cohorts and the arms' extra data,
/// trains one segmenter per arm, real-cohort size and seed (to convergence on the held-out validation cases by
/// default), tests each on the same held-out test cases, and writes the statistics — a learning curve.
///
/// Folder `RUN/`:
/// - `config.yaml` — the resolved configuration (non-defaults listed);
/// - `data/` — the cohorts (`real-n<N>.h5` per cohort size — the cohort of size n is the first n cases of the real
///   pool, so the cohorts are nested —, `validation.h5`, `test.h5`, `healthy.h5`, `translator-cases.h5`) and each
///   size's and seed's extra data (`augment-n<N>-seed<S>.h5`, `carvemix-n<N>-seed<S>.h5`,
///   `randomised-n<N>-seed<S>.h5`, `lesions-seed<S>.h5`), and the translated cohorts (`translated-n<N>.h5`,
///   `validation-translated.h5`) (MedSynth datasets);
/// - `translator/` — the translator's training run when the configuration does not name a checkpoint;
/// - `results/<arm>-n<N>-seed<S>.json` — one per finished training (written atomically);
/// - `per_case.csv`, `summary.json`, `report.html` — see `ValidationReport`.
///
/// Resuming (`resume: true`) keeps every finished file: datasets resume case by case, a trained translator is
/// reused (an unfinished one continues from its latest checkpoint), and finished trainings are not run again.
/// Each training's result depends only on the configuration, its cohort size and its seed: trainings run side by
/// side, each on one core (OpenBLAS and MedSynth's loops single-threaded), so the numbers do not depend on how many
/// run at once.
public final class ValidationExperiment: @unchecked Sendable {
    public let config: ValidationExperimentConfig
    /// The resolved configuration as written to `config.yaml`.
    public let configYAML: String
    public let directory: URL
    /// One run per folder: held for the run's life (`RunFiles.claimRunFolder`).
    private let folderLock: OutputLock
    public var name: String { directory.lastPathComponent }
    /// The arms this configuration runs.
    public let arms: [ValidationArm]
    /// Trainings that run at once (each on one core).
    public let workers: Int
    /// Where progress lines go.
    public let log: @Sendable (String) -> Void

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var resultsDirectory: URL { directory.appendingPathComponent("results") }
    public var translatorDirectory: URL { directory.appendingPathComponent("translator") }
    public var configFile: URL { directory.appendingPathComponent("config.yaml") }
    public func realFile(_ size: Int) -> URL { dataDirectory.appendingPathComponent("real-n\(size).h5") }
    public var validationFile: URL { dataDirectory.appendingPathComponent("validation.h5") }
    public var testFile: URL { dataDirectory.appendingPathComponent("test.h5") }
    public var healthyFile: URL { dataDirectory.appendingPathComponent("healthy.h5") }
    public var translatorCasesFile: URL { dataDirectory.appendingPathComponent("translator-cases.h5") }
    public func translatedFile(_ size: Int) -> URL { dataDirectory.appendingPathComponent("translated-n\(size).h5") }
    public var translatedValidationFile: URL { dataDirectory.appendingPathComponent("validation-translated.h5") }
    func augmentFile(_ size: Int, _ seed: UInt64) -> URL { dataDirectory.appendingPathComponent("augment-n\(size)-seed\(seed).h5") }
    func lesionsFile(_ seed: UInt64) -> URL { dataDirectory.appendingPathComponent("lesions-seed\(seed).h5") }
    func carveMixFile(_ size: Int, _ seed: UInt64) -> URL { dataDirectory.appendingPathComponent("carvemix-n\(size)-seed\(seed).h5") }
    func randomisedFile(_ size: Int, _ seed: UInt64) -> URL { dataDirectory.appendingPathComponent("randomised-n\(size)-seed\(seed).h5") }
    func resultFile(_ job: ValidationJob) -> URL { Self.resultFile(job, in: directory) }

    /// `RUN/results/<arm>-n<N>-seed<S>.json`.
    static func resultFile(_ job: ValidationJob, in directory: URL) -> URL {
        directory.appendingPathComponent("results").appendingPathComponent("\(job.arm.rawValue)-n\(job.cohortSize)-seed\(job.seed).json")
    }

    private let commandLine = CaseProvenance.quotedCommandLine(CommandLine.arguments)
    private let cache = CaseCache()
    /// The on-the-fly augmentation of arm (b2) (set by `prepareData`).
    private var onlineAugmenter: OnlinePatchAugmenter?
    /// The translator checkpoint used by the cross-modality arms (set by `prepareData`).
    public private(set) var translatorCheckpoint: URL?

    /// Sets up the folder: a new run, or a resumed one whose configuration must be the saved one.
    /// - Parameters:
    ///   - workers: trainings side by side (default: the machine's cores).
    /// - Throws: `MedSynthError`: a new run in a folder that holds one (`.invalidArgument`, suggesting `--resume`),
    ///   a resume with another configuration (`.mismatch`, naming the keys), write errors.
    public init(configuration: ResolvedConfiguration<ValidationExperimentConfig>, directory: URL, resume: Bool,
                workers: Int = Parallel.workerCount, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        config = configuration.value
        configYAML = configuration.yaml
        self.directory = directory
        self.workers = max(1, workers)
        self.log = log
        arms = ValidationArm.enabled(in: config)
        folderLock = try RunFiles.claimRunFolder(directory, resume: resume, marker: directory.appendingPathComponent("config.yaml"))
        if resume {
            let saved = try String(contentsOf: configFile, encoding: .utf8)
            guard RunFiles.canonical(saved) == RunFiles.canonical(configYAML) else {
                throw MedSynthError(.mismatch, configFile.path,
                                    "was saved with another configuration (\(RunFiles.differences(RunFiles.canonical(saved), RunFiles.canonical(configYAML)))); resume with the run's own config.yaml, or start a new run with --name")
            }
        } else {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try RunFiles.writeAtomically(configYAML, to: configFile)
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: resultsDirectory, withIntermediateDirectories: true)
    }

    // MARK: - Running

    /// Every training of the configuration, in run order: cohort size (smallest first), then seed, then arm — so a
    /// stopped run has whole sizes done. (e ceiling) is left out when it is arm (a)'s training (`ceilingIsArmA`).
    public var jobs: [ValidationJob] { Self.jobs(config) }

    /// The trainings of a configuration, in run order (see `jobs`).
    static func jobs(_ config: ValidationExperimentConfig) -> [ValidationJob] {
        let arms = ValidationArm.enabled(in: config)
        let ceilingIsArmA = ceilingIsArmA(config)
        return config.data.cohortSizes.flatMap { size in
            config.seeds.flatMap { seed in
                arms.filter { $0.cohortSizes(config).contains(size) && !(ceilingIsArmA && $0 == .targetReal) }
                    .map { ValidationJob(arm: $0, cohortSize: size, seed: seed) }
            }
        }
    }

    /// `results` with (e ceiling)'s results added when it is (a)'s training: (e ceiling) trains on the real cases'
    /// target images, and when the target is arm (a)'s modality that is arm (a)'s training exactly (same data, seed
    /// and settings), so its result is (a)'s at the cross-modality size.
    static func withCeiling(_ results: [ValidationJobResult], _ config: ValidationExperimentConfig) -> [ValidationJobResult] {
        guard ceilingIsArmA(config) else { return results }
        return results + results.filter { $0.arm == .real && $0.cohortSize == config.crossModalityCohortSize }.map {
            var copy = $0
            copy.arm = .targetReal
            return copy
        }
    }

    /// Whether (e ceiling) is (a)'s training in `config`.
    static func ceilingIsArmA(_ config: ValidationExperimentConfig) -> Bool {
        config.arms.crossModality.enabled
            && Modality(name: config.arms.crossModality.target) == Modality(name: config.segmenter.modality)
    }

    /// The report of the cohort sizes whose trainings have all finished, while the experiment goes on (or after it
    /// was stopped): `RUN/interim/report.html`, `summary.json` and `per_case.csv`. It reads the run's results and
    /// writes only under `interim/`, which the experiment never writes, so it may run beside the experiment.
    /// - Returns: the summary (nil when no size is complete yet), the finished and the total trainings.
    /// - Throws: `MedSynthError` for an unreadable configuration or result, and write errors.
    public static func writeInterimReport(configuration: ResolvedConfiguration<ValidationExperimentConfig>, directory: URL)
        throws -> (summary: ValidationSummary?, finished: Int, total: Int) {
        let config = configuration.value
        let all = jobs(config)
        let done = all.filter { FileManager.default.fileExists(atPath: resultFile($0, in: directory).path) }
        let complete = config.data.cohortSizes.filter { size in all.filter { $0.cohortSize == size }.allSatisfy(done.contains) }
        guard !complete.isEmpty else { return (nil, done.count, all.count) }
        var partial = config
        partial.data.cohortSizes = complete
        if !complete.contains(config.crossModalityCohortSize) { partial.arms.crossModality.enabled = false }
        partial.arms.crossModality.cohortSize = config.crossModalityCohortSize
        var results: [ValidationJobResult] = []
        for job in jobs(partial) {
            let url = resultFile(job, in: directory)
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            do { results.append(try JSONDecoder().decode(ValidationJobResult.self, from: data)) } catch {
                throw MedSynthError(.corrupt, url.path, "cannot be read as a training result (\(error)); delete it to train that arm again")
            }
        }
        results = withCeiling(results, partial)
        let testIDs = try MedSynthDataset.caseIDs(in: directory.appendingPathComponent("data/test.h5"))
        let summary = ValidationSummary(config: partial, arms: ValidationArm.enabled(in: partial), results: results, testCaseIDs: testIDs,
                                        translatorCheckpoint: nil, seconds: 0, directory: directory.path)
        let folder = directory.appendingPathComponent("interim")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var report = ValidationReport(summary: summary, configYAML: configuration.yaml)
        report.note = "Interim report: \(done.count) of \(all.count) trainings finished; complete cohort sizes \(complete.map(String.init).joined(separator: ", ")) of \(config.data.cohortSizes.map(String.init).joined(separator: ", ")). Holm's correction and the targets cover the complete sizes only."
        try report.write(to: folder)
        return (summary, done.count, all.count)
    }

    /// Runs what is missing and writes the report.
    /// - Parameter shouldStop: polled between and inside trainings; when it returns true the experiment stops
    ///   (finished trainings are kept) and returns nil.
    /// - Returns: the summary, or nil when stopped.
    /// - Throws: `MedSynthError` from data, translator, training (a non-finite loss names the arm, size and seed)
    ///   and writing.
    public func run(shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> ValidationSummary? {
        let started = DispatchTime.now().uptimeNanoseconds
        try prepareData(shouldStop: shouldStop)
        if shouldStop() { return nil }
        let jobs = self.jobs
        let missing = jobs.filter { !FileManager.default.fileExists(atPath: resultFile($0).path) }
        if missing.count < jobs.count { log("validate: \(jobs.count - missing.count) of \(jobs.count) trainings already done") }
        try runJobs(missing, total: jobs.count, done: jobs.count - missing.count, shouldStop: shouldStop)
        if shouldStop() && jobs.contains(where: { !FileManager.default.fileExists(atPath: resultFile($0).path) }) {
            return nil
        }
        let results = Self.withCeiling(try jobs.map { try readResult($0) }, config)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let summary = ValidationSummary(config: config, arms: arms, results: results, testCaseIDs: try testCaseIDs(),
                                        translatorCheckpoint: translatorCheckpoint?.path, seconds: seconds,
                                        directory: directory.path)
        try ValidationReport(summary: summary, configYAML: configYAML).write(to: directory)
        return summary
    }


    /// Reads a finished training's result.
    public func readResult(_ job: ValidationJob) throws -> ValidationJobResult {
        let url = resultFile(job)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MedSynthError(.notFound, url.path, "is missing; the training of \(job.arm.rawValue) at \(job.cohortSize) real cases with seed \(job.seed) has not finished")
        }
        do { return try JSONDecoder().decode(ValidationJobResult.self, from: data) } catch {
            throw MedSynthError(.corrupt, url.path, "cannot be read as a training result (\(error)); delete it to train that arm again")
        }
    }

    private func testCaseIDs() throws -> [String] { try MedSynthDataset.caseIDs(in: testFile) }

    // MARK: - Data

    /// Writes (or completes) every dataset the arms need, and the translator.
    public func prepareData(shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
        let d = config.data
        let type = try d.cohortLesionType()
        func phantom(_ url: URL, cases: Int, seed: UInt64, lesions: Int, role: String) throws {
            let (builder, configuration) = try PhantomDatasetBuilder.builtIn(cases: cases, shape: d.grid, seed: seed, lesions: lesions,
                                                                             lesionType: lesions > 0 ? type : nil, commandLine: commandLine)
            try write(url, configuration, builder.caseIDs, role: role, make: builder.makeCase)
        }
        // Case i of a phantom dataset depends only on its seed and i, so real-n4.h5 holds the first 4 cases of
        // real-n16.h5: the cohorts are nested.
        for size in d.cohortSizes {
            try phantom(realFile(size), cases: size, seed: d.realSeed, lesions: d.lesions, role: "real cohort of \(size)")
        }
        try phantom(validationFile, cases: d.validationCases, seed: d.validationSeed, lesions: d.lesions, role: "validation cases")
        try phantom(testFile, cases: d.testCases, seed: d.testSeed, lesions: d.lesions, role: "test cases")
        if arms.contains(.syntheticLesions) || arms.contains(.carveMix) {
            try phantom(healthyFile, cases: d.healthyCases, seed: d.healthySeed, lesions: 0, role: "healthy cases")
        }
        if arms.contains(.onlineAugment) {
            let (pipeline, _) = try AugmentationPipeline.read(URL(fileURLWithPath: config.arms.onlineAugment.pipeline))
            onlineAugmenter = OnlinePatchAugmenter(pipeline: pipeline, modalities: [Modality(name: config.segmenter.modality)!])
        }
        let a = config.arms
        let augment = arms.contains(.augment) ? try AugmentationPipeline.read(URL(fileURLWithPath: a.augment.pipeline)) : nil
        for seed in config.seeds {
            if shouldStop() { return }
            if arms.contains(.syntheticLesions) {
                let builder = try LesionDatasetBuilder(source: healthyFile, settings: try a.syntheticLesions.lesionSettings(),
                                                       allowedLabels: Set(a.syntheticLesions.allowedLabels), seed: seed, perCase: nil,
                                                       method: a.syntheticLesions.method, commandLine: commandLine)
                try write(lesionsFile(seed), builder.runConfiguration(), builder.caseIDs, role: "synthetic lesions, seed \(seed)",
                          make: builder.makeCase)
            }
            for size in d.cohortSizes {
                if shouldStop() { return }
                let real = realFile(size)
                if case let (pipeline, yaml)? = augment {
                    let builder = try AugmentDatasetBuilder(source: real, pipeline: pipeline, perCase: a.augment.perCase, seed: seed,
                                                            commandLine: commandLine)
                    try write(augmentFile(size, seed), builder.runConfiguration(pipelineYAML: yaml), builder.caseIDs,
                              role: "augmented copies of \(size) real cases, seed \(seed)", make: builder.makeCase)
                }
                if arms.contains(.carveMix) {
                    var settings = CarveMixSettings()
                    settings.allowedTargetLabels = Set(a.carveMix.allowedLabels)
                    let builder = try CarveMixDatasetBuilder(source: healthyFile, donors: real, perCase: a.carveMix.perCase,
                                                             settings: settings, seed: seed, commandLine: commandLine)
                    try write(carveMixFile(size, seed), builder.runConfiguration(), builder.caseIDs,
                              role: "CarveMix transplants from \(size) real cases, seed \(seed)", make: builder.makeCase)
                }
                if arms.contains(.domainRandomised) {
                    let builder = try DomainRandomisedCopiesBuilder(source: real, perCase: a.domainRandomisation.perCase,
                                                                    modalities: [Modality(name: config.segmenter.modality)!],
                                                                    seed: seed, commandLine: commandLine)
                    try write(randomisedFile(size, seed), builder.runConfiguration(), builder.caseIDs,
                              role: "domain-randomised copies of \(size) real cases, seed \(seed)", make: builder.makeCase)
                }
            }
        }
        if arms.contains(.translated) {
            let checkpoint = try translator(shouldStop: shouldStop)
            guard let checkpoint else { return }
            translatorCheckpoint = checkpoint
            let x = config.arms.crossModality
            let contents = try CheckpointContents.read(from: checkpoint)
            let description = try TranslatorDescription.read(from: contents.trainingState, source: checkpoint.path)
            let source = Modality(name: x.source)!, target = Modality(name: x.target)!
            guard let direction = description.directions.first(where: {
                let r = description.roles($0)
                return r.input == source && r.output == target
            }) else {
                throw MedSynthError(.mismatch, checkpoint.path,
                                    "translates \(description.directions.map { description.summary($0) }.joined(separator: " and ")); arms.crossModality needs \(x.source) → \(x.target)")
            }
            let translator = try VolumeTranslator(contents: contents, direction: direction)
            let size = config.crossModalityCohortSize
            for (input, output, role) in [(realFile(size), translatedFile(size), "\(size) real cases translated \(x.source) → \(x.target)"),
                                          (validationFile, translatedValidationFile, "validation cases translated \(x.source) → \(x.target)")] {
                let builder = try DatasetTranslationBuilder(source: input, translator: translator, commandLine: commandLine)
                var configuration = builder.runConfiguration(deflateLevel: HDF5VolumeStore.defaultDeflateLevel, deflateStrategy: .runLength)
                configuration.values["checkpoint"] = checkpoint.lastPathComponent   // the folder may move; the weights' fingerprint decides
                try write(output, configuration, builder.caseIDs, role: role, make: builder.makeCase)
            }
        }
    }

    /// The translator checkpoint: the configured one, or one trained in `translator/` (resumed when unfinished).
    /// - Returns: nil when stopped while training.
    private func translator(shouldStop: @escaping @Sendable () -> Bool) throws -> URL? {
        let x = config.arms.crossModality
        if !x.translator.isEmpty {
            guard FileManager.default.fileExists(atPath: x.translator) else {
                throw MedSynthError(.notFound, x.translator, "does not exist; arms.crossModality.translator names a checkpoint of medsynth train, or leave it empty to train one")
            }
            return URL(fileURLWithPath: x.translator)
        }
        try write(translatorCasesFile, PhantomDatasetBuilder.builtIn(cases: x.translatorCases, shape: config.data.grid, seed: x.translatorSeed,
                                                                    lesions: config.data.lesions, lesionType: try config.data.cohortLesionType(),
                                                                    commandLine: commandLine))
        let overrides = ["data.files=[\"\(translatorCasesFile.path)\"]", "training.steps=\(x.translatorSteps)"] + x.translatorOverrides
        return try TranslatorTraining.checkpoint(configFile: x.translatorConfig, overrides: overrides, directory: translatorDirectory,
                                                 files: [translatorCasesFile], label: "validate", log: log, shouldStop: shouldStop)
    }

    private func write(_ url: URL, _ pair: (builder: PhantomDatasetBuilder, configuration: DatasetRunConfiguration)) throws {
        try write(url, pair.configuration, pair.builder.caseIDs, role: "translator training cases", make: pair.builder.makeCase)
    }

    private func write(_ url: URL, _ configuration: DatasetRunConfiguration, _ caseIDs: [String], role: String,
                       make: @escaping @Sendable (Int) throws -> DatasetCase) throws {
        try DatasetFiles.writeMissing(url, configuration, caseIDs, role: role, label: "validate", log: log, make: make)
    }

    // MARK: - Trainings

    private func runJobs(_ jobs: [ValidationJob], total: Int, done: Int, shouldStop: @escaping @Sendable () -> Bool) throws {
        guard !jobs.isEmpty else { return }
        let savedThreads = BLASRuntime.threadCount
        BLASRuntime.threadCount = 1
        defer { BLASRuntime.threadCount = savedThreads }
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var finished = done
        nonisolated(unsafe) var failure: Error? = nil
        let started = DispatchTime.now().uptimeNanoseconds
        let t = config.segmenter.training
        let rule = t.validateEvery == 0 ? "\(t.steps) steps each"
            : "at most \(t.steps) steps each, validated every \(t.validateEvery)\(t.patience > 0 ? ", stopped after \(t.patience) validations without gain" : "")"
        log("validate: \(jobs.count) trainings (\(rule)), \(min(workers, jobs.count)) at a time")
        DispatchQueue.concurrentPerform(iterations: min(workers, jobs.count)) { _ in
            Parallel.withWorkerLimit(1) {
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    let stop = failure != nil
                    lock.unlock()
                    guard index < jobs.count, !stop, !shouldStop() else { return }
                    let job = jobs[index]
                    do {
                        guard let result = try train(job, shouldStop: shouldStop) else { return }
                        let data = try runJSONEncoder().encode(result)
                        try RunFiles.writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: resultFile(job))
                        lock.lock()
                        finished += 1
                        let count = finished
                        lock.unlock()
                        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                        let rate = Double(count - done) / max(elapsed, 1e-9)
                        let mean = result.cases.map(\.dice).reduce(0, +) / Double(max(1, result.cases.count))
                        log(String(format: "validate: [%d/%d] %@ n=%d seed %llu: Dice %.3f on %d test cases (%d steps, kept %d; %.0f s); about %@ left",
                                   count, total, job.arm.rawValue, job.cohortSize, job.seed, mean, result.cases.count, result.steps,
                                   result.keptStep, result.seconds, ValidationReport.duration(Double(total - count) / max(rate, 1e-9))))
                    } catch {
                        lock.lock()
                        if failure == nil { failure = error }
                        lock.unlock()
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
    }

    /// The training data of an arm at a cohort size: the modality the segmenter takes, and (file, dataset read)
    /// pairs — the real cases first, then the added ones.
    func trainingSources(_ job: ValidationJob) -> (inputModality: Modality, sources: [(URL, Modality)]) {
        let m = Modality(name: config.segmenter.modality)!
        let x = config.arms.crossModality
        let source = Modality(name: x.source)!, target = Modality(name: x.target)!
        let (n, seed) = (job.cohortSize, job.seed)
        let real = realFile(n)
        switch job.arm {
        case .real, .onlineAugment: return (m, [(real, m)])
        case .augment: return (m, [(real, m), (augmentFile(n, seed), m)])
        case .syntheticLesions: return (m, [(real, m), (lesionsFile(seed), m)])
        case .carveMix: return (m, [(real, m), (carveMixFile(n, seed), m)])
        case .domainRandomised: return (m, [(real, m), (randomisedFile(n, seed), m)])
        case .translated: return (target, [(translatedFile(n), target)])
        case .sourceDirect: return (source, [(real, source)])
        case .targetReal: return (target, [(real, target)])
        }
    }

    /// The modality an arm is tested on.
    func testModality(_ arm: ValidationArm) -> Modality {
        arm.isCrossModality ? Modality(name: config.arms.crossModality.target)! : Modality(name: config.segmenter.modality)!
    }

    /// The held-out cases an arm is validated on, as its training data look: the segmenter's own input domain, so
    /// that no arm picks its weights on images of a domain it is not given labels in — (e) on the validation cases
    /// translated, (e gap) on their source images.
    func validationSource(_ arm: ValidationArm) -> (URL, Modality) {
        let x = config.arms.crossModality
        switch arm {
        case .translated: return (translatedValidationFile, Modality(name: x.target)!)
        case .sourceDirect: return (validationFile, Modality(name: x.source)!)
        default: return (validationFile, testModality(arm))
        }
    }

    /// One volume segmented by the trainer's network and scored against its label map.
    private func score(_ trainer: SegmentationTrainer, _ item: SegmentationCase, patch: [Int], training t: SegmentationTrainingConfig) throws -> ValidationCaseScore {
        let p = trainer.probabilities(channels: item.channels, shape: item.shape, patch: patch,
                                      overlap: t.inferenceOverlap, batchSize: t.inferenceBatchSize)
        let predicted = SegmentationInference.labels(probabilities: p, classes: 2, voxelCount: item.shape.voxelCount)
        let reference = Volume(shape: item.shape, voxels: item.classes, affine: item.affine, modality: .label)
        let prediction = Volume(shape: item.shape, voxels: predicted, affine: item.affine, modality: .label)
        let overlap = try SegmentationMetrics.evaluate(reference: reference, prediction: prediction, labels: [1])[0]
        return ValidationCaseScore(caseID: item.caseID, dice: overlap.dice, hd95MM: overlap.hd95MM,
                                   referenceVoxels: item.foreground.count,
                                   predictedVoxels: predicted.reduce(0) { $0 + ($1 > 0 ? 1 : 0) })
    }

    /// Trains one segmenter and tests it; nil when stopped.
    ///
    /// With `validateEvery` > 0 the segmenter is validated on the held-out validation cases every that many steps
    /// (and after the last step); the weights of the best validation Dice (the earliest on ties) are the ones
    /// tested, and after `minSteps` the training stops once `patience` validations in a row brought no gain.
    func train(_ job: ValidationJob, shouldStop: @Sendable () -> Bool) throws -> ValidationJobResult? {
        let started = DispatchTime.now().uptimeNanoseconds
        let (inputModality, sources) = trainingSources(job)
        let segmentation = config.segmentationConfig(seed: job.seed, modality: inputModality.rawValue)
        var cases: [SegmentationCase] = []
        var realCount = 0
        for (i, (url, stored)) in sources.enumerated() {
            let loaded = try cache.cases(url, reading: stored, data: segmentation.data)
            if i == 0 { realCount = loaded.count }
            cases += loaded.map { var c = $0; c.fileIndex = i; return c }
        }
        let root = SeededGenerator(seed: job.seed)
        let dataset = try SegmentationDataset(files: sources.map(\.0), cases: cases, trainingCaseCount: cases.count,
                                              config: segmentation, generator: root.split(SeedStream.sampling))
        let v = config.segmenter.training
        if job.arm.addsCases && v.realFraction > 0 { dataset.mixing = (realCount, v.realFraction) }
        var patchSource: SegmentationDataset.PatchSource? = nil
        if job.arm == .onlineAugment {
            guard let augmenter = onlineAugmenter else { preconditionFailure("arm (b2) without its augmenter; prepareData sets it") }
            patchSource = { item, origin, patch, g in try augmenter.patch(from: item, origin: origin, patch: patch, generator: &g) }
        }
        var weights = root.split(SeedStream.weights)
        let t = segmentation.training
        let trainer = SegmentationRun.makeTrainer(segmentation, seed: weights.next())
        let window = Array(dataset.patch.suffix(3))
        let (validationURL, validationModality) = validationSource(job.arm)
        let validationCases = v.validateEvery > 0 ? try cache.cases(validationURL, reading: validationModality, data: segmentation.data) : []
        var curve: [ValidationCurvePoint] = []
        var best: (dice: Double, step: Int, state: [String: Tensor])? = nil
        var sinceBest = 0
        var losses: [Double] = []
        var stepsRun = 0
        for step in 0..<t.steps {
            if shouldStop() { return nil }
            trainer.optimizer.learningRate = t.learningRate * t.learningRateFactor(step: step)
            let batch = try dataset.nextBatch(patchSource: patchSource)
            let loss = trainer.step(images: batch.images, labels: batch.labels)
            guard loss.isFinite else {
                throw MedSynthError(.invalidArgument, "\(job.arm.rawValue) n=\(job.cohortSize) seed \(job.seed)",
                                    "loss is \(loss) at step \(step + 1); lower segmenter.training.learningRate or check the data")
            }
            losses.append(Double(loss))
            stepsRun = step + 1
            guard v.validateEvery > 0, stepsRun % v.validateEvery == 0 || stepsRun == t.steps else { continue }
            var total = 0.0
            for item in validationCases {
                if shouldStop() { return nil }
                total += try score(trainer, item, patch: window, training: t).dice
            }
            let dice = total / Double(max(1, validationCases.count))
            curve.append(ValidationCurvePoint(step: stepsRun, dice: dice))
            if best == nil || dice > best!.dice {
                best = (dice, stepsRun, trainer.network.stateDict())
                sinceBest = 0
            } else {
                sinceBest += 1
            }
            if v.patience > 0, stepsRun >= v.minSteps, sinceBest >= v.patience { break }
        }
        if let best { try trainer.network.loadStateDict(best.state) }
        // Test on the held-out cases, read as the arm's test modality and normalised by its rule.
        let tests = try cache.cases(testFile, reading: testModality(job.arm), data: segmentation.data)
        var scores: [ValidationCaseScore] = []
        for item in tests {
            if shouldStop() { return nil }
            scores.append(try score(trainer, item, patch: window, training: t))
        }
        let tail = losses.suffix(max(1, losses.count / 10))
        return ValidationJobResult(arm: job.arm, cohortSize: job.cohortSize, seed: job.seed, trainingCases: cases.count,
                                   finalLoss: tail.reduce(0, +) / Double(max(1, tail.count)), steps: stepsRun,
                                   keptStep: best?.step ?? stepsRun, validationCurve: curve,
                                   seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, cases: scores)
    }
}

/// Loaded, normalised cases shared by the trainings (each file and modality read once).
final class CaseCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [SegmentationCase]] = [:]

    func cases(_ url: URL, reading modality: Modality, data: SegmentationDataConfig) throws -> [SegmentationCase] {
        let key = "\(url.path)|\(modality.rawValue)|\(data.classLabels)"
        lock.lock()
        defer { lock.unlock() }
        if let hit = entries[key] { return hit }
        let loaded = try MedSynthDataset.caseIDs(in: url).map {
            try SegmentationDataset.loadCase($0, file: url, fileIndex: 0, data: data, reading: [modality])
        }
        entries[key] = loaded
        return loaded
    }
}

/// Dataset files of the experiment and the demo.
enum DatasetFiles {
    /// Writes the missing cases of a dataset (atomic per case; resumes a file started with the same configuration,
    /// which its builder signs, refuses one started with another), saying so on `log` when there is anything to write.
    static func writeMissing(_ url: URL, _ configuration: DatasetRunConfiguration, _ caseIDs: [String], role: String,
                             label: String, log: @Sendable (String) -> Void,
                             make: @escaping @Sendable (Int) throws -> DatasetCase) throws {
        let writer = try MedSynthDatasetWriter(url: url, configuration: configuration,
                                               plannedCaseCount: caseIDs.count, overwrite: false)
        let present = writer.resumedCaseIDs.count
        if present < caseIDs.count {
            log("\(label): writing \(url.lastPathComponent): \(role), \(caseIDs.count - present) case\(caseIDs.count - present == 1 ? "" : "s")")
            _ = try writer.writeMissing(caseIDs: caseIDs, make: make)
        }
        try writer.close()
    }
}

import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedTraining

/// The cohorts of the experiment, all drawn from the built-in head phantom on one grid: a pool of labelled "real"
/// cases from which the learning curve takes nested cohorts of several sizes (the cohort of size n is the pool's
/// first n cases), held-out real validation cases (the stopping rule and the kept weights), held-out test cases,
/// lesion-free cases that the synthetic arms put lesions into, and the paired CT/MR cases a translator is trained
/// on. Each cohort has its own phantom seed, so no case is in two of them.
public struct ValidationDataConfig: Codable, Equatable, Sendable {
    /// The grid [depth, height, width] of every case (the phantom's field of view; spacing = FOV / extents).
    public var shape: [Int] = [32, 128, 128]
    /// Lesions per real, validation, test and translator case: 1…K, drawn per case.
    public var lesions: Int = 3
    /// The lesion type of the real, validation, test and translator cases (`LesionType`: glioma, metastasis,
    /// haemorrhage, infarct, plaque), or "" (default) for the generic lesion model. Whether CT shows a lesion
    /// depends on its type (haemorrhage is hyperdense, a plaque near-isodense), so the cross-modality arms are
    /// judged per type: one run per type.
    public var lesionType = ""
    /// The real-cohort sizes of the learning curve, ascending: every arm trains once per size and seed.
    public var cohortSizes: [Int] = [2, 4, 8, 16]
    /// The phantom seed of the real cases.
    public var realSeed: UInt64 = 11
    /// Held-out real cases that every training is validated on (early stopping, the kept weights); never trained
    /// on, never tested on.
    public var validationCases: Int = 4
    /// The phantom seed of the validation cases.
    public var validationSeed: UInt64 = 15
    /// Held-out test cases, the same for every arm, size and seed.
    public var testCases: Int = 10
    /// The phantom seed of the test cases.
    public var testSeed: UInt64 = 12
    /// Lesion-free cases that arms (c) and (d) put lesions into.
    public var healthyCases: Int = 16
    /// The phantom seed of the healthy cases.
    public var healthySeed: UInt64 = 13

    /// The defaults.
    public init() {}

    /// The grid.
    public var grid: VolumeShape { VolumeShape(depth: shape[0], height: shape[1], width: shape[2]) }

    /// The lesion type of the cohorts with lesions, nil for the generic model.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `data.lesionType` for an unknown type.
    public func cohortLesionType() throws -> LesionType? {
        lesionType.isEmpty ? nil : try LesionType(name: lesionType, subject: "data.lesionType")
    }

    /// The largest cohort (the size of the real pool).
    public var largestCohort: Int { cohortSizes.max() ?? 0 }

    /// Checks every value.
    public func validate() throws {
        guard shape.count == 3, shape.allSatisfy({ (16...512).contains($0) }) else {
            throw MedSynthError(.invalidArgument, "data.shape", "is \(shape); expected [depth, height, width], each 16...512 voxels")
        }
        guard (1...20).contains(lesions) else {
            throw MedSynthError(.invalidArgument, "data.lesions", "is \(lesions); expected 1...20 lesions per case (the task is lesion segmentation)")
        }
        _ = try cohortLesionType()
        guard !cohortSizes.isEmpty, cohortSizes.count <= 20, cohortSizes.allSatisfy({ (1...1000).contains($0) }),
              zip(cohortSizes, cohortSizes.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MedSynthError(.invalidArgument, "data.cohortSizes", "is \(cohortSizes); expected 1...20 ascending real-cohort sizes, each 1...1000 cases, such as [2, 4, 8, 16]")
        }
        for (key, n, low) in [("validationCases", validationCases, 1), ("testCases", testCases, 2), ("healthyCases", healthyCases, 1)] where !(low...1000).contains(n) {
            throw MedSynthError(.invalidArgument, "data.\(key)", "is \(n); expected \(low)...1000 cases")
        }
        let seeds = [("realSeed", realSeed), ("validationSeed", validationSeed), ("testSeed", testSeed), ("healthySeed", healthySeed)]
        for (key, s) in seeds where s > UInt64(Int64.max) {
            throw MedSynthError(.invalidArgument, "data.\(key)", "is \(s); expected at most \(Int64.max)")
        }
        guard Set(seeds.map(\.1)).count == seeds.count else {
            throw MedSynthError(.invalidArgument, "data.realSeed", "data.realSeed, validationSeed, testSeed and healthySeed are \(seeds.map(\.1)); expected four different seeds, so that no case is in two cohorts")
        }
    }
}

/// The training loop of every segmenter (one per arm, cohort size and seed). By default it is trained until the
/// Dice on the held-out validation cases stops improving, and the best weights on validation are the ones tested;
/// `validateEvery: 0` gives the fixed budget of earlier versions (all `steps`, the last weights).
public struct ValidationTrainingConfig: Codable, Equatable, Sendable {
    /// The most optimisation steps (one batch each); the schedule runs over this many.
    public var steps: Int = 3000
    /// Validate on the held-out real cases every this many steps (0: never; then the last weights are tested).
    public var validateEvery: Int = 100
    /// Stop after this many validations in a row without a better validation Dice (0: train all `steps`, still
    /// keeping the best weights).
    public var patience: Int = 5
    /// Never stop before this many steps.
    public var minSteps: Int = 300
    /// The share of every batch drawn from the real cases when an arm adds cases of another kind (synthetic,
    /// augmented or transplanted); the rest come from the added cases. 0 draws uniformly over all cases (the
    /// design of earlier versions).
    public var realFraction: Double = 0.5
    /// Adam's learning rate before the schedule.
    public var learningRate: Float = 1e-3
    /// poly (nnU-Net), linear or constant.
    public var schedule: SegmentationSchedule = .poly
    /// The probability that a patch is centred on a lesion voxel (nnU-Net: 1/3).
    public var foregroundOversampling: Double = 0.33
    /// Weight of the soft Dice term.
    public var diceWeight: Float = 1
    /// Weight of the cross-entropy term.
    public var crossEntropyWeight: Float = 1

    /// The defaults.
    public init() {}

    /// Checks the stopping rule and the mixing.
    public func validate() throws {
        guard (1...1_000_000).contains(steps) else {
            throw MedSynthError(.invalidArgument, "segmenter.training.steps", "is \(steps); expected 1...1000000")
        }
        guard (0...steps).contains(validateEvery) else {
            throw MedSynthError(.invalidArgument, "segmenter.training.validateEvery", "is \(validateEvery); expected 0 (no validation) ... steps (\(steps))")
        }
        guard (0...1000).contains(patience) else {
            throw MedSynthError(.invalidArgument, "segmenter.training.patience", "is \(patience); expected 0 (no early stop) ... 1000 validations")
        }
        guard (0...steps).contains(minSteps) else {
            throw MedSynthError(.invalidArgument, "segmenter.training.minSteps", "is \(minSteps); expected 0...steps (\(steps))")
        }
        guard realFraction.isFinite, (0...1).contains(realFraction) else {
            throw MedSynthError(.invalidArgument, "segmenter.training.realFraction", "is \(realFraction); expected 0 (uniform over all cases) ... 1")
        }
    }
}

/// The segmenter that every arm trains — everything but its training data is fixed.
public struct ValidationSegmenterConfig: Codable, Equatable, Sendable {
    /// The input of arms (a)–(d) (the cross-modality arms read `arms.crossModality`'s modalities).
    public var modality: String = "FLAIR"
    /// The label values that form the lesion class (10 whole lesion; 11–13 BraTS-like sub-regions).
    public var lesionLabels: [Int] = [10, 11, 12, 13]
    /// Training patch [height, width] (2-D) or [depth, height, width] (3-D).
    public var patchSize: [Int] = [64, 64]
    /// Patches per batch.
    public var batchSize: Int = 8
    /// The U-Net.
    public var network: SegmentationNetworkConfig = {
        var n = SegmentationNetworkConfig()
        n.depth = 3
        return n
    }()
    /// The loop.
    public var training = ValidationTrainingConfig()

    /// The defaults.
    public init() {}
}

/// Arm (b): the real cases plus augmented copies of them, made once before training (offline).
public struct AugmentArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// The augmentation pipeline (YAML, as `medsynth augment --config`), relative to the working folder.
    public var pipeline = "Configs/augment-default.yaml"
    /// Augmented copies of each real case.
    public var perCase = 2
    public init() {}
}

/// Arm (b2): the real cases only, every training patch augmented as it is drawn (on the fly, as nnU-Net trains) —
/// the baseline any reviewer asks for, distinct from (b)'s offline copies.
public struct OnlineAugmentArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// The per-patch pipeline (YAML, as `medsynth augment --config`), relative to the working folder. Its spatial
    /// steps should stay in-plane for 2-D patches.
    public var pipeline = "Configs/augment-online.yaml"
    public init() {}
}

/// Arm (c): the real cases plus healthy cases with synthetic lesions.
public struct SyntheticLesionArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// Lesions per healthy case: 1…K, drawn per case.
    public var lesions = 3
    /// phantom (the default: rendered again through the phantom's physics — partial volume, bias field, noise,
    /// PET blur — as the real cases' lesions are), blend (into the stored images, as for a user's own healthy scans
    /// that no phantom can render) or auto.
    public var method: LesionDatasetBuilder.Method = .phantom
    /// Label values where lesions may go (7 grey matter, 8 white matter, 9 deep grey nuclei).
    public var allowedLabels: [Int] = [7, 8, 9]
    /// A named lesion type (`LesionType`: glioma, metastasis, haemorrhage, infarct, plaque), or "" (default) for
    /// the generic lesion model.
    public var type = ""
    public init() {}

    /// The lesion settings of the arm: its type (if any) and 1…`lesions` lesions per case.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `arms.syntheticLesions.type` for an unknown type.
    public func lesionSettings() throws -> LesionSettings {
        var settings = LesionSettings()
        if !type.isEmpty { try LesionType(name: type, subject: "arms.syntheticLesions.type").apply(to: &settings) }
        settings.countRange = 1...lesions
        return settings
    }
}

/// Arm (d): the real cases plus healthy cases with lesions transplanted from the real ones (CarveMix).
public struct CarveMixArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// Transplants per healthy case.
    public var perCase = 1
    /// Label values of the host where a transplant may land.
    public var allowedLabels: [Int] = [7, 8, 9]
    public init() {}
}

/// Arm (f): the real cases plus domain-randomised copies of them, in the manner of SynthSeg: each copy keeps a real
/// case's label map and replaces its image by one with random per-label intensities and contrasts, random
/// resolution, bias field and gamma (`DomainRandomisation`).
public struct DomainRandomisationArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// Domain-randomised copies of each real case.
    public var perCase = 4
    public init() {}
}

/// Arm (e): a segmenter for the target MR modality trained only on source-modality (CT) images whose labels come
/// with them, translated to the target by a translator — against one trained on the CT images directly (the domain
/// gap) and one trained on real target images (the ceiling). All three are tested on real target images.
public struct CrossModalityArmConfig: Codable, Equatable, Sendable {
    public var enabled = true
    /// The labelled images' modality.
    public var source = "CT"
    /// The modality the segmenter must work on (FLAIR: lesions are bright there, so the real-image ceiling is a
    /// working segmenter — on T1 the phantom's lesions are too faint for 400 steps; measured, docs/VALIDATION.md).
    public var target = "FLAIR"
    /// A checkpoint of `medsynth train` that translates source → target; empty: train one in RUN/translator/ with
    /// `translatorConfig` on `translatorCases` phantom cases of its own.
    public var translator = ""
    /// The translator's run configuration when it is trained here.
    public var translatorConfig = "Configs/pix2pix-ct2t1.yaml"
    /// Its training steps (overrides the file's).
    public var translatorSteps = 1500
    /// Further `key=value` overrides of the translator's configuration (the default points the CT → T1 config at
    /// the target: `data.slices.modalityB=FLAIR`).
    public var translatorOverrides: [String] = ["data.slices.modalityB=FLAIR"]
    /// Paired phantom cases (with lesions) the translator is trained on.
    public var translatorCases = 10
    /// Their phantom seed.
    public var translatorSeed: UInt64 = 14
    /// The real-cohort size the cross-modality arms run at (they do not take part in the learning curve); 0 (the
    /// default): the largest of `data.cohortSizes`. Must be one of them.
    public var cohortSize = 0
    public init() {}
}

/// Which arms run besides (a), and how their extra data are made.
public struct ValidationArmsConfig: Codable, Equatable, Sendable {
    public var augment = AugmentArmConfig()
    public var onlineAugment = OnlineAugmentArmConfig()
    public var syntheticLesions = SyntheticLesionArmConfig()
    public var carveMix = CarveMixArmConfig()
    public var domainRandomisation = DomainRandomisationArmConfig()
    public var crossModality = CrossModalityArmConfig()
    public init() {}
}

/// `medsynth validate --config Configs/validate-lesions.yaml`: does synthetic data improve a lesion segmenter
/// trained on few real cases, and at which cohort sizes? Everything but the training data is fixed across arms;
/// each arm is trained once per real-cohort size and seed, to convergence on held-out validation cases, and tested
/// on the same held-out test cases.
///
/// ```yaml
/// seeds: [0, 1, 2, 3, 4]
/// data: { shape: [32, 128, 128], cohortSizes: [2, 4, 8, 16], validationCases: 4, testCases: 10, healthyCases: 16 }
/// segmenter: { modality: FLAIR, patchSize: [64, 64], batchSize: 8,
///              training: { steps: 3000, validateEvery: 100, patience: 5, realFraction: 0.5 } }
/// arms: { augment: { perCase: 2 }, syntheticLesions: { method: phantom }, domainRandomisation: { perCase: 4 },
///         crossModality: { source: CT, target: FLAIR, translatorSteps: 1500 } }
/// ```
public struct ValidationExperimentConfig: RunConfiguration, Equatable {
    /// One training per arm, cohort size and seed; the seed draws the weights, the patches and the synthetic data.
    public var seeds: [UInt64] = [0, 1, 2, 3, 4]
    /// The cohorts.
    public var data = ValidationDataConfig()
    /// The segmenter every arm trains.
    public var segmenter = ValidationSegmenterConfig()
    /// The arms besides (a).
    public var arms = ValidationArmsConfig()
    /// The significance level of the paired tests.
    public var alpha: Double = 0.05

    /// The defaults.
    public init() {}

    /// `medsynth validate --quick`: a reduced experiment for tests and CI (2 seeds; cohorts of 2 and 3 real cases,
    /// 2 validation, 3 test and 3 healthy cases of 16×64×64; at most 40 steps on 32-pixel patches, validated every
    /// 20; a 30-step translator of width 8). Its numbers say nothing about synthetic data; it shows that every part
    /// runs.
    public static let quickOverrides = [
        "seeds=[0, 1]", "data.shape=[16, 64, 64]", "data.cohortSizes=[2, 3]", "data.validationCases=2", "data.testCases=3",
        "data.healthyCases=3", "data.lesions=2", "segmenter.patchSize=[32, 32]", "segmenter.batchSize=4",
        "segmenter.training.steps=40", "segmenter.training.validateEvery=20", "segmenter.training.patience=1",
        "segmenter.training.minSteps=20", "arms.augment.perCase=1", "arms.domainRandomisation.perCase=1",
        "arms.crossModality.translatorSteps=30", "arms.crossModality.translatorCases=3",
        "arms.crossModality.translatorOverrides=[\"data.slices.modalityB=FLAIR\", \"network.downsamplings=5\", \"network.generatorFilters=8\", \"network.discriminatorFilters=8\", \"training.validateEvery=30\", \"training.checkpointEvery=0\", \"data.slices.validationSlices=8\"]",
    ]

    /// The real-cohort size of the cross-modality arms.
    public var crossModalityCohortSize: Int {
        arms.crossModality.cohortSize == 0 ? data.largestCohort : arms.crossModality.cohortSize
    }

    /// The segmentation run configuration of one training: the segmenter with `modality` as its input.
    public func segmentationConfig(seed: UInt64, modality: String) -> SegmentationRunConfig {
        var c = SegmentationRunConfig()
        c.seed = seed
        c.data.modalities = [modality]
        c.data.classNames = ["lesion"]
        c.data.classLabels = [segmenter.lesionLabels]
        c.data.patchSize = segmenter.patchSize
        c.data.batchSize = segmenter.batchSize
        c.network = segmenter.network
        let t = segmenter.training
        c.training.steps = t.steps
        c.training.learningRate = t.learningRate
        c.training.schedule = t.schedule
        c.training.foregroundOversampling = t.foregroundOversampling
        c.training.diceWeight = t.diceWeight
        c.training.crossEntropyWeight = t.crossEntropyWeight
        c.training.validateEvery = t.steps
        c.training.logEvery = t.steps
        return c
    }

    /// Checks every value (and that the segmenter's settings form a valid segmentation run).
    /// - Throws: `MedSynthError(.invalidArgument)` naming the dotted key, the value and what was expected.
    public func validate() throws {
        guard !seeds.isEmpty, seeds.count <= 100 else {
            throw MedSynthError(.invalidArgument, "seeds", "has \(seeds.count) seeds; expected 1...100 (the issue asks for at least 5)")
        }
        guard Set(seeds).count == seeds.count else {
            throw MedSynthError(.invalidArgument, "seeds", "is \(seeds); expected each seed once")
        }
        for s in seeds where s > UInt64(Int64.max) {
            throw MedSynthError(.invalidArgument, "seeds", "holds \(s); expected seeds up to \(Int64.max)")
        }
        try data.validate()
        for (key, name) in [("segmenter.modality", segmenter.modality), ("arms.crossModality.source", arms.crossModality.source),
                            ("arms.crossModality.target", arms.crossModality.target)] {
            guard let m = Modality(name: name), m != .label, m != .unknown else {
                throw MedSynthError(.invalidArgument, key, "is '\(name)'; expected an image modality: CT, T1, T2, FLAIR, PET")
            }
        }
        if arms.crossModality.enabled, Modality(name: arms.crossModality.source) == Modality(name: arms.crossModality.target) {
            throw MedSynthError(.invalidArgument, "arms.crossModality.target", "is the source modality (\(arms.crossModality.source)); expected another modality to translate to")
        }
        do {
            try segmentationConfig(seed: 0, modality: segmenter.modality).validate()
        } catch let e as MedSynthError {
            let key = (e.subject ?? "").replacingOccurrences(of: "data.classLabels", with: "segmenter.lesionLabels")
                .replacingOccurrences(of: "data.", with: "segmenter.").replacingOccurrences(of: "training.", with: "segmenter.training.")
                .replacingOccurrences(of: "network.", with: "segmenter.network.")
            throw MedSynthError(e.kind, key, e.message)
        }
        try segmenter.training.validate()
        let a = arms
        guard (1...100).contains(a.augment.perCase) else {
            throw MedSynthError(.invalidArgument, "arms.augment.perCase", "is \(a.augment.perCase); expected 1...100 copies per case")
        }
        if a.augment.enabled, a.augment.pipeline.isEmpty {
            throw MedSynthError(.invalidArgument, "arms.augment.pipeline", "is empty; expected an augmentation YAML such as Configs/augment-default.yaml")
        }
        guard (1...20).contains(a.syntheticLesions.lesions) else {
            throw MedSynthError(.invalidArgument, "arms.syntheticLesions.lesions", "is \(a.syntheticLesions.lesions); expected 1...20 lesions per case")
        }
        _ = try a.syntheticLesions.lesionSettings()
        if a.onlineAugment.enabled, a.onlineAugment.pipeline.isEmpty {
            throw MedSynthError(.invalidArgument, "arms.onlineAugment.pipeline", "is empty; expected a per-patch augmentation YAML such as Configs/augment-online.yaml")
        }
        guard (1...100).contains(a.domainRandomisation.perCase) else {
            throw MedSynthError(.invalidArgument, "arms.domainRandomisation.perCase", "is \(a.domainRandomisation.perCase); expected 1...100 copies per case")
        }
        guard (1...20).contains(a.carveMix.perCase) else {
            throw MedSynthError(.invalidArgument, "arms.carveMix.perCase", "is \(a.carveMix.perCase); expected 1...20 transplants per case")
        }
        for (key, labels) in [("arms.syntheticLesions.allowedLabels", a.syntheticLesions.allowedLabels),
                              ("arms.carveMix.allowedLabels", a.carveMix.allowedLabels)] where labels.isEmpty || labels.contains(where: { !(1...9).contains($0) }) {
            throw MedSynthError(.invalidArgument, key, "is \(labels); expected tissue labels 1...9 (7 grey matter, 8 white matter, 9 deep grey nuclei)")
        }
        let x = a.crossModality
        if x.enabled, x.cohortSize != 0, !data.cohortSizes.contains(x.cohortSize) {
            throw MedSynthError(.invalidArgument, "arms.crossModality.cohortSize", "is \(x.cohortSize); expected 0 (the largest cohort) or one of data.cohortSizes \(data.cohortSizes)")
        }
        if x.enabled && x.translator.isEmpty {
            guard !x.translatorConfig.isEmpty else {
                throw MedSynthError(.invalidArgument, "arms.crossModality.translatorConfig", "is empty and no translator checkpoint is given; expected a run configuration such as Configs/pix2pix-ct2t1.yaml")
            }
            guard (1...1_000_000).contains(x.translatorSteps) else {
                throw MedSynthError(.invalidArgument, "arms.crossModality.translatorSteps", "is \(x.translatorSteps); expected 1...1000000")
            }
            guard (2...1000).contains(x.translatorCases) else {
                throw MedSynthError(.invalidArgument, "arms.crossModality.translatorCases", "is \(x.translatorCases); expected 2...1000 (at least one training and one validation case)")
            }
            guard ![data.realSeed, data.validationSeed, data.testSeed, data.healthySeed].contains(x.translatorSeed) else {
                throw MedSynthError(.invalidArgument, "arms.crossModality.translatorSeed", "is \(x.translatorSeed), a seed of another cohort; expected a seed of its own, so the translator never sees a test case")
            }
        }
        guard alpha.isFinite, alpha > 0, alpha < 0.5 else {
            throw MedSynthError(.invalidArgument, "alpha", "is \(alpha); expected a significance level in (0, 0.5) such as 0.05")
        }
    }
}

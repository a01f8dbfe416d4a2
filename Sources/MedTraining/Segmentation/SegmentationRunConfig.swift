import Foundation
import MedCore
import MedIO
import MedNN

/// An intensity normalisation setting that may say `method: standard` (each modality's standard rule,
/// `IntensityNormalization.standard(for:)`). Configs write it in `IntensityNormalization`'s flat form.
public struct NormalizationSetting: Codable, Equatable, Sendable {
    /// The rule; nil = the standard rule of each modality.
    public var rule: IntensityNormalization?

    /// A setting; nil = standard.
    public init(_ rule: IntensityNormalization? = nil) { self.rule = rule }

    /// Decodes the flat form, `method: standard` allowed.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the dotted key (see `IntensityNormalization`).
    public init(from decoder: Decoder) throws {
        rule = try IntensityNormalization.decodeSetting(decoder, allowStandard: true)
    }

    /// Encodes the flat form with every key.
    public func encode(to encoder: Encoder) throws {
        try IntensityNormalization.encodeSetting(rule, to: encoder)
    }

    /// The rule applied to volumes of `modality`.
    public func resolved(for modality: Modality) -> IntensityNormalization { rule ?? .standard(for: modality) }
}

/// How the learning rate moves over a segmentation run.
public enum SegmentationSchedule: String, Codable, Sendable, CaseIterable {
    /// nnU-Net's polynomial decay: lr · (1 − t/T)^exponent.
    case poly
    /// Linear decay to 0: lr · (1 − t/T).
    case linear
    /// No decay.
    case constant
}

/// Where a segmentation run's images and labels come from, and how they become classes and patches.
public struct SegmentationDataConfig: Codable, Equatable, Sendable {
    /// MedSynth HDF5 datasets; empty (the default): the built-in phantom (`phantom`), cached under
    /// `Outputs/datasets/` as for `medsynth train`.
    public var files: [String] = []
    /// The built-in phantom used when `files` is empty (default: 10 cases of 48×128×128, up to 3 lesions each).
    public var phantom: PhantomDataConfig = {
        var p = PhantomDataConfig()
        p.lesions = 3
        return p
    }()
    /// The input channels, in order: dataset names under `/cases/<id>/` (CT, T1, T2, FLAIR, PET; any case).
    public var modalities: [String] = ["FLAIR"]
    /// Per-volume intensity normalisation of every input (`method: standard` = CT window, MR percentiles
    /// 0.5…99.9, PET SUV/15; or `zScore`, `percentiles`, … with their parameters).
    public var normalization = NormalizationSetting()
    /// The names of the foreground classes (class 0 is the background).
    public var classNames: [String] = ["lesion"]
    /// For each foreground class (class i + 1), the label values of the `label` map that form it; every other
    /// value is background. Default: lesion = 10 (whole lesion), 11 (necrotic core), 12 (oedema), 13 (rim).
    public var classLabels: [[Int]] = [[10, 11, 12, 13]]
    /// The share of source cases held out for validation (0 < f < 1; by source case, as `CaseSplit`).
    public var validationFraction: Double = 0.2
    /// The seed of the case split.
    public var splitSeed: UInt64 = 0
    /// The training patch, spatial extents: [height, width] for a 2-D network (a crop of an axial slice),
    /// [depth, height, width] for 3-D; empty = whole slices (2-D) or whole volumes (3-D). Sides must be multiples
    /// of 2^network.depth. 3-D inference slides a window of this size over the volume.
    public var patchSize: [Int] = []
    /// Patches per training batch.
    public var batchSize: Int = 4

    /// The defaults.
    public init() {}

    /// The input modalities, parsed.
    public var inputModalities: [Modality] { modalities.compactMap { Modality(name: $0) } }

    /// Checks every value.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the dotted key, the value and what was expected.
    public func validate() throws {
        do { try phantom.validate() } catch let e as MedSynthError {
            throw MedSynthError(e.kind, "data.phantom.\((e.subject ?? "").split(separator: ".").last ?? "")", e.message)
        }
        for f in files where f.isEmpty {
            throw MedSynthError(.invalidArgument, "data.files", "has an empty path; expected MedSynth HDF5 dataset paths, or no files for the built-in phantom")
        }
        guard !modalities.isEmpty else {
            throw MedSynthError(.invalidArgument, "data.modalities", "is empty; expected at least one input modality such as [FLAIR]")
        }
        var seen: Set<Modality> = []
        for name in modalities {
            guard let m = Modality(name: name), m != .label, m != .unknown else {
                throw MedSynthError(.invalidArgument, "data.modalities", "holds '\(name)'; expected image modalities: CT, T1, T2, FLAIR, PET")
            }
            guard seen.insert(m).inserted else {
                throw MedSynthError(.invalidArgument, "data.modalities", "lists \(m.rawValue) twice; expected each input modality once")
            }
        }
        for m in inputModalities { try normalization.resolved(for: m).validate(subject: "data.normalization") }
        guard !classLabels.isEmpty, classLabels.count <= 254 else {
            throw MedSynthError(.invalidArgument, "data.classLabels", "has \(classLabels.count) classes; expected 1...254 foreground classes, each a list of label values")
        }
        guard classNames.count == classLabels.count else {
            throw MedSynthError(.invalidArgument, "data.classNames",
                                "has \(classNames.count) names for \(classLabels.count) classes in data.classLabels; expected one name per class")
        }
        var owner: [Int: Int] = [:]
        for (c, labels) in classLabels.enumerated() {
            guard !labels.isEmpty else {
                throw MedSynthError(.invalidArgument, "data.classLabels", "class \(c + 1) (\(classNames[c])) has no label values; expected at least one")
            }
            for l in labels {
                guard (1...65535).contains(l) else {
                    throw MedSynthError(.invalidArgument, "data.classLabels", "holds \(l); expected label values 1...65535 (0 is the background)")
                }
                if let other = owner[l], other != c {
                    throw MedSynthError(.invalidArgument, "data.classLabels", "puts label \(l) into classes \(other + 1) and \(c + 1); expected each label in one class")
                }
                owner[l] = c
            }
        }
        for (i, n) in classNames.enumerated() where n.isEmpty || n.contains(",") || n.contains(" ") {
            throw MedSynthError(.invalidArgument, "data.classNames", "name \(i + 1) '\(n)' is empty or holds a comma or space; expected a plain name like lesion")
        }
        guard validationFraction.isFinite, validationFraction > 0, validationFraction < 1 else {
            throw MedSynthError(.invalidArgument, "data.validationFraction", "is \(validationFraction); expected 0 < fraction < 1 (validation picks the best checkpoint)")
        }
        guard batchSize >= 1 else {
            throw MedSynthError(.invalidArgument, "data.batchSize", "is \(batchSize); expected at least 1")
        }
    }
}

/// The U-Net's architecture (`UNetSegmenterConfig` without the channel counts, which the data decide).
public struct SegmentationNetworkConfig: Codable, Equatable, Sendable {
    /// 2: trains on axial slices, predicts slice by slice; 3: trains on 3-D patches, predicts by sliding window.
    public var spatialRank: Int = 2
    /// Poolings (levels − 1); patch sides must be multiples of 2^depth.
    public var depth: Int = 4
    /// Channels of the first level; level i has baseWidth · 2^i.
    public var baseWidth: Int = 16
    /// The normalisation after each convolution: instance (default, as nnU-Net), batch or none.
    public var norm: NormalizationKind = .instance

    /// The defaults.
    public init() {}

    /// Checks every value.
    public func validate() throws {
        guard spatialRank == 2 || spatialRank == 3 else {
            throw MedSynthError(.invalidArgument, "network.spatialRank", "is \(spatialRank); expected 2 (slices) or 3 (volumes)")
        }
        guard (0...7).contains(depth) else {
            throw MedSynthError(.invalidArgument, "network.depth", "is \(depth); expected 0...7 poolings")
        }
        guard (1...256).contains(baseWidth) else {
            throw MedSynthError(.invalidArgument, "network.baseWidth", "is \(baseWidth); expected 1...256 channels")
        }
    }
}

/// The loop: length, optimiser, schedule, loss weights, sampling and cadence.
public struct SegmentationTrainingConfig: Codable, Equatable, Sendable {
    /// Optimisation steps (one batch each).
    public var steps: Int = 1000
    /// Adam's learning rate before the schedule (β 0.9, 0.999).
    public var learningRate: Float = 1e-3
    /// poly (nnU-Net, exponent `polyExponent`), linear or constant.
    public var schedule: SegmentationSchedule = .poly
    /// The exponent of the poly schedule.
    public var polyExponent: Double = 0.9
    /// Weight of the soft Dice term.
    public var diceWeight: Float = 1
    /// Weight of the cross-entropy term.
    public var crossEntropyWeight: Float = 1
    /// Whether the Dice term averages the background class too (nnU-Net: no).
    public var diceIncludeBackground: Bool = false
    /// The probability that a training patch is centred on a foreground voxel (nnU-Net: 1/3), so that small
    /// lesions are seen often enough; other patches are placed uniformly.
    public var foregroundOversampling: Double = 0.33
    /// A `losses.csv` row (mean over the window) every this many steps.
    public var logEvery: Int = 10
    /// Validation on the whole held-out volumes, `latest.h5` and the report every this many steps and at the end.
    public var validateEvery: Int = 100
    /// A numbered checkpoint every this many steps (0: only latest and best).
    public var checkpointEvery: Int = 0
    /// Overlap of neighbouring windows in 3-D inference (nnU-Net: 0.5).
    public var inferenceOverlap: Double = 0.5
    /// Slices (2-D) or windows (3-D) per inference batch.
    public var inferenceBatchSize: Int = 8

    /// The defaults.
    public init() {}

    /// Checks every value.
    public func validate() throws {
        try validateCadence()
        guard inferenceBatchSize >= 1 else {
            throw MedSynthError(.invalidArgument, "training.inferenceBatchSize", "is \(inferenceBatchSize); expected at least 1")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw MedSynthError(.invalidArgument, "training.learningRate", "is \(learningRate); expected a positive learning rate such as 0.001")
        }
        guard polyExponent.isFinite, polyExponent > 0 else {
            throw MedSynthError(.invalidArgument, "training.polyExponent", "is \(polyExponent); expected a positive exponent such as 0.9")
        }
        for (key, w) in [("diceWeight", diceWeight), ("crossEntropyWeight", crossEntropyWeight)] where !(w.isFinite && w >= 0) {
            throw MedSynthError(.invalidArgument, "training.\(key)", "is \(w); expected a weight >= 0")
        }
        guard diceWeight + crossEntropyWeight > 0 else {
            throw MedSynthError(.invalidArgument, "training.diceWeight", "and training.crossEntropyWeight are both 0; expected at least one positive loss weight")
        }
        guard foregroundOversampling.isFinite, (0...1).contains(foregroundOversampling) else {
            throw MedSynthError(.invalidArgument, "training.foregroundOversampling", "is \(foregroundOversampling); expected a probability in 0...1")
        }
        guard inferenceOverlap.isFinite, inferenceOverlap >= 0, inferenceOverlap < 1 else {
            throw MedSynthError(.invalidArgument, "training.inferenceOverlap", "is \(inferenceOverlap); expected 0 <= overlap < 1")
        }
    }

    /// The learning-rate factor before step `step` (0-based): poly (1 − t/T)^e, linear 1 − t/T, or 1.
    public func learningRateFactor(step: Int) -> Float {
        let remaining = max(0, 1 - Double(step) / Double(steps))
        switch schedule {
        case .poly: return Float(pow(remaining, polyExponent))
        case .linear: return Float(remaining)
        case .constant: return 1
        }
    }
}

/// A segmentation training run (`medsynth segment train --config FILE`): the seed, the data and classes, the
/// U-Net, and the loop.
///
/// ```yaml
/// seed: 0
/// data: { modalities: [FLAIR], classNames: [lesion], classLabels: [[10, 11, 12, 13]], patchSize: [64, 64] }
/// network: { spatialRank: 2, depth: 4, baseWidth: 16 }
/// training: { steps: 600, learningRate: 0.001, schedule: poly, foregroundOversampling: 0.33 }
/// ```
public struct SegmentationRunConfig: RunConfiguration, Equatable {
    /// The seed of the weights and of the patch sampling.
    public var seed: UInt64 = 0
    /// Files or the built-in phantom, input modalities, classes, split, patches.
    public var data = SegmentationDataConfig()
    /// The U-Net.
    public var network = SegmentationNetworkConfig()
    /// The loop.
    public var training = SegmentationTrainingConfig()

    /// The defaults.
    public init() {}

    /// Checks every section, and that the patch fits the network.
    public func validate() throws {
        try data.validate()
        try network.validate()
        try training.validate()
        let p = data.patchSize
        guard p.isEmpty || p.count == network.spatialRank else {
            throw MedSynthError(.invalidArgument, "data.patchSize",
                                "is \(p); expected \(network.spatialRank == 2 ? "[height, width]" : "[depth, height, width]") for network.spatialRank \(network.spatialRank), or [] for whole \(network.spatialRank == 2 ? "slices" : "volumes")")
        }
        let m = 1 << network.depth
        for s in p where s < 1 || s % m != 0 {
            throw MedSynthError(.invalidArgument, "data.patchSize",
                                "is \(p); expected sides that are positive multiples of \(m) (2^network.depth)")
        }
    }
}

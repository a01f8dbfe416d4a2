import MedCore
import MedIO

/// Whether the two images of a training sample come from the same place.
public enum SlicePairing: String, Codable, Sendable, CaseIterable {
    /// Modality A and B of the same case and slice, cropped and flipped identically (pix2pix, conditional GAN).
    case paired
    /// A and B drawn independently: each from its own shuffled order of cases and slices, with its own crop
    /// and flip (CycleGAN).
    case unpaired
}

/// What decides whether a slice holds enough head to train on.
public enum ForegroundSource: String, Codable, Sendable, CaseIterable {
    /// The case's `label` volume: voxels with label > 0 (anything but air).
    case labels
    /// Normalised values above `intensityForegroundLevel`: A's for a pair (paired mode), each image's own in
    /// unpaired mode. For files without label maps.
    case intensity
    /// Every slice is used (`minimumForegroundFraction` is ignored).
    case none
}

/// How validation slices are cut.
public enum ValidationCrop: String, Codable, Sendable, CaseIterable {
    /// The whole slice.
    case full
    /// The centred `cropSize` square (the whole slice when `cropSize` is nil): the training input size.
    case center
}

/// Everything that decides which slices a `SliceDataset` draws and how; the files are given separately.
/// Codable, so a run's config holds it as a section (YAML/JSON keys as the property names; missing keys take
/// the defaults below, unknown keys are rejected with a message naming their dotted path). Its encoding lists
/// every key, as `ConfigLoader` requires of a `RunConfiguration`'s sections.
public struct SliceDatasetOptions: Equatable, Sendable {
    /// Domain A's modality (dataset name under `/cases/<id>/`; configs may write it in any case). Default CT.
    public var modalityA: Modality = .ct
    /// Domain B's modality. Default T1.
    public var modalityB: Modality = .t1
    /// Paired (same case and slice) or unpaired draws. Default paired.
    public var pairing: SlicePairing = .paired
    /// A's normalisation; nil (`method: standard` in configs) takes `IntensityNormalization.standard(for: modalityA)`.
    public var normalizationA: IntensityNormalization? = nil
    /// B's normalisation; nil (`method: standard`) takes `IntensityNormalization.standard(for: modalityB)`.
    public var normalizationB: IntensityNormalization? = nil
    /// The share of source cases held out for validation, 0 ≤ f < 1 (default 0.2; at least one case when > 0,
    /// always at least one training case). 0 holds out nothing.
    public var validationFraction: Double = 0.2
    /// The seed of the case split (default 0). Separate from the sampling generator so runs with different
    /// training seeds validate on the same held-out cases.
    public var splitSeed: UInt64 = 0
    /// The side of the random square crop of training slices; nil (default; 0 in configs) uses whole slices.
    public var cropSize: Int? = nil
    /// Random horizontal (left–right, width axis) flips with probability ½. Default true.
    public var randomFlip: Bool = true
    /// Where the foreground comes from for skipping nearly empty slices. Default labels.
    public var foregroundSource: ForegroundSource = .labels
    /// Slices whose foreground fraction is below this are skipped, in training and validation (default 0.05;
    /// 0 keeps every slice).
    public var minimumForegroundFraction: Double = 0.05
    /// With `foregroundSource: intensity`, a voxel is foreground when its normalised value exceeds this
    /// (default −0.9: 5 % of A's window above its lower bound — above air on CT, above background noise on MR).
    public var intensityForegroundLevel: Double = -0.9
    /// Samples per training batch (default 1, the reference's `batch_size`).
    public var batchSize: Int = 1
    /// Validation slices: nil (default; 0 in configs) all eligible held-out slices; N: N of them, evenly spaced
    /// over the ordered list (file, case, slice), the same every time.
    public var validationSlices: Int? = nil
    /// Whole validation slices (default) or centre crops of `cropSize`.
    public var validationCrop: ValidationCrop = .full

    /// The defaults.
    public init() {}

    /// Options for a pair of modalities with the other settings at their defaults.
    public init(modalityA: Modality, modalityB: Modality, pairing: SlicePairing = .paired) {
        self.modalityA = modalityA
        self.modalityB = modalityB
        self.pairing = pairing
    }

    /// A's normalisation: `normalizationA` or the modality's standard one.
    public var resolvedNormalizationA: IntensityNormalization {
        normalizationA ?? .standard(for: modalityA)
    }

    /// B's normalisation: `normalizationB` or the modality's standard one.
    public var resolvedNormalizationB: IntensityNormalization {
        normalizationB ?? .standard(for: modalityB)
    }

    /// Checks every value.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the option and quoting the value.
    public func validate() throws {
        for (key, m) in [("modalityA", modalityA), ("modalityB", modalityB)] where m == .label || m == .unknown {
            throw MedSynthError(.invalidArgument, key, "is '\(m.rawValue)'; expected an image modality: CT, T1, T2, FLAIR or PET")
        }
        guard modalityA != modalityB else {
            throw MedSynthError(.invalidArgument, "modalityB", "is '\(modalityB.rawValue)', the same as modalityA; expected two different modalities")
        }
        try resolvedNormalizationA.validate(subject: "normalizationA")
        try resolvedNormalizationB.validate(subject: "normalizationB")
        guard validationFraction.isFinite, validationFraction >= 0, validationFraction < 1 else {
            throw MedSynthError(.invalidArgument, "validationFraction", "is \(validationFraction); expected 0 <= fraction < 1")
        }
        if let c = cropSize, c < 1 {
            throw MedSynthError(.invalidArgument, "cropSize", "is \(c); expected a positive side in voxels, or 0 (nil) for whole slices")
        }
        guard minimumForegroundFraction.isFinite, (0...1).contains(minimumForegroundFraction) else {
            throw MedSynthError(.invalidArgument, "minimumForegroundFraction", "is \(minimumForegroundFraction); expected a fraction in 0...1")
        }
        guard intensityForegroundLevel.isFinite, (-1..<1).contains(intensityForegroundLevel) else {
            throw MedSynthError(.invalidArgument, "intensityForegroundLevel", "is \(intensityForegroundLevel); expected a normalised level in [-1, 1)")
        }
        guard batchSize >= 1 else {
            throw MedSynthError(.invalidArgument, "batchSize", "is \(batchSize); expected at least 1")
        }
        if let n = validationSlices, n < 1 {
            throw MedSynthError(.invalidArgument, "validationSlices", "is \(n); expected at least 1, or 0 (nil) for every held-out slice")
        }
    }
}

extension SliceDatasetOptions: Codable {
    /// Decodes a map of options; missing keys keep their defaults. In this form, as in `encode(to:)`,
    /// `cropSize: 0` means whole slices, `validationSlices: 0` every held-out slice, and a normalisation with
    /// `method: standard` the modality's standard rule (nil in Swift).
    /// - Throws: `MedSynthError(.invalidArgument)` naming the dotted path of an unknown key or a bad value.
    public init(from decoder: Decoder) throws {
        let r = try StrictKeyReader(decoder, what: "the data options")
        let d = SliceDatasetOptions()
        modalityA = try r.modality("modalityA", default: d.modalityA)
        modalityB = try r.modality("modalityB", default: d.modalityB)
        pairing = try r.value("pairing", default: d.pairing)
        normalizationA = try r.nested("normalizationA") { try IntensityNormalization.decodeSetting($0, allowStandard: true) } ?? nil
        normalizationB = try r.nested("normalizationB") { try IntensityNormalization.decodeSetting($0, allowStandard: true) } ?? nil
        validationFraction = try r.value("validationFraction", default: d.validationFraction)
        splitSeed = try r.value("splitSeed", default: d.splitSeed)
        let crop = try r.value("cropSize", default: 0)
        cropSize = crop == 0 ? nil : crop
        randomFlip = try r.value("randomFlip", default: d.randomFlip)
        foregroundSource = try r.value("foregroundSource", default: d.foregroundSource)
        minimumForegroundFraction = try r.value("minimumForegroundFraction", default: d.minimumForegroundFraction)
        intensityForegroundLevel = try r.value("intensityForegroundLevel", default: d.intensityForegroundLevel)
        batchSize = try r.value("batchSize", default: d.batchSize)
        let slices = try r.value("validationSlices", default: 0)
        validationSlices = slices == 0 ? nil : slices
        validationCrop = try r.value("validationCrop", default: d.validationCrop)
        try r.finish()
        try r.checking { try validate() }
    }

    private enum CodingKeys: String, CodingKey {
        case modalityA, modalityB, pairing, normalizationA, normalizationB, validationFraction, splitSeed, cropSize,
             randomFlip, foregroundSource, minimumForegroundFraction, intensityForegroundLevel, batchSize,
             validationSlices, validationCrop
    }

    /// Encodes every option, none left out (a run configuration's defaults must list every key): nil sizes as
    /// 0 and nil normalisations as `method: standard`, so decoding gives back equal options. (The windows a
    /// run actually used are `SliceDataset`'s mappings, which the run saves.)
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modalityA, forKey: .modalityA)
        try c.encode(modalityB, forKey: .modalityB)
        try c.encode(pairing, forKey: .pairing)
        try IntensityNormalization.encodeSetting(normalizationA, to: c.superEncoder(forKey: .normalizationA))
        try IntensityNormalization.encodeSetting(normalizationB, to: c.superEncoder(forKey: .normalizationB))
        try c.encode(validationFraction, forKey: .validationFraction)
        try c.encode(splitSeed, forKey: .splitSeed)
        try c.encode(cropSize ?? 0, forKey: .cropSize)
        try c.encode(randomFlip, forKey: .randomFlip)
        try c.encode(foregroundSource, forKey: .foregroundSource)
        try c.encode(minimumForegroundFraction, forKey: .minimumForegroundFraction)
        try c.encode(intensityForegroundLevel, forKey: .intensityForegroundLevel)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(validationSlices ?? 0, forKey: .validationSlices)
        try c.encode(validationCrop, forKey: .validationCrop)
    }
}

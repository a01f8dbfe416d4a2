import MedIO

/// The arms of the experiment. (a)–(d) and (f) segment `segmenter.modality` (FLAIR by default) and differ only in
/// their training data; the three (e) arms segment the cross-modality target.
public enum ValidationArm: String, Codable, Sendable, CaseIterable {
    /// (a) the few real labelled cases only — the baseline of (b)–(d) and (f).
    case real = "a-real"
    /// (b) (a) + augmented copies of the real cases, made before training (offline).
    case augment = "b-augment"
    /// (b2) (a) with every training patch augmented as it is drawn (on the fly, nnU-Net style).
    case onlineAugment = "b2-online-augment"
    /// (c) (a) + healthy cases with synthetic lesions.
    case syntheticLesions = "c-synthetic-lesions"
    /// (d) (a) + healthy cases with lesions transplanted from the real cases (CarveMix).
    case carveMix = "d-carvemix"
    /// (f) (a) + domain-randomised copies of the real cases (SynthSeg-style).
    case domainRandomised = "f-domain-randomised"
    /// (e) source images translated to the target modality, with the source's labels.
    case translated = "e-translated"
    /// (e, domain gap) trained on the source images directly, applied to target images.
    case sourceDirect = "e-source-direct"
    /// (e, ceiling) trained on real target images with their labels.
    case targetReal = "e-target-real"

    /// The arm's short tag as the report writes it: (a), (b), (b2), …, (e), (e gap), (e ceiling).
    public var tag: String {
        switch self {
        case .real: return "(a)"
        case .augment: return "(b)"
        case .onlineAugment: return "(b2)"
        case .syntheticLesions: return "(c)"
        case .carveMix: return "(d)"
        case .domainRandomised: return "(f)"
        case .translated: return "(e)"
        case .sourceDirect: return "(e gap)"
        case .targetReal: return "(e ceiling)"
        }
    }

    /// The arm whose scores it is compared with by the paired test (at the same cohort size).
    public var baseline: ValidationArm? {
        switch self {
        case .real, .targetReal: return nil
        case .augment, .onlineAugment, .syntheticLesions, .carveMix, .domainRandomised: return .real
        case .translated, .sourceDirect: return .targetReal
        }
    }

    /// Whether the arm belongs to the cross-modality group (tested on the target modality, at one cohort size).
    public var isCrossModality: Bool { self == .translated || self == .sourceDirect || self == .targetReal }

    /// Whether the arm trains on cases besides the real cohort (then `realFraction` of each batch is real).
    public var addsCases: Bool {
        switch self {
        case .augment, .syntheticLesions, .carveMix, .domainRandomised: return true
        case .real, .onlineAugment, .translated, .sourceDirect, .targetReal: return false
        }
    }

    /// The arms a configuration runs, in report order.
    public static func enabled(in c: ValidationExperimentConfig) -> [ValidationArm] {
        allCases.filter { arm in
            switch arm {
            case .real: return true
            case .augment: return c.arms.augment.enabled
            case .onlineAugment: return c.arms.onlineAugment.enabled
            case .syntheticLesions: return c.arms.syntheticLesions.enabled
            case .carveMix: return c.arms.carveMix.enabled
            case .domainRandomised: return c.arms.domainRandomisation.enabled
            case .translated, .sourceDirect, .targetReal: return c.arms.crossModality.enabled
            }
        }
    }

    /// The cohort sizes the arm is trained at: every size, or the cross-modality size.
    public func cohortSizes(_ c: ValidationExperimentConfig) -> [Int] {
        isCrossModality ? [c.crossModalityCohortSize] : c.data.cohortSizes
    }

    /// A one-line description with the configuration's numbers, without the cohort size.
    public func title(_ c: ValidationExperimentConfig) -> String {
        let d = c.data, a = c.arms, x = c.arms.crossModality
        let m = c.segmenter.modality
        switch self {
        case .real: return "\(tag) real \(m) cases only\(d.lesionType.isEmpty ? "" : " (\(d.lesionType) lesions)")"
        case .augment: return "\(tag) real + \(a.augment.perCase) offline augmented copies per case (\(a.augment.pipeline))"
        case .onlineAugment: return "\(tag) real, patches augmented on the fly (\(a.onlineAugment.pipeline))"
        case .syntheticLesions:
            let type = a.syntheticLesions.type.isEmpty ? "" : " \(a.syntheticLesions.type)"
            return "\(tag) real + \(d.healthyCases) healthy cases with synthetic\(type) lesions (\(a.syntheticLesions.method.rawValue))"
        case .carveMix: return "\(tag) real + \(d.healthyCases) healthy cases with CarveMix transplants from the real cases"
        case .domainRandomised: return "\(tag) real + \(a.domainRandomisation.perCase) domain-randomised copies per case"
        case .translated:
            return "\(tag) \(x.target) segmenter trained on \(x.source) translated to \(x.target)\(d.lesionType.isEmpty ? "" : " (\(d.lesionType) lesions)")"
        case .sourceDirect: return "\(tag) \(x.target) segmenter trained on \(x.source) directly"
        case .targetReal:
            let same = Modality(name: x.target) == Modality(name: m)
            return "\(tag) \(x.target) segmenter trained on real \(x.target)\(same ? " (= arm (a))" : "")"
        }
    }
}

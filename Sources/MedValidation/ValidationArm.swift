import MedIO

/// The arms of the experiment. (a)–(d) segment `segmenter.modality` (FLAIR by default) and differ only in their
/// training data; the three (e) arms segment the cross-modality target (T1 by default).
public enum ValidationArm: String, Codable, Sendable, CaseIterable {
    /// (a) the few real labelled cases only — the baseline of (b)–(d).
    case real = "a-real"
    /// (b) (a) + augmented copies of the real cases.
    case augment = "b-augment"
    /// (c) (a) + healthy cases with synthetic lesions.
    case syntheticLesions = "c-synthetic-lesions"
    /// (d) (a) + healthy cases with lesions transplanted from the real cases (CarveMix).
    case carveMix = "d-carvemix"
    /// (e) source images translated to the target modality, with the source's labels.
    case translated = "e-translated"
    /// (e, domain gap) trained on the source images directly, applied to target images.
    case sourceDirect = "e-source-direct"
    /// (e, ceiling) trained on real target images with their labels.
    case targetReal = "e-target-real"

    /// The arm's short tag as the report writes it: (a), (b), …, (e), (e gap), (e ceiling).
    public var tag: String {
        switch self {
        case .real: return "(a)"
        case .augment: return "(b)"
        case .syntheticLesions: return "(c)"
        case .carveMix: return "(d)"
        case .translated: return "(e)"
        case .sourceDirect: return "(e gap)"
        case .targetReal: return "(e ceiling)"
        }
    }

    /// The arm whose scores it is compared with by the paired test.
    public var baseline: ValidationArm? {
        switch self {
        case .real, .targetReal: return nil
        case .augment, .syntheticLesions, .carveMix: return .real
        case .translated, .sourceDirect: return .targetReal
        }
    }

    /// Whether the arm belongs to the cross-modality group (tested on the target modality).
    public var isCrossModality: Bool { self == .translated || self == .sourceDirect || self == .targetReal }

    /// The arms a configuration runs, in report order.
    public static func enabled(in c: ValidationExperimentConfig) -> [ValidationArm] {
        allCases.filter { arm in
            switch arm {
            case .real: return true
            case .augment: return c.arms.augment.enabled
            case .syntheticLesions: return c.arms.syntheticLesions.enabled
            case .carveMix: return c.arms.carveMix.enabled
            case .translated, .sourceDirect, .targetReal: return c.arms.crossModality.enabled
            }
        }
    }

    /// A one-line description with the configuration's numbers.
    public func title(_ c: ValidationExperimentConfig) -> String {
        let d = c.data, a = c.arms, x = c.arms.crossModality
        let m = c.segmenter.modality
        switch self {
        case .real: return "\(tag) \(d.realCases) real \(m) cases only"
        case .augment: return "\(tag) real + \(d.realCases * a.augment.perCase) augmented copies (\(a.augment.pipeline))"
        case .syntheticLesions: return "\(tag) real + \(d.healthyCases) healthy cases with synthetic lesions (\(a.syntheticLesions.method.rawValue))"
        case .carveMix: return "\(tag) real + \(d.healthyCases) healthy cases with CarveMix transplants from the real cases"
        case .translated: return "\(tag) \(x.target) segmenter trained on \(x.source) translated to \(x.target)"
        case .sourceDirect: return "\(tag) \(x.target) segmenter trained on \(x.source) directly"
        case .targetReal:
            let same = Modality(name: x.target) == Modality(name: m)
            return "\(tag) \(x.target) segmenter trained on real \(x.target)\(same ? " (= arm (a))" : "")"
        }
    }
}

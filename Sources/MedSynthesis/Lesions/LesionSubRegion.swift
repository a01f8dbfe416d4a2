/// The parts of a synthetic lesion and the label values they write.
///
/// | label | part | BraTS 2023 equivalent |
/// |---|---|---|
/// | 10 | lesion without sub-regions (`Tissue.lesion`) | whole tumour |
/// | 11 | necrotic core | NCR (1) |
/// | 12 | surrounding oedema | ED (2) |
/// | 13 | enhancing rim | ET (3) |
///
/// Label − 10 is the BraTS 2023 label for the sub-regions; every lesion label is ≥ 10, so `label >= 10` selects
/// whole lesions in any MedSynth label map (tissues are 0–9).
public enum LesionSubRegion: String, Codable, CaseIterable, Sendable, Comparable {
    /// A lesion drawn without sub-regions (label 10).
    case whole = "lesion"
    /// Necrotic core (label 11).
    case necroticCore = "necrotic_core"
    /// Oedema around the tumour core (label 12).
    case oedema = "oedema"
    /// Enhancing rim between the necrotic core and the oedema (label 13).
    case enhancingRim = "enhancing_rim"

    /// The label value written into label maps.
    public var label: Int {
        switch self {
        case .whole: return 10
        case .necroticCore: return 11
        case .oedema: return 12
        case .enhancingRim: return 13
        }
    }

    /// Every label a lesion may write.
    public static let labels: ClosedRange<Int> = 10...13

    /// True when a label-map value belongs to a lesion (10…13).
    @inline(__always)
    public static func isLesionLabel(_ value: Float) -> Bool { value >= 9.5 && value < 13.5 }

    /// The part a label value stands for, nil for tissue labels.
    public init?(label: Int) {
        guard let r = LesionSubRegion.allCases.first(where: { $0.label == label }) else { return nil }
        self = r
    }

    /// Orders by label value.
    public static func < (lhs: LesionSubRegion, rhs: LesionSubRegion) -> Bool { lhs.label < rhs.label }
}

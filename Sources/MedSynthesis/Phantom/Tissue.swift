/// The tissue classes of the head phantom. Raw values are the label values written into label maps; they are
/// stable across versions (new classes get new numbers, existing numbers never change meaning).
///
/// | label | tissue |
/// |---|---|
/// | 0 | background (air) |
/// | 1 | skin and scalp soft tissue |
/// | 2 | subcutaneous fat |
/// | 3 | cortical bone (outer and inner tables of the skull) |
/// | 4 | diploë (cancellous bone with marrow between the tables) |
/// | 5 | CSF in the subarachnoid space, sulci and interhemispheric fissure |
/// | 6 | ventricles (lateral and third) |
/// | 7 | cortical grey matter |
/// | 8 | white matter |
/// | 9 | deep grey nuclei (thalamus, caudate, putamen) |
/// | 10 | lesion (reserved: the phantom itself never draws it; see `PhantomInclusion`) |
public enum Tissue: Int, CaseIterable, Codable, Sendable, Comparable, CustomStringConvertible {
    /// Air outside the head (label 0).
    case background = 0
    /// Skin and other scalp soft tissue (label 1).
    case skin = 1
    /// Subcutaneous fat of the scalp (label 2).
    case fat = 2
    /// Compact (cortical) bone of the outer and inner skull tables (label 3).
    case corticalBone = 3
    /// Diploë: cancellous bone and marrow between the skull tables (label 4).
    case diploe = 4
    /// Cerebrospinal fluid outside the ventricles: subarachnoid space, sulci, fissure (label 5).
    case csf = 5
    /// Cerebrospinal fluid in the lateral and third ventricles (label 6).
    case ventricles = 6
    /// Cortical grey matter (label 7).
    case greyMatter = 7
    /// Cerebral white matter, including the corpus callosum (label 8).
    case whiteMatter = 8
    /// Deep grey nuclei: thalami, caudate nuclei, putamina (label 9).
    case deepGreyMatter = 9
    /// Reserved for lesions added through `PhantomInclusion` (label 10).
    case lesion = 10

    /// The label value as written into label-map volumes.
    public var label: Float { Float(rawValue) }

    /// The classes the anatomy model itself produces (every class except `lesion`).
    public static let anatomical: [Tissue] = allCases.filter { $0 != .lesion }

    /// A short snake_case name, used as a key in documents and provenance ("white_matter").
    public var name: String {
        switch self {
        case .background: return "background"
        case .skin: return "skin"
        case .fat: return "fat"
        case .corticalBone: return "cortical_bone"
        case .diploe: return "diploe"
        case .csf: return "csf"
        case .ventricles: return "ventricles"
        case .greyMatter: return "grey_matter"
        case .whiteMatter: return "white_matter"
        case .deepGreyMatter: return "deep_grey_matter"
        case .lesion: return "lesion"
        }
    }

    /// The snake_case name (`name`).
    public var description: String { name }

    /// Orders tissues by label value.
    public static func < (lhs: Tissue, rhs: Tissue) -> Bool { lhs.rawValue < rhs.rawValue }
}

import MedCore

/// A named lesion type (`--lesion-type`, `type:` in the validation experiment's lesion arm): size, shape, parts,
/// per-part appearance ranges and internal heterogeneity, set on `LesionSettings` by `apply(to:)`. Values and their
/// sources: docs/TISSUE_PARAMETERS.md, "Lesion types".
///
/// | type | radius median (clamp), mm | shape | parts | heterogeneity |
/// |---|---|---|---|---|
/// | glioma | 14 (6…35) | random field, rough (infiltrative) | oedema, enhancing rim, necrotic core | 0.3 |
/// | metastasis | 6 (2.5…20) | near-spherical ellipsoid | large oedema, enhancing ring, necrotic centre | 0.15 |
/// | haemorrhage | 11 (4…30) | ellipsoid | whole (acute clot) | 0.15 |
/// | infarct | 10 (3…40) | random field | whole | 0.2 |
/// | plaque | 3.5 (1.5…10) | elongated ovoid ellipsoid | whole | 0.1 |
public enum LesionType: String, Codable, CaseIterable, Sendable {
    /// High-grade glioma: infiltrative, with necrotic core, enhancing rim and oedema (labels 11, 13, 12).
    case glioma
    /// Brain metastasis: round, necrotic centre, enhancing ring and disproportionate oedema (labels 11, 13, 12).
    case metastasis
    /// Acute intraparenchymal haemorrhage (label 10): hyperdense on CT, dark on T2/FLAIR.
    case haemorrhage
    /// Ischaemic infarct (label 10): hypodense on CT and T1, bright on T2/FLAIR, cold on PET.
    case infarct
    /// Demyelinating (MS) plaque (label 10): ovoid, bright on T2/FLAIR, near isodense on CT.
    case plaque

    /// Other accepted spellings (lower case, `_` read as `-`).
    public static let aliases: [String: LesionType] = [
        "hemorrhage": .haemorrhage, "acute-haemorrhage": .haemorrhage, "acute-hemorrhage": .haemorrhage,
        "ich": .haemorrhage, "stroke": .infarct, "ischemic-infarct": .infarct, "ischaemic-infarct": .infarct,
        "ms-plaque": .plaque, "ms": .plaque, "demyelinating-plaque": .plaque, "glioblastoma": .glioma, "gbm": .glioma,
        "metastases": .metastasis, "met": .metastasis,
    ]

    /// The type named `name` (case-insensitive; a name or an alias).
    /// - Parameter subject: names the setting in the error (`--lesion-type`, `arms.syntheticLesions.type`).
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the name and listing the valid names and aliases.
    public init(name: String, subject: String = "--lesion-type") throws {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-")
        if let t = LesionType(rawValue: key) ?? Self.aliases[key] {
            self = t
            return
        }
        throw MedSynthError(.invalidArgument, subject,
                            "'\(name)' is not a lesion type; expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")) (aliases: \(Self.aliases.keys.sorted().joined(separator: ", ")))")
    }

    /// Sets `settings` to this type: `type`, the radius distribution, shape families and their irregularity,
    /// sub-regions and their extents, the parts' appearance ranges and the heterogeneity amplitude. Count,
    /// placement, edge width and visibility are left as they are.
    public func apply(to settings: inout LesionSettings) {
        settings.type = self
        settings.radiusLogSigma = 0.4
        settings.subRegions = false
        switch self {
        case .glioma:
            setRadius(14, 6...35, on: &settings)
            settings.shapeKinds = [.randomField]
            settings.fieldRoughness = 0.25...0.4
            settings.subRegions = true
            settings.necroticFraction = 0.3...0.6
            settings.oedemaMargin = 0.5...1.2
            settings.oedemaAppearance = .oedema
            settings.enhancingAppearance = .enhancingRim
            settings.necroticAppearance = .necroticCore
            settings.heterogeneityAmplitude = 0.3
        case .metastasis:
            setRadius(6, 2.5...20, on: &settings)
            settings.shapeKinds = [.perturbedEllipsoid]
            settings.ellipsoidAxisFactor = 0.85...1.15
            settings.surfacePerturbation = 0.02...0.08
            settings.subRegions = true
            settings.necroticFraction = 0.2...0.5
            settings.oedemaMargin = 1.0...2.5
            settings.oedemaAppearance = .metastasisOedema
            settings.enhancingAppearance = .metastasisRim
            settings.necroticAppearance = .necroticCore
            settings.heterogeneityAmplitude = 0.15
        case .haemorrhage:
            setRadius(11, 4...30, on: &settings)
            settings.shapeKinds = [.perturbedEllipsoid]
            settings.ellipsoidAxisFactor = 0.75...1.3
            settings.surfacePerturbation = 0.05...0.15
            settings.wholeAppearance = .acuteHaemorrhage
            settings.heterogeneityAmplitude = 0.15
        case .infarct:
            setRadius(10, 3...40, on: &settings)
            settings.shapeKinds = [.randomField]
            settings.fieldRoughness = 0.15...0.3
            settings.wholeAppearance = .infarct
            settings.heterogeneityAmplitude = 0.2
        case .plaque:
            setRadius(3.5, 1.5...10, on: &settings)
            settings.shapeKinds = [.perturbedEllipsoid]
            settings.ellipsoidAxisFactor = 0.6...1.6
            settings.surfacePerturbation = 0.02...0.1
            settings.wholeAppearance = .demyelinatingPlaque
            settings.heterogeneityAmplitude = 0.1
        }
    }

    /// The settings of this type on top of the defaults.
    public var settings: LesionSettings {
        var s = LesionSettings()
        apply(to: &s)
        return s
    }

    private func setRadius(_ median: Double, _ range: ClosedRange<Double>, on settings: inout LesionSettings) {
        settings.radiusMedianMM = median
        settings.radiusRangeMM = range
    }
}

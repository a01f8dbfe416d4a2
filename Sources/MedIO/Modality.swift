/// The imaging modality a volume holds. Raw values are the names used in files (HDF5 dataset names and attributes,
/// PNG text). The list is open: besides the built-in modalities below, any MR contrast name (T1ce, PD, DWI, ADC, …)
/// is a modality of its own (`init?(contrastName:)`), as users' cohorts hold them.
public struct Modality: RawRepresentable, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The name as written in files.
    public let rawValue: String

    /// A modality named `rawValue` exactly as given (no checks; files written by MedSynth hold valid names).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Computed tomography, in Hounsfield units.
    public static let ct = Modality(rawValue: "CT")
    /// T1-weighted MR.
    public static let t1 = Modality(rawValue: "T1")
    /// T2-weighted MR.
    public static let t2 = Modality(rawValue: "T2")
    /// Fluid-attenuated inversion recovery MR.
    public static let flair = Modality(rawValue: "FLAIR")
    /// Positron emission tomography, in standardised uptake values.
    public static let pet = Modality(rawValue: "PET")
    /// An integer label map (segmentation).
    public static let label = Modality(rawValue: "label")
    /// Unknown: a file that does not say (most NIfTI and PNG files from other tools).
    public static let unknown = Modality(rawValue: "unknown")

    /// The floor of stored CT: air, −1024 HU (the lowest value of 12-bit CT with the usual intercept). The phantom
    /// clamps to it, lesions and resampling fill with it, and the standard CT windows start at it.
    public static let ctFloorHU: Double = -1024

    /// The value where nothing was imaged: `ctFloorHU` for CT, 0 for every other modality.
    public var background: Float { self == .ct ? Float(Self.ctFloorHU) : 0 }

    /// The built-in modalities (the phantom renders all but `unknown`).
    public static let allCases: [Modality] = [.ct, .t1, .t2, .flair, .pet, .label, .unknown]

    public var description: String { rawValue }

    /// Decodes a name that `init?(contrastName:)` accepts (configs, provenance); other text is a decoding error.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let m = Modality(contrastName: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription:
                "'\(name)' is not a modality: CT, T1, T2, FLAIR, PET, label, unknown, or an MR contrast name (a letter, then letters, digits, '-', '_')")
        }
        self = m
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// True for MR contrasts: T1, T2, FLAIR and every name that is not built in.
    public var isMRContrast: Bool { !Modality.allCases.contains(self) || self == .t1 || self == .t2 || self == .flair }

    /// The unit a volume of this modality is stored in by default.
    public var defaultUnit: IntensityUnit {
        switch self {
        case .ct: return .hounsfield
        case .pet: return .suv
        case .label: return .label
        default: return .arbitrary
        }
    }

    /// Parses a built-in modality name case-insensitively ("ct", "Flair", "LABEL"); nil for any other name.
    public init?(name: String) {
        let lowered = name.lowercased()
        guard let m = Modality.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = m
    }

    /// A built-in modality (case-insensitively) or another MR contrast named `name` as written (T1ce, PD, DWI,
    /// ADC…): a letter, then up to 31 letters, digits, '-' or '_'. Nil for names that cannot be a dataset name.
    public init?(contrastName name: String) {
        if let m = Modality(name: name) {
            self = m
            return
        }
        func letter(_ c: Unicode.Scalar) -> Bool { ("A"..."Z").contains(c) || ("a"..."z").contains(c) }
        guard let first = name.unicodeScalars.first, letter(first), name.unicodeScalars.count <= 32,
              name.unicodeScalars.allSatisfy({ letter($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
        else { return nil }
        self.init(rawValue: name)
    }
}

/// The physical unit of voxel values.
public enum IntensityUnit: String, CaseIterable, Codable, Sendable {
    /// Hounsfield units (CT): water 0, air −1000.
    case hounsfield = "HU"
    /// Arbitrary units (MR signal).
    case arbitrary = "arbitrary"
    /// Standardised uptake value (PET).
    case suv = "SUV"
    /// Integer class labels.
    case label = "label"

    /// Parses a unit name case-insensitively ("hu", "SUV").
    public init?(name: String) {
        let lowered = name.lowercased()
        guard let u = IntensityUnit.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = u
    }
}

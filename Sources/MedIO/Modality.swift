/// The imaging modality a volume holds. Raw values are the names used in files (HDF5 attributes, PNG text).
public enum Modality: String, CaseIterable, Codable, Sendable {
    /// Computed tomography, in Hounsfield units.
    case ct = "CT"
    /// T1-weighted MR.
    case t1 = "T1"
    /// T2-weighted MR.
    case t2 = "T2"
    /// Fluid-attenuated inversion recovery MR.
    case flair = "FLAIR"
    /// Positron emission tomography, in standardised uptake values.
    case pet = "PET"
    /// An integer label map (segmentation).
    case label = "label"
    /// Unknown: a file that does not say (most NIfTI and PNG files from other tools).
    case unknown = "unknown"

    /// The unit a volume of this modality is stored in by default.
    public var defaultUnit: IntensityUnit {
        switch self {
        case .ct: return .hounsfield
        case .pet: return .suv
        case .label: return .label
        case .t1, .t2, .flair, .unknown: return .arbitrary
        }
    }

    /// Parses a modality name case-insensitively ("ct", "Flair", "LABEL").
    public init?(name: String) {
        let lowered = name.lowercased()
        guard let m = Modality.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = m
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

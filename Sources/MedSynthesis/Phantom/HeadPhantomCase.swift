import MedIO

/// One rendered phantom case: a label map and co-registered CT, T1w, T2w, FLAIR and PET volumes on the same grid
/// (identical shape and affine), with the parameters that produced them.
public struct HeadPhantomCase: Sendable {
    /// Tissue labels (`Tissue.rawValue` as Float), modality `.label`.
    public var labels: Volume
    /// CT in Hounsfield units.
    public var ct: Volume
    /// T1-weighted spin echo, arbitrary units.
    public var t1: Volume
    /// T2-weighted spin echo, arbitrary units.
    public var t2: Volume
    /// FLAIR (inversion recovery, CSF nulled), arbitrary units.
    public var flair: Volume
    /// FDG PET in SUV.
    public var pet: Volume
    /// The drawn parameters (for provenance and re-rendering).
    public var parameters: HeadPhantomCaseParameters

    /// Creates a case.
    public init(labels: Volume, ct: Volume, t1: Volume, t2: Volume, flair: Volume, pet: Volume,
                parameters: HeadPhantomCaseParameters) {
        self.labels = labels
        self.ct = ct
        self.t1 = t1
        self.t2 = t2
        self.flair = flair
        self.pet = pet
        self.parameters = parameters
    }

    /// The volume of a modality (`.label` gives the label map); nil for `.unknown`.
    public subscript(modality: Modality) -> Volume? {
        switch modality {
        case .label: return labels
        case .ct: return ct
        case .t1: return t1
        case .t2: return t2
        case .flair: return flair
        case .pet: return pet
        default: return nil
        }
    }

    /// All six volumes, label map first.
    public var volumes: [Volume] { [labels, ct, t1, t2, flair, pet] }
}

import MedCore
import MedIO

/// The appearance of one lesion part relative to the tissue it grows in (the host, white matter by default).
///
/// One set of physical knobs serves every modality: CT and PET change directly (ΔHU, uptake ratio), MR through
/// relaxation: a longer T1 darkens T1w, a longer T2 brightens T2w and FLAIR, and a shorter T1 (gadolinium) makes
/// an enhancing rim bright on T1w. In a phantom these become the inclusion's `TissueProperties`, rendered with the
/// case's sequences; in a user's volume the same values give the relative MR contrast the phantom's default 3 T
/// sequences would show against white matter (`intensityChange`).
public struct LesionAppearance: Codable, Sendable, Equatable {
    /// CT attenuation change in HU (negative: hypodense, positive: hyperdense).
    public var ctDeltaHU: Double
    /// Proton density multiplier (oedema holds more water: > 1).
    public var protonDensityFactor: Double
    /// T1 multiplier (> 1: hypointense on T1w; < 1: enhancing).
    public var t1Factor: Double
    /// T2 multiplier (> 1: hyperintense on T2w and FLAIR).
    public var t2Factor: Double
    /// FDG uptake relative to the host (> 1: hot, < 1: cold).
    public var suvRatio: Double

    /// Creates an appearance.
    public init(ctDeltaHU: Double, protonDensityFactor: Double, t1Factor: Double, t2Factor: Double, suvRatio: Double) {
        self.ctDeltaHU = ctDeltaHU
        self.protonDensityFactor = protonDensityFactor
        self.t1Factor = t1Factor
        self.t2Factor = t2Factor
        self.suvRatio = suvRatio
    }

    /// The lesion part's tissue properties, given the host's (for a `PhantomInclusion`). Proton density is capped
    /// at 1.5 and attenuation floored at −1024 HU, the limits `TissueProperties.validate` accepts.
    public func properties(relativeTo host: TissueProperties) -> TissueProperties {
        TissueProperties(ctHU: max(Modality.ctFloorHU, host.ctHU + ctDeltaHU),
                         protonDensity: min(1.5, host.protonDensity * protonDensityFactor),
                         t1MS: host.t1MS * t1Factor, t2MS: host.t2MS * t2Factor, suv: host.suv * suvRatio)
    }

    /// The change to add, at full lesion coverage, to a voxel of `modality` in a user's image whose host tissue
    /// has mean intensity `hostMean` there: CT ΔHU; PET (ratio − 1)·mean; T1/T2/FLAIR (S_lesion/S_host − 1)·mean
    /// with S the signal equations of `mr` for `host` (white matter by default) and for this part.
    /// - Returns: nil for modalities without an appearance (label, unknown).
    public func intensityChange(for modality: Modality, hostMean: Double,
                                host: TissueProperties = LesionAppearance.referenceHost,
                                mr: MRAcquisitionSettings = MRAcquisitionSettings()) -> Double? {
        switch modality {
        case .ct: return ctDeltaHU
        case .pet: return (suvRatio - 1) * hostMean
        case .t1, .t2, .flair:
            return (relativeMRContrast(modality, host: host, mr: mr) ?? 0) * hostMean
        default: return nil  // label, unknown, and MR contrasts the phantom does not model
        }
    }

    /// S_lesion / S_host − 1 for a T1w, T2w or FLAIR sequence of `mr` (FLAIR's TI nulls the reference CSF).
    public func relativeMRContrast(_ modality: Modality, host: TissueProperties = LesionAppearance.referenceHost,
                                   mr: MRAcquisitionSettings = MRAcquisitionSettings()) -> Double? {
        let lesion = properties(relativeTo: host)
        func signal(_ p: TissueProperties) -> Double? {
            switch modality {
            case .t1: return MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: mr.t1Weighted)
            case .t2: return MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: mr.t2Weighted)
            case .flair:
                let csf = TissueParameterTable.literature3T[.csf].midpoint
                let ti = mr.flair.inversionTimeMS
                    ?? MRSignalModel.nullingInversionTimeMS(t1MS: csf.t1MS, repetitionTimeMS: mr.flair.repetitionTimeMS)
                return MRSignalModel.inversionRecovery(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS,
                                                       repetitionTimeMS: mr.flair.repetitionTimeMS,
                                                       echoTimeMS: mr.flair.echoTimeMS, inversionTimeMS: ti)
            default: return nil
            }
        }
        guard let s = signal(lesion), let h = signal(host), h > 0 else { return nil }
        return s / h - 1
    }

    /// The host used for user volumes: the middle of the 3 T white-matter ranges.
    public static let referenceHost = TissueParameterTable.literature3T[.whiteMatter].midpoint
}

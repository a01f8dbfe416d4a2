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
        TissueProperties(ctHU: max(-1024, host.ctHU + ctDeltaHU),
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
        case .label, .unknown: return nil
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

/// The ranges a lesion part's appearance is drawn from (uniformly, in the field order).
///
/// Defaults per part (relative to white matter at 3 T; docs/DATASET_FORMAT.md lists the contrasts they give):
///
/// | part | ΔHU | PD × | T1 × | T2 × | SUV × |
/// |---|---|---|---|---|---|
/// | whole lesion | −12…−4 | 1.05…1.15 | 1.3…1.7 | 1.5…2.5 | 1.5…2.5 (hot) |
/// | oedema | −10…−4 | 1.05…1.12 | 1.2…1.4 | 1.6…2.2 | 0.7…0.9 (cold) |
/// | enhancing rim | +10…+25 | 1.0…1.1 | 0.45…0.65 | 1.2…1.5 | 2.0…3.5 (hot) |
/// | necrotic core | −15…−8 | 1.1…1.25 | 2.0…3.0 | 3.0…5.0 | 0.2…0.5 (cold) |
public struct LesionAppearanceRanges: Codable, Sendable, Equatable {
    /// CT change (HU).
    public var ctDeltaHU: ClosedRange<Double>
    /// Proton density multiplier.
    public var protonDensityFactor: ClosedRange<Double>
    /// T1 multiplier.
    public var t1Factor: ClosedRange<Double>
    /// T2 multiplier.
    public var t2Factor: ClosedRange<Double>
    /// FDG uptake ratio.
    public var suvRatio: ClosedRange<Double>

    /// Creates ranges.
    public init(ctDeltaHU: ClosedRange<Double>, protonDensityFactor: ClosedRange<Double>, t1Factor: ClosedRange<Double>,
                t2Factor: ClosedRange<Double>, suvRatio: ClosedRange<Double>) {
        self.ctDeltaHU = ctDeltaHU
        self.protonDensityFactor = protonDensityFactor
        self.t1Factor = t1Factor
        self.t2Factor = t2Factor
        self.suvRatio = suvRatio
    }

    /// A lesion without sub-regions: hypodense, T1 hypointense, T2/FLAIR hyperintense, PET hot.
    public static let wholeLesion = LesionAppearanceRanges(ctDeltaHU: -12 ... -4, protonDensityFactor: 1.05...1.15,
                                                           t1Factor: 1.3...1.7, t2Factor: 1.5...2.5, suvRatio: 1.5...2.5)
    /// Vasogenic oedema: mildly hypodense, T2/FLAIR bright, slightly hypometabolic.
    public static let oedema = LesionAppearanceRanges(ctDeltaHU: -10 ... -4, protonDensityFactor: 1.05...1.12,
                                                      t1Factor: 1.2...1.4, t2Factor: 1.6...2.2, suvRatio: 0.7...0.9)
    /// Enhancing tumour rim: contrast uptake shortens T1 (bright on T1w) and raises HU; FDG avid.
    public static let enhancingRim = LesionAppearanceRanges(ctDeltaHU: 10...25, protonDensityFactor: 1.0...1.1,
                                                            t1Factor: 0.45...0.65, t2Factor: 1.2...1.5, suvRatio: 2.0...3.5)
    /// Necrotic core: fluid-like, very long T1 and T2, no uptake.
    public static let necroticCore = LesionAppearanceRanges(ctDeltaHU: -15 ... -8, protonDensityFactor: 1.1...1.25,
                                                            t1Factor: 2.0...3.0, t2Factor: 3.0...5.0, suvRatio: 0.2...0.5)

    /// Draws an appearance, one uniform value per field in the order CT, PD, T1, T2, SUV.
    public func draw(using generator: inout SeededGenerator) -> LesionAppearance {
        func pick(_ r: ClosedRange<Double>) -> Double { generator.uniform(r.lowerBound, r.upperBound) }
        let ct = pick(ctDeltaHU), pd = pick(protonDensityFactor), t1 = pick(t1Factor), t2 = pick(t2Factor), suv = pick(suvRatio)
        return LesionAppearance(ctDeltaHU: ct, protonDensityFactor: pd, t1Factor: t1, t2Factor: t2, suvRatio: suv)
    }

    /// Checks the ranges: finite, factors positive, ΔHU within ±2000.
    /// - Parameter subject: names the part in the error.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the bad range.
    public func validate(subject: String) throws {
        let checks: [(String, ClosedRange<Double>, Bool)] = [
            ("ctDeltaHU", ctDeltaHU, ctDeltaHU.lowerBound >= -2000 && ctDeltaHU.upperBound <= 2000),
            ("protonDensityFactor", protonDensityFactor, protonDensityFactor.lowerBound > 0 && protonDensityFactor.upperBound <= 3),
            ("t1Factor", t1Factor, t1Factor.lowerBound > 0 && t1Factor.upperBound <= 20),
            ("t2Factor", t2Factor, t2Factor.lowerBound > 0 && t2Factor.upperBound <= 50),
            ("suvRatio", suvRatio, suvRatio.lowerBound >= 0 && suvRatio.upperBound <= 50),
        ]
        for (name, range, ok) in checks where !ok || !range.lowerBound.isFinite || !range.upperBound.isFinite {
            throw MedSynthError(.invalidArgument, subject, "\(name) is \(range); expected finite values within the documented limits")
        }
    }
}

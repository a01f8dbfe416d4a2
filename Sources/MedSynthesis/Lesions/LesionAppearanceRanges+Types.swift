import MedCore

/// The appearance ranges of the named lesion types (`LesionType`), relative to white matter at 3 T. Sources and
/// which values are modelling choices: docs/TISSUE_PARAMETERS.md, "Lesion types".
///
/// | type, part | ΔHU | PD × | T1 × | T2 × | SUV × |
/// |---|---|---|---|---|---|
/// | metastasis rim | +8…+20 | 1.0…1.1 | 0.5…0.7 | 1.1…1.4 | 1.5…3.0 |
/// | metastasis oedema | −12…−5 | 1.06…1.14 | 1.2…1.45 | 1.7…2.4 | 0.6…0.85 |
/// | acute haemorrhage | +25…+45 | 0.95…1.05 | 1.0…1.15 | 0.4…0.6 | 0.3…0.6 |
/// | infarct | −14…−5 | 1.03…1.10 | 1.3…1.6 | 1.3…1.9 | 0.3…0.7 |
/// | demyelinating plaque | −2…+1 | 1.02…1.08 | 1.05…1.3 | 1.3…1.8 | 0.8…1.0 |
///
/// Glioma uses the default sub-region ranges (`oedema`, `enhancingRim`, `necroticCore`), which describe a
/// high-grade glioma; a metastasis' necrotic centre uses `necroticCore`.
extension LesionAppearanceRanges {
    /// Metastasis, enhancing ring: post-contrast T1 shortening, mildly hyperdense after contrast, FDG avid.
    public static let metastasisRim = LesionAppearanceRanges(ctDeltaHU: 8...20, protonDensityFactor: 1.0...1.1,
                                                             t1Factor: 0.5...0.7, t2Factor: 1.1...1.4, suvRatio: 1.5...3.0)
    /// Metastasis, peritumoural vasogenic oedema (often large for the lesion's size).
    public static let metastasisOedema = LesionAppearanceRanges(ctDeltaHU: -12 ... -5, protonDensityFactor: 1.06...1.14,
                                                                t1Factor: 1.2...1.45, t2Factor: 1.7...2.4, suvRatio: 0.6...0.85)
    /// Acute intraparenchymal haemorrhage (clotted blood, deoxyhaemoglobin, hours to ~3 days): hyperdense on CT,
    /// T1 iso to mildly hypointense, markedly T2/FLAIR hypointense, photopenic on FDG PET.
    public static let acuteHaemorrhage = LesionAppearanceRanges(ctDeltaHU: 25...45, protonDensityFactor: 0.95...1.05,
                                                                t1Factor: 1.0...1.15, t2Factor: 0.4...0.6, suvRatio: 0.3...0.6)
    /// Ischaemic infarct (late acute to subacute, cytotoxic and vasogenic oedema): hypodense on CT, T1
    /// hypointense, T2/FLAIR hyperintense, hypometabolic.
    public static let infarct = LesionAppearanceRanges(ctDeltaHU: -14 ... -5, protonDensityFactor: 1.03...1.10,
                                                       t1Factor: 1.3...1.6, t2Factor: 1.3...1.9, suvRatio: 0.3...0.7)
    /// Demyelinating (MS) plaque: T2/FLAIR hyperintense, T1 iso to hypointense, near isodense on CT (usually
    /// invisible there), mildly hypometabolic at most.
    public static let demyelinatingPlaque = LesionAppearanceRanges(ctDeltaHU: -2...1, protonDensityFactor: 1.02...1.08,
                                                                   t1Factor: 1.05...1.3, t2Factor: 1.3...1.8, suvRatio: 0.8...1.0)
}

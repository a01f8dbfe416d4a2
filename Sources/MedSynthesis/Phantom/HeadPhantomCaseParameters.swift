import MedCore

/// Everything drawn for one phantom case: with the settings it fully determines the rendered volumes, so it is
/// what provenance records. `HeadPhantom.render` re-renders a case from it.
public struct HeadPhantomCaseParameters: Codable, Sendable, Equatable {
    /// The dataset seed the case was drawn from.
    public var seed: UInt64
    /// The case index within the dataset.
    public var index: Int
    /// The anatomy.
    public var anatomy: HeadAnatomyParameters
    /// The drawn properties of every anatomical tissue, indexed by label value (`Tissue.rawValue`).
    public var tissues: [TissueProperties]
    /// The MR receive bias field, shared by T1w, T2w and FLAIR.
    public var biasField: BiasField
    /// The FLAIR inversion time used (ms): the configured one, or the one nulling this case's CSF.
    public var flairInversionTimeMS: Double
    /// Rician σ of the T1w image (image units): the configured fraction of its noise-free WM signal.
    public var t1NoiseSigma: Double
    /// Rician σ of the T2w image (image units).
    public var t2NoiseSigma: Double
    /// Rician σ of the FLAIR image (image units).
    public var flairNoiseSigma: Double
    /// Seed of the per-voxel noise streams (CT, MR and PET noise are split from it per slice).
    public var noiseSeed: UInt64
    /// The case's drawn acquisition (CT noise, MR timings and noise, PET resolution and counts), which rendering
    /// uses in place of the fixed settings; nil for settings without `acquisitionVariation` and for records
    /// written before MedSynth drew it (those cases were rendered with the fixed settings).
    public var acquisition: CaseAcquisition? = nil
    /// The case's template brain (size, deformation, atrophy, ventricles, asymmetry) when the settings draw the
    /// template brain; nil for the procedural brain (and for every record written before the template brain).
    public var templateBrain: TemplateBrainParameters? = nil

    /// The drawn properties of an anatomical tissue.
    /// - Precondition: `tissue != .lesion`.
    public func properties(of tissue: Tissue) -> TissueProperties {
        precondition(tissue.rawValue < tissues.count, "no drawn properties for \(tissue.name)")
        return tissues[tissue.rawValue]
    }

    /// Checks that the record fits the current tissue list.
    /// - Throws: `MedSynthError(.mismatch)` when the tissue count differs; `.invalidArgument` for bad values.
    public func validate() throws {
        guard tissues.count == Tissue.anatomical.count else {
            throw MedSynthError(.mismatch, "case parameters", "have \(tissues.count) tissues; expected \(Tissue.anatomical.count)")
        }
        for (n, t) in tissues.enumerated() { try t.validate(subject: "case parameters tissue \(n)") }
        guard index >= 0 else { throw MedSynthError(.invalidArgument, "case parameters", "index is \(index); expected >= 0") }
        try acquisition?.validate()
        try templateBrain?.validate()
        // A bias field read from a file bypasses `BiasField.init`'s preconditions: check them here.
        guard (0...3).contains(biasField.degree) else {
            throw MedSynthError(.invalidArgument, "case parameters", "bias field degree is \(biasField.degree); expected 0...3")
        }
        let terms = BiasField.exponents(degree: biasField.degree).count
        guard biasField.coefficients.count == terms, biasField.coefficients.allSatisfy(\.isFinite) else {
            throw MedSynthError(.invalidArgument, "case parameters",
                                "bias field of degree \(biasField.degree) has coefficients \(biasField.coefficients); expected \(terms) finite numbers")
        }
    }
}

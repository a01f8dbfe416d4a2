import MedCore

/// The per-case variation of one tissue's properties: each case draws every property uniformly from its range.
///
/// The ranges model between-subject (and between-scanner) variability around literature values, and are kept
/// narrow enough that the contrast orderings the phantom promises (T1w: WM > GM > CSF; T2w: CSF > GM > WM;
/// FLAIR: CSF darkest; CT: bone ≫ soft tissue > fat; PET: GM > WM > CSF) hold for every draw.
public struct TissuePropertyRanges: Codable, Sendable, Equatable {
    /// The tissue these ranges describe.
    public var tissue: Tissue
    /// Mean CT attenuation (HU).
    public var ctHU: ClosedRange<Double>
    /// Proton density relative to water.
    public var protonDensity: ClosedRange<Double>
    /// T1 (ms).
    public var t1MS: ClosedRange<Double>
    /// T2 (ms).
    public var t2MS: ClosedRange<Double>
    /// FDG uptake (SUV).
    public var suv: ClosedRange<Double>

    /// Creates a range set.
    public init(tissue: Tissue, ctHU: ClosedRange<Double>, protonDensity: ClosedRange<Double>,
                t1MS: ClosedRange<Double>, t2MS: ClosedRange<Double>, suv: ClosedRange<Double>) {
        self.tissue = tissue
        self.ctHU = ctHU
        self.protonDensity = protonDensity
        self.t1MS = t1MS
        self.t2MS = t2MS
        self.suv = suv
    }

    /// The properties at the middle of every range.
    public var midpoint: TissueProperties {
        func mid(_ r: ClosedRange<Double>) -> Double { (r.lowerBound + r.upperBound) / 2 }
        return TissueProperties(ctHU: mid(ctHU), protonDensity: mid(protonDensity), t1MS: mid(t1MS),
                                t2MS: mid(t2MS), suv: mid(suv))
    }

    /// Draws one case's properties, uniformly and independently per property, in the order CT, PD, T1, T2, SUV.
    /// - Parameter generator: the case's seeded stream.
    public func draw(using generator: inout SeededGenerator) -> TissueProperties {
        func pick(_ r: ClosedRange<Double>) -> Double { generator.uniform(r.lowerBound, r.upperBound) }
        let ct = pick(ctHU), pd = pick(protonDensity), t1 = pick(t1MS), t2 = pick(t2MS), suv = pick(suv)
        return TissueProperties(ctHU: ct, protonDensity: pd, t1MS: t1, t2MS: t2, suv: suv)
    }

    /// Checks that every range lies within physically meaningful bounds.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the tissue and the bad range.
    public func validate() throws {
        let subject = "tissue \(tissue.name)"
        try TissueProperties(ctHU: ctHU.lowerBound, protonDensity: protonDensity.lowerBound, t1MS: t1MS.lowerBound,
                             t2MS: t2MS.lowerBound, suv: suv.lowerBound).validate(subject: subject + " (lower bounds)")
        try TissueProperties(ctHU: ctHU.upperBound, protonDensity: protonDensity.upperBound, t1MS: t1MS.upperBound,
                             t2MS: t2MS.upperBound, suv: suv.upperBound).validate(subject: subject + " (upper bounds)")
    }
}

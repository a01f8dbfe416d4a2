import MedCore

/// How much the phantom's anatomy varies between cases: every case draws its shape parameters uniformly from
/// these ranges (see `HeadAnatomyParameters.draw`). Lengths are in millimetres, angles in degrees unless the
/// name says radians; relative amplitudes are fractions.
public struct HeadAnatomyVariation: Codable, Sendable, Equatable {
    /// Left–right semi-axis of the skin surface (mm). Adult head breadth ≈ 140–160 mm.
    public var headSemiAxisLRMM: ClosedRange<Double> = 68...80
    /// Anterior–posterior semi-axis of the skin surface (mm). Adult head length ≈ 175–200 mm.
    public var headSemiAxisAPMM: ClosedRange<Double> = 86...100
    /// Superior–inferior semi-axis of the (closed, neckless) skin surface (mm).
    public var headSemiAxisSIMM: ClosedRange<Double> = 78...90
    /// Largest head rotation about each axis (degrees); each case draws uniformly in ±this.
    public var maxRotationDeg: Double = 5
    /// Largest head displacement from the volume centre along each axis (mm).
    public var maxTranslationMM: Double = 4
    /// Petalia-like asymmetry a: the surface radius is scaled by 1 + a·u_x·u_y (right frontal and left occipital
    /// larger for a > 0).
    public var asymmetry: ClosedRange<Double> = 0...0.04
    /// Number of random smooth bumps that deform the skin surface (and with it every layer inside).
    public var surfaceBumpCount: Int = 6
    /// Largest bump height as a fraction of the local radius; each bump draws its height in ±this.
    public var surfaceBumpAmplitude: Double = 0.03
    /// Angular width (standard deviation, radians) of every random bump and thickness modulation.
    public var bumpWidthRad: ClosedRange<Double> = 0.35...0.8
    /// Skin (scalp soft tissue) thickness (mm).
    public var skinThicknessMM: ClosedRange<Double> = 2.0...3.0
    /// Subcutaneous fat thickness (mm).
    public var fatThicknessMM: ClosedRange<Double> = 1.5...4.0
    /// Total skull thickness, both tables and diploë (mm). Adult calvaria ≈ 5–8 mm.
    public var skullThicknessMM: ClosedRange<Double> = 5.0...8.0
    /// Fraction of the skull thickness that is diploë.
    public var diploeFraction: ClosedRange<Double> = 0.3...0.6
    /// Share of the compact bone (the two tables) that belongs to the outer table.
    public var outerTableShare: ClosedRange<Double> = 0.5...0.6
    /// Subarachnoid CSF thickness between the inner table and the brain surface (mm).
    public var csfThicknessMM: ClosedRange<Double> = 1.0...3.0
    /// Number of smooth bumps in each thickness-modulation field (scalp, skull, CSF, cortex, sulcal depth).
    public var modulationBumpCount: Int = 4
    /// Largest relative change of scalp (skin and fat) thickness contributed by one bump.
    public var scalpModulation: Double = 0.25
    /// Largest relative change of skull thickness contributed by one bump.
    public var skullModulation: Double = 0.2
    /// Largest relative change of subarachnoid CSF thickness contributed by one bump.
    public var csfModulation: Double = 0.3
    /// Largest relative change of cortical thickness contributed by one bump.
    public var corticalThicknessModulation: Double = 0.15
    /// Largest relative change of sulcal depth contributed by one bump (deep and shallow regions).
    public var sulcalDepthModulation: Double = 0.4
    /// Cortical (grey-matter) thickness (mm). Adult mean ≈ 2.5 mm, range 1–4.5 mm.
    public var corticalThicknessMM: ClosedRange<Double> = 2.2...3.0
    /// Number of random spherical waves whose zero set traces the sulci.
    public var gyralWaveCount: Int = 16
    /// Angular frequency of each gyral wave cos(ω·(u·v) + φ) (radians per unit of u·v); higher means narrower
    /// gyri. 26–34 gives sulci ≈ 8–12 mm apart on an adult brain.
    public var gyralAngularFrequency: ClosedRange<Double> = 26...34
    /// Sulcal depth below the brain surface (mm).
    public var sulcalDepthMM: ClosedRange<Double> = 9...15
    /// CSF width of a sulcus (mm).
    public var sulcalWidthMM: ClosedRange<Double> = 0.8...1.6
    /// How far sulci lean: the fundus is displaced sideways by this fraction of the sulcal depth (so sulci are
    /// slanted sheets, not radial spokes). 0 makes every sulcus radial.
    public var sulcalLean: ClosedRange<Double> = 0.2...0.7
    /// Spatial frequency of the lean direction field (radians per unit of ellipsoidal radius; ≈ 3–6 turns the lean
    /// direction over 70–140 mm).
    public var sulcalLeanFrequency: ClosedRange<Double> = 3...6
    /// CSF width of the interhemispheric fissure (mm).
    public var fissureWidthMM: ClosedRange<Double> = 1.5...3.0
    /// Largest sideways shift of the midline (mm).
    public var maxMidlineShiftMM: Double = 2
    /// Largest tilt of the midline plane in the coronal plane (degrees).
    public var maxMidlineTiltDeg: Double = 3
    /// Ventricle size factor (1 = reference adult; > 1 models atrophy or hydrocephalus).
    public var ventricleScale: ClosedRange<Double> = 0.7...1.5
    /// Relative left/right difference of the lateral ventricles' size.
    public var ventricleAsymmetry: ClosedRange<Double> = 0...0.1
    /// Deep-nucleus size factor.
    public var nucleusScale: ClosedRange<Double> = 0.9...1.1
    /// Largest displacement of each deep structure from its template position (mm, per axis).
    public var structureJitterMM: Double = 2
    /// The brain semi-axes (mm) that `deepStructures` and the callosal core were laid out in; a case's
    /// structures are scaled by its own brain semi-axes over these.
    public var referenceBrainSemiAxesMM: SIMD3<Double> = SIMD3(60, 79, 70)
    /// Deep nuclei and ventricles in the reference brain.
    public var deepStructures: [StructureTemplate] = StructureTemplate.defaultDeepStructures
    /// Centre of the callosal core in the reference brain (mm): an ellipsoid where the interhemispheric fissure
    /// stops, standing for the corpus callosum and diencephalon that join the hemispheres.
    public var callosalCoreCenterMM: SIMD3<Double> = SIMD3(0, -4, -4)
    /// Semi-axes of the callosal core in the reference brain (mm).
    public var callosalCoreSemiAxesMM: SIMD3<Double> = SIMD3(30, 42, 28)
    /// Least white matter kept between the top of the lateral ventricles and the fissure (mm); the core grows
    /// upward when large ventricles would otherwise reach the fissure.
    public var callosalRoofMarginMM: Double = 3

    /// The default variation (adult heads).
    public init() {}

    /// Checks every range and count.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the field, its value and what was expected.
    public func validate() throws {
        func positive(_ name: String, _ r: ClosedRange<Double>) throws {
            guard r.lowerBound > 0, r.upperBound.isFinite else {
                throw MedSynthError(.invalidArgument, "anatomy.\(name)", "is \(r); expected positive finite bounds")
            }
        }
        func unit(_ name: String, _ r: ClosedRange<Double>) throws {
            guard r.lowerBound >= 0, r.upperBound <= 1 else {
                throw MedSynthError(.invalidArgument, "anatomy.\(name)", "is \(r); expected a range within 0...1")
            }
        }
        func nonNegative(_ name: String, _ v: Double, upTo limit: Double = .infinity) throws {
            guard v >= 0, v <= limit else {
                throw MedSynthError(.invalidArgument, "anatomy.\(name)", "is \(v); expected 0...\(limit)")
            }
        }
        for (name, r) in [("headSemiAxisLRMM", headSemiAxisLRMM), ("headSemiAxisAPMM", headSemiAxisAPMM),
                          ("headSemiAxisSIMM", headSemiAxisSIMM), ("bumpWidthRad", bumpWidthRad),
                          ("skinThicknessMM", skinThicknessMM), ("fatThicknessMM", fatThicknessMM),
                          ("skullThicknessMM", skullThicknessMM), ("csfThicknessMM", csfThicknessMM),
                          ("corticalThicknessMM", corticalThicknessMM), ("gyralAngularFrequency", gyralAngularFrequency),
                          ("sulcalDepthMM", sulcalDepthMM), ("sulcalWidthMM", sulcalWidthMM),
                          ("fissureWidthMM", fissureWidthMM), ("ventricleScale", ventricleScale),
                          ("nucleusScale", nucleusScale)] {
            try positive(name, r)
        }
        try unit("diploeFraction", diploeFraction)
        try unit("outerTableShare", outerTableShare)
        try unit("ventricleAsymmetry", ventricleAsymmetry)
        try unit("sulcalLean", sulcalLean)
        try positive("sulcalLeanFrequency", sulcalLeanFrequency)
        guard asymmetry.lowerBound >= -0.2, asymmetry.upperBound <= 0.2 else {
            throw MedSynthError(.invalidArgument, "anatomy.asymmetry", "is \(asymmetry); expected within -0.2...0.2")
        }
        try nonNegative("maxRotationDeg", maxRotationDeg, upTo: 45)
        try nonNegative("maxTranslationMM", maxTranslationMM)
        try nonNegative("surfaceBumpAmplitude", surfaceBumpAmplitude, upTo: 0.2)
        for (name, v) in [("scalpModulation", scalpModulation), ("skullModulation", skullModulation),
                          ("csfModulation", csfModulation), ("corticalThicknessModulation", corticalThicknessModulation),
                          ("sulcalDepthModulation", sulcalDepthModulation)] {
            try nonNegative(name, v, upTo: 1)
        }
        try nonNegative("maxMidlineShiftMM", maxMidlineShiftMM)
        try nonNegative("maxMidlineTiltDeg", maxMidlineTiltDeg, upTo: 30)
        try nonNegative("structureJitterMM", structureJitterMM)
        try nonNegative("callosalRoofMarginMM", callosalRoofMarginMM)
        for (name, n) in [("surfaceBumpCount", surfaceBumpCount), ("modulationBumpCount", modulationBumpCount),
                          ("gyralWaveCount", gyralWaveCount)] where n < 0 || n > 256 {
            throw MedSynthError(.invalidArgument, "anatomy.\(name)", "is \(n); expected 0...256")
        }
        for (name, v) in [("referenceBrainSemiAxesMM", referenceBrainSemiAxesMM),
                          ("callosalCoreSemiAxesMM", callosalCoreSemiAxesMM)]
        where !(v.min() > 0) {
            throw MedSynthError(.invalidArgument, "anatomy.\(name)", "is \(v); expected positive semi-axes")
        }
        for s in deepStructures {
            guard s.tissue == .deepGreyMatter || s.tissue == .ventricles else {
                throw MedSynthError(.invalidArgument, "anatomy.deepStructures.\(s.name)",
                                    "has tissue \(s.tissue.name); expected deep_grey_matter or ventricles")
            }
            guard s.semiAxesMM.min() > 0, s.bendPerMM >= 0 else {
                throw MedSynthError(.invalidArgument, "anatomy.deepStructures.\(s.name)",
                                    "has semi-axes \(s.semiAxesMM) and bend \(s.bendPerMM); expected positive axes, bend >= 0")
            }
        }
    }
}

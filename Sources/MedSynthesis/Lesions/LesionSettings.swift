import MedCore

/// Everything that configures the lesion model; every default is documented on its field.
public struct LesionSettings: Codable, Sendable, Equatable {
    /// How many lesions each case gets, drawn uniformly from this range (default exactly 1).
    public var countRange: ClosedRange<Int> = 1...1
    /// Shape families to draw from, uniformly (default both).
    public var shapeKinds: [LesionShapeKind] = [.perturbedEllipsoid, .randomField]
    /// Lesion (tumour core) radius: log-normal with this median (mm).
    public var radiusMedianMM: Double = 6
    /// σ of ln(radius) (0.4: the middle 68 % lie within ×0.67…×1.5 of the median).
    public var radiusLogSigma: Double = 0.4
    /// Radii are clamped to this range (mm).
    public var radiusRangeMM: ClosedRange<Double> = 2.5...15

    /// Sets the median radius and widens `radiusRangeMM` by the same factor, so the clamp keeps its place in the
    /// distribution (the defaults: 2.5…15 mm about 6 mm, ×0.42…×2.5) instead of cutting it off: median 30 mm
    /// clamps to 2.5…75 mm, median 3 mm to 1.25…15 mm. The range never shrinks, and its top stays within 100 mm.
    /// What `--lesion-radius` of `medsynth phantom` and `medsynth lesions` sets.
    public mutating func setRadiusMedian(_ mm: Double) {
        let defaults = LesionSettings()
        let scale = mm / defaults.radiusMedianMM
        radiusMedianMM = mm
        guard scale.isFinite, scale > 0 else { return }   // validate() reports the median itself
        let lower = min(radiusRangeMM.lowerBound, defaults.radiusRangeMM.lowerBound * scale)
        let upper = min(100, max(radiusRangeMM.upperBound, defaults.radiusRangeMM.upperBound * scale))
        radiusRangeMM = lower...max(lower, upper)
    }
    /// Perturbed ellipsoid: each semi-axis factor is drawn from this range, then the three are scaled to a
    /// geometric mean of 1 (the radius stays the mean size).
    public var ellipsoidAxisFactor: ClosedRange<Double> = 0.7...1.3
    /// Perturbed ellipsoid: total amplitude of the surface ripples, as a fraction of the radius.
    public var surfacePerturbation: ClosedRange<Double> = 0.05...0.2
    /// Perturbed ellipsoid: number of ripple harmonics.
    public var harmonicCount: Int = 6
    /// Random field: weight β of the smoothed unit-variance field against the radial term (larger: more irregular).
    public var fieldRoughness: ClosedRange<Double> = 0.15...0.3
    /// Random field: correlation length of the field (σ of its Gaussian smoothing) as a fraction of the radius.
    public var fieldCorrelationFraction: Double = 0.5
    /// Width of the soft edge (a smoothstep of the lesion fraction from 0 to 1), mm.
    public var edgeWidthMM: Double = 1.5
    /// Draw BraTS-like sub-regions (necrotic core, enhancing rim, oedema: labels 11, 13, 12) instead of one
    /// lesion (label 10).
    public var subRegions: Bool = false
    /// Sub-regions: the necrotic core's radius as a fraction of the lesion radius.
    public var necroticFraction: ClosedRange<Double> = 0.3...0.6
    /// Sub-regions: how far the oedema extends beyond the lesion, as a fraction of its radius.
    public var oedemaMargin: ClosedRange<Double> = 0.3...0.8
    /// Appearance of a lesion without sub-regions.
    public var wholeAppearance = LesionAppearanceRanges.wholeLesion
    /// Appearance of the oedema.
    public var oedemaAppearance = LesionAppearanceRanges.oedema
    /// Appearance of the enhancing rim.
    public var enhancingAppearance = LesionAppearanceRanges.enhancingRim
    /// Appearance of the necrotic core.
    public var necroticAppearance = LesionAppearanceRanges.necroticCore
    /// A placement is kept only if at least this fraction of the lesion (its core) lies in the allowed mask;
    /// the rest is clipped away.
    public var minimumInsideFraction: Double = 0.85
    /// Placement attempts per lesion before the case gets fewer lesions than drawn.
    public var maximumAttempts: Int = 200
    /// Phantoms: tissues a lesion may cover (default brain parenchyma).
    public var allowedTissues: [Tissue] = [.whiteMatter, .greyMatter, .deepGreyMatter]
    /// Phantoms: tissue the lesion centre must lie in; its properties are the appearance's reference.
    public var hostTissue: Tissue = .whiteMatter
    /// When a lesion is visible enough to be inserted and labelled (default: CNR ≥ 1 in at least one image).
    public var visibility = LesionVisibilitySettings()
    /// The named type these settings were set to (`LesionType.apply(to:)`), recorded in every lesion's parameters;
    /// nil (default) for the generic lesion model.
    public var type: LesionType? = nil
    /// Internal heterogeneity: the standard deviation of the smooth field that modulates each lesion's change, as
    /// a fraction of the change (`LesionHeterogeneity`); 0 (default) for uniform lesions, and then nothing is drawn.
    public var heterogeneityAmplitude: Double = 0
    /// Correlation length of the heterogeneity field (σ of its smoothing) as a fraction of the lesion radius.
    public var heterogeneityCorrelationFraction: Double = 0.35

    /// The defaults.
    public init() {}

    /// Checks every field.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first bad field, its value and what was expected.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ expected: String) -> MedSynthError {
            MedSynthError(.invalidArgument, "lesion settings", "\(field) is \(value); expected \(expected)")
        }
        guard countRange.lowerBound >= 0, countRange.upperBound <= 100 else { throw fail("countRange", countRange, "within 0...100") }
        guard !shapeKinds.isEmpty else { throw fail("shapeKinds", shapeKinds, "at least one shape kind") }
        guard radiusMedianMM > 0, radiusMedianMM.isFinite else { throw fail("radiusMedianMM", radiusMedianMM, "> 0") }
        guard radiusLogSigma >= 0, radiusLogSigma <= 2 else { throw fail("radiusLogSigma", radiusLogSigma, "0...2") }
        guard radiusRangeMM.lowerBound > 0, radiusRangeMM.upperBound <= 100 else { throw fail("radiusRangeMM", radiusRangeMM, "within (0, 100] mm") }
        guard ellipsoidAxisFactor.lowerBound > 0.1, ellipsoidAxisFactor.upperBound <= 10 else {
            throw fail("ellipsoidAxisFactor", ellipsoidAxisFactor, "within (0.1, 10]")
        }
        guard surfacePerturbation.lowerBound >= 0, surfacePerturbation.upperBound <= 0.5 else {
            throw fail("surfacePerturbation", surfacePerturbation, "within 0...0.5")
        }
        guard (0...32).contains(harmonicCount) else { throw fail("harmonicCount", harmonicCount, "0...32") }
        guard fieldRoughness.lowerBound >= 0, fieldRoughness.upperBound <= 1 else { throw fail("fieldRoughness", fieldRoughness, "within 0...1") }
        guard fieldCorrelationFraction > 0, fieldCorrelationFraction <= 2 else {
            throw fail("fieldCorrelationFraction", fieldCorrelationFraction, "within (0, 2]")
        }
        guard edgeWidthMM > 0, edgeWidthMM <= 20 else { throw fail("edgeWidthMM", edgeWidthMM, "within (0, 20] mm") }
        guard necroticFraction.lowerBound > 0, necroticFraction.upperBound < 1 else {
            throw fail("necroticFraction", necroticFraction, "within (0, 1)")
        }
        guard oedemaMargin.lowerBound >= 0, oedemaMargin.upperBound <= 3 else { throw fail("oedemaMargin", oedemaMargin, "within 0...3") }
        guard minimumInsideFraction >= 0, minimumInsideFraction <= 1 else {
            throw fail("minimumInsideFraction", minimumInsideFraction, "within 0...1")
        }
        guard maximumAttempts >= 1, maximumAttempts <= 100_000 else { throw fail("maximumAttempts", maximumAttempts, "1...100000") }
        guard !allowedTissues.isEmpty, !allowedTissues.contains(.lesion) else {
            throw fail("allowedTissues", allowedTissues.map(\.name), "one or more anatomical tissues")
        }
        guard hostTissue != .lesion, allowedTissues.contains(hostTissue) else {
            throw fail("hostTissue", hostTissue.name, "one of the allowed tissues \(allowedTissues.map(\.name))")
        }
        guard heterogeneityAmplitude >= 0, heterogeneityAmplitude <= 1 else {
            throw fail("heterogeneityAmplitude", heterogeneityAmplitude, "within 0...1")
        }
        guard heterogeneityCorrelationFraction > 0, heterogeneityCorrelationFraction <= 2 else {
            throw fail("heterogeneityCorrelationFraction", heterogeneityCorrelationFraction, "within (0, 2]")
        }
        try visibility.validate()
        try wholeAppearance.validate(subject: "lesion settings wholeAppearance")
        try oedemaAppearance.validate(subject: "lesion settings oedemaAppearance")
        try enhancingAppearance.validate(subject: "lesion settings enhancingAppearance")
        try necroticAppearance.validate(subject: "lesion settings necroticAppearance")
    }

    /// The appearance ranges of a part.
    public func appearanceRanges(_ region: LesionSubRegion) -> LesionAppearanceRanges {
        switch region {
        case .whole: return wholeAppearance
        case .oedema: return oedemaAppearance
        case .enhancingRim: return enhancingAppearance
        case .necroticCore: return necroticAppearance
        }
    }
}

import MedCore

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

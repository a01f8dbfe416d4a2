import MedCore

/// Which brain the phantom draws.
public enum PhantomBrain: String, Codable, Sendable, CaseIterable {
    /// The MNI ICBM152 2009a template's tissue maps, deformed per case (`TemplateBrainVariation`); the default.
    case template
    /// The implicit-surface brain of MedSynth ≤ 0.x (ellipsoids, gyral field): kept so that datasets written
    /// with it can be rendered again (their recorded settings have no `brain` key and read as this).
    case procedural
}

/// How much the template brain varies between cases. Every case draws its own values uniformly in these ranges
/// (`TemplateBrainParameters.draw`). The map from a case's head frame to the template is a composition of
/// diffeomorphisms (each a smooth perturbation of the identity with Lipschitz constant below 1), so it is itself
/// a diffeomorphism: no folding, no tearing, every structure kept.
public struct TemplateBrainVariation: Codable, Sendable, Equatable {
    /// Overall linear size of the brain relative to the template. The template's brain is about 176 mm long,
    /// at the large end of adult brains; 0.90–1.00 gives skin-surface head lengths of about 185–203 mm (adult
    /// glabella–opisthocranion length is about 175–205 mm), so the head fits the default 230 mm field of view.
    public var scale: ClosedRange<Double> = 0.90...1.00
    /// Largest extra relative scaling per axis on top of `scale` (each axis draws in ±this).
    public var axisScaleJitter: Double = 0.03
    /// Number of smooth sinusoidal displacement waves (regional scaling and shape).
    public var deformationWaveCount: Int = 8
    /// Largest displacement amplitude of one wave (mm).
    public var deformationAmplitudeMM: Double = 2.5
    /// Wavelengths of the waves (mm).
    public var deformationWavelengthMM: ClosedRange<Double> = 70...180
    /// Bound on the summed Lipschitz constant Σ|a|·2π/λ of the waves: amplitudes are scaled down to meet it, which
    /// keeps the deformation invertible with its Jacobian determinant ≥ (1 − bound)³.
    public var maxDeformationLipschitz: Double = 0.35
    /// Atrophy a: brain tissue probability p becomes (p − a)/(1 − a), so sulci widen and the cortex thins; the
    /// freed volume becomes CSF (ventricular where the template has ventricles).
    public var atrophy: ClosedRange<Double> = 0...0.2
    /// Ventricular expansion α: points near the ventricles' centroid are drawn towards it by α·exp(−Σ dᵢ²/2σᵢ²)
    /// of their offset d (σ = `ventricleExpansionWidthMM`, 1.8× that front to back), which enlarges the ventricles
    /// by up to 1/(1 − α) linearly (negative α shrinks them) and leaves the cortex and skull in place.
    public var ventricleExpansion: ClosedRange<Double> = -0.15...0.35
    /// Extra ventricular expansion per unit of atrophy (atrophied brains have larger ventricles).
    public var ventricleExpansionPerAtrophy: Double = 1.0
    /// Width σ of the ventricular expansion (mm).
    public var ventricleExpansionWidthMM: Double = 22
    /// Hemispheric asymmetry (petalia) β: the head-frame point is scaled by 1 − β·tanh(x/15 mm)·tanh(y/30 mm),
    /// so for β > 0 the right frontal and left occipital lobes are larger.
    public var asymmetry: ClosedRange<Double> = -0.03...0.03

    /// Sharpening exponent γ of the tissue probabilities (grey, white, ventricular CSF, other CSF): each becomes
    /// pᵞ / Σ pᵞ. The template is an average of 152 brains, so its cortex is smeared (half of its grey-matter
    /// voxels have p < 0.8); γ = 2 gives one brain's crisp boundaries while keeping the maps' partial volume.
    /// 1 renders the maps as they are.
    public var tissueSharpening: Int = 2

    /// The default ranges.
    public init() {}

    /// Checks every range.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the field (`templateVariation.<name>`), its value and the
    ///   allowed range.
    public func validate() throws {
        func check(_ name: String, _ ok: Bool, _ value: String, _ expected: String) throws {
            guard ok else { throw MedSynthError(.invalidArgument, "templateVariation.\(name)", "is \(value); expected \(expected)") }
        }
        try check("scale", scale.lowerBound >= 0.5 && scale.upperBound <= 1.5, "\(scale)", "a range within 0.5...1.5")
        try check("axisScaleJitter", (0...0.2).contains(axisScaleJitter), "\(axisScaleJitter)", "0...0.2")
        try check("deformationWaveCount", (0...64).contains(deformationWaveCount), "\(deformationWaveCount)", "0...64")
        try check("deformationAmplitudeMM", (0...20).contains(deformationAmplitudeMM), "\(deformationAmplitudeMM)", "0...20")
        try check("deformationWavelengthMM", deformationWavelengthMM.lowerBound >= 10 && deformationWavelengthMM.upperBound <= 1000,
                  "\(deformationWavelengthMM)", "a range within 10...1000")
        try check("maxDeformationLipschitz", (0...0.9).contains(maxDeformationLipschitz), "\(maxDeformationLipschitz)",
                  "0...0.9 (1 or more could fold the brain)")
        try check("atrophy", atrophy.lowerBound >= 0 && atrophy.upperBound <= 0.5, "\(atrophy)", "a range within 0...0.5")
        try check("ventricleExpansion", ventricleExpansion.lowerBound >= -0.5 && ventricleExpansion.upperBound <= 0.6,
                  "\(ventricleExpansion)", "a range within -0.5...0.6")
        try check("ventricleExpansionPerAtrophy", (0...2).contains(ventricleExpansionPerAtrophy),
                  "\(ventricleExpansionPerAtrophy)", "0...2")
        let largest = ventricleExpansion.upperBound + ventricleExpansionPerAtrophy * atrophy.upperBound
        try check("ventricleExpansion", largest < 0.8, "\(ventricleExpansion) (with atrophy up to \(largest))",
                  "a total below 0.8 (1 or more folds the ventricles)")
        try check("ventricleExpansionWidthMM", (5...60).contains(ventricleExpansionWidthMM), "\(ventricleExpansionWidthMM)", "5...60")
        try check("tissueSharpening", (1...4).contains(tissueSharpening), "\(tissueSharpening)", "1...4")
        try check("asymmetry", asymmetry.lowerBound >= -0.1 && asymmetry.upperBound <= 0.1, "\(asymmetry)", "a range within -0.1...0.1")
    }
}

/// One smooth displacement wave: d(x) = amplitude · sin(wavevector · x + phase).
public struct DeformationWave: Codable, Sendable, Equatable {
    /// Displacement amplitude vector (mm).
    public var amplitudeMM: SIMD3<Double>
    /// Wave vector (radians per mm).
    public var wavevectorPerMM: SIMD3<Double>
    /// Phase (radians).
    public var phaseRad: Double

    /// Creates a wave.
    public init(amplitudeMM: SIMD3<Double>, wavevectorPerMM: SIMD3<Double>, phaseRad: Double) {
        self.amplitudeMM = amplitudeMM
        self.wavevectorPerMM = wavevectorPerMM
        self.phaseRad = phaseRad
    }

    /// The wave's Lipschitz constant |a|·|k|.
    public var lipschitz: Double {
        (amplitudeMM * amplitudeMM).sum().squareRoot() * (wavevectorPerMM * wavevectorPerMM).sum().squareRoot()
    }
}

/// A case's draw of the template brain's variation: with the template it fixes the case's brain.
public struct TemplateBrainParameters: Codable, Sendable, Equatable {
    /// The template the case was drawn on (`BrainTemplate.name`).
    public var template: String
    /// Linear scale per axis (case mm per template mm).
    public var scale: SIMD3<Double>
    /// Hemispheric asymmetry β.
    public var asymmetry: Double
    /// Atrophy a.
    public var atrophy: Double
    /// Total ventricular expansion α (the drawn expansion plus the atrophy's share).
    public var ventricleExpansion: Double
    /// Width σ of the ventricular expansion (mm).
    public var ventricleExpansionWidthMM: Double
    /// The displacement waves (after scaling to the Lipschitz bound).
    public var waves: [DeformationWave]
    /// Sharpening exponent γ of the tissue probabilities (from the settings).
    public var tissueSharpening: Int

    /// The template as it is: scale 1, no deformation, atrophy or ventricular change (sharpening 1).
    public static let identity = TemplateBrainParameters(template: BrainTemplate.name, scale: SIMD3(1, 1, 1), asymmetry: 0,
                                                         atrophy: 0, ventricleExpansion: 0, ventricleExpansionWidthMM: 22,
                                                         waves: [], tissueSharpening: 1)

    /// Draws a case. The order is fixed (part of the reproducibility contract): scale, axis jitter, asymmetry,
    /// atrophy, ventricular expansion, then per wave its direction, amplitude direction, amplitude, wavelength and
    /// phase.
    public static func draw(from v: TemplateBrainVariation, using g: inout SeededGenerator) -> TemplateBrainParameters {
        let s0 = g.uniform(v.scale.lowerBound, v.scale.upperBound)
        let jitter = SIMD3(g.uniform(-v.axisScaleJitter, v.axisScaleJitter), g.uniform(-v.axisScaleJitter, v.axisScaleJitter),
                           g.uniform(-v.axisScaleJitter, v.axisScaleJitter))
        let asymmetry = g.uniform(v.asymmetry.lowerBound, v.asymmetry.upperBound)
        let atrophy = g.uniform(v.atrophy.lowerBound, v.atrophy.upperBound)
        let expansion = g.uniform(v.ventricleExpansion.lowerBound, v.ventricleExpansion.upperBound)
            + v.ventricleExpansionPerAtrophy * atrophy
        var waves: [DeformationWave] = (0..<v.deformationWaveCount).map { _ in
            let direction = SphericalBump.randomUnitVector(using: &g)
            let along = SphericalBump.randomUnitVector(using: &g)
            let amplitude = g.uniform(0, v.deformationAmplitudeMM)
            let wavelength = g.uniform(v.deformationWavelengthMM.lowerBound, v.deformationWavelengthMM.upperBound)
            let phase = g.uniform(0, 2 * .pi)
            return DeformationWave(amplitudeMM: amplitude * along, wavevectorPerMM: (2 * .pi / wavelength) * direction,
                                   phaseRad: phase)
        }
        let lipschitz = waves.reduce(0) { $0 + $1.lipschitz }
        if lipschitz > v.maxDeformationLipschitz {
            let shrink = v.maxDeformationLipschitz / lipschitz
            for n in waves.indices { waves[n].amplitudeMM *= shrink }
        }
        return TemplateBrainParameters(template: BrainTemplate.name, scale: s0 * (1 + jitter), asymmetry: asymmetry,
                                       atrophy: atrophy, ventricleExpansion: expansion,
                                       ventricleExpansionWidthMM: v.ventricleExpansionWidthMM, waves: waves,
                                       tissueSharpening: v.tissueSharpening)
    }

    /// Checks a record (e.g. one read from provenance).
    /// - Throws: `MedSynthError(.invalidArgument)` for values that would not give a diffeomorphism or are not finite.
    public func validate() throws {
        func fail(_ what: String) -> MedSynthError { MedSynthError(.invalidArgument, "case parameters templateBrain", what) }
        guard scale.min() > 0.3, scale.max() < 3, scale.x.isFinite, scale.y.isFinite, scale.z.isFinite else {
            throw fail("scale is \(scale); expected 0.3...3 per axis")
        }
        guard abs(asymmetry) <= 0.1 else { throw fail("asymmetry is \(asymmetry); expected -0.1...0.1") }
        guard (0...0.5).contains(atrophy) else { throw fail("atrophy is \(atrophy); expected 0...0.5") }
        guard ventricleExpansion > -0.9, ventricleExpansion < 0.9 else {
            throw fail("ventricleExpansion is \(ventricleExpansion); expected -0.9...0.9")
        }
        guard ventricleExpansionWidthMM > 0, ventricleExpansionWidthMM.isFinite else {
            throw fail("ventricleExpansionWidthMM is \(ventricleExpansionWidthMM); expected a positive width")
        }
        guard (1...4).contains(tissueSharpening) else { throw fail("tissueSharpening is \(tissueSharpening); expected 1...4") }
        let lipschitz = waves.reduce(0) { $0 + $1.lipschitz }
        guard lipschitz < 0.95 else { throw fail("waves have Lipschitz constant \(lipschitz); expected < 0.95") }
    }
}

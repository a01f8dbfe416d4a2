import MedCore
import MedIO

/// The implicit-surface anatomy of one case: tissue fractions at any point, from the drawn parameters.
///
/// Every tissue boundary is the zero level of an approximate signed distance φ (mm, negative inside):
/// - skin surface: φ₀ = (ρ − 1 − ε(u)) / |∇ρ| with ρ the ellipsoidal radius and ε the bump/asymmetry offset;
/// - scalp and skull layers and the brain envelope: φ₀ + cumulative (modulated) layer thickness;
/// - sulci: the zero set of the gyral field g(u), thickened to the sulcal width, to the (modulated) sulcal depth:
///   φ_sulcus = max(|g| / |∇g| − width/2, depth_below_envelope − sulcal_depth), with g read at a direction shifted
///   sideways in proportion to depth so that sulci lean;
/// - interhemispheric fissure: a midline slab outside the callosal core ellipsoid;
/// - white matter: the brain envelope and all CSF dilated by the cortical thickness (so the cortex is a ribbon of
///   that thickness over crowns, along sulcal walls and under fundi);
/// - deep nuclei and ventricles: (bent) ellipsoids.
///
/// Partial volume: the fraction of a voxel inside a boundary is the linear ramp clamp(0.5 − φ/w, 0, 1) — the
/// box-filtered indicator of a plane at signed distance φ, exact for planes normal to a voxel axis. For the scalp
/// and skull layers (parallel to the skin surface, normal n known) w = |n ∘ spacing|, the voxel's extent along n;
/// for the brain's boundaries, whose normals vary, w is the cube root of the voxel volume. Nested regions are made
/// monotone (inner ≤ outer), so fractions are non-negative and sum to 1.
public final class HeadAnatomyModel: @unchecked Sendable {
    /// The parameters this model was built from.
    public let parameters: HeadAnatomyParameters
    /// The grid's voxel-to-world transform.
    public let affine: Affine
    /// The grid's extents.
    public let shape: VolumeShape

    let table: DirectionTable
    // World → head frame: x_head = rotationT · (x_world − translation).
    let rotationT: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)
    let translation: SIMD3<Float>
    let invSemi: SIMD3<Float>
    let backgroundRho2: Float
    let invRampWidth: Float
    let halfRampWidth: Float
    let spacing2: SIMD3<Float>
    let skin, fat, outerTable, diploe, innerTable, csf: Float
    let cortex, sulcalDepth, sulcalHalfWidth, fissureHalfWidth, midlineShift, midlineSlope: Float
    let gradientFloor: Float
    let sulcalLean: Float
    let leanFrequencies: SIMD3<Float>, leanPhases: SIMD3<Float>
    let core: PackedEllipsoid
    let structures: UnsafeMutablePointer<PackedEllipsoid>
    let structureCount: Int
    let deepBoxLow: SIMD3<Float>, deepBoxHigh: SIMD3<Float>
    /// The template brain of the case (settings `brain: template`); nil for the procedural brain.
    let templateBrain: TemplateBrainMapping?
    /// Upper bound (mm) of the scalp, skull and CSF layers' total thickness over all directions.
    let maxLayersMM: Float

    /// An ellipsoid prepared for the approximate signed distance d = k0·(k0 − 1)/k1 with k0 = |q/s|, k1 = |q/s²|.
    struct PackedEllipsoid {
        var center: SIMD3<Float>
        var invSemi: SIMD3<Float>
        var invSemi2: SIMD3<Float>
        var bend: Float
        var minSemi: Float
        var isVentricle: Bool

        init(center: SIMD3<Double>, semi: SIMD3<Double>, bend: Double, isVentricle: Bool) {
            self.center = SIMD3<Float>(center)
            invSemi = SIMD3<Float>(1 / semi)
            invSemi2 = invSemi * invSemi
            self.bend = Float(bend)
            minSemi = Float(semi.min())
            self.isVentricle = isVentricle
        }

        /// Approximate signed distance (mm) from head-frame point `x`.
        @inline(__always)
        func distance(_ x: SIMD3<Float>) -> Float {
            var q = x - center
            q.z += bend * q.y * q.y
            let a = q * invSemi, b = q * invSemi2
            let k0 = (a * a).sum().squareRoot()
            let k1 = (b * b).sum().squareRoot()
            return k1 > 1e-12 ? k0 * (k0 - 1) / k1 : -minSemi
        }
    }

    /// Builds the procedural-brain model (including its direction table) for one case on the settings' grid
    /// (`HeadPhantom.anatomyModel(for:)` builds either kind).
    public convenience init(parameters: HeadAnatomyParameters, settings: HeadPhantomSettings) {
        self.init(parameters: parameters, settings: settings, templateBrain: nil)
    }

    /// Builds the model (including its direction table) for one case on the settings' grid.
    /// - Parameters:
    ///   - parameters: the drawn anatomy (in template mode its scalp and skull layers and the head's pose).
    ///   - settings: the grid.
    ///   - templateBrain: the case's template brain; nil draws the procedural brain.
    init(parameters: HeadAnatomyParameters, settings: HeadPhantomSettings, templateBrain: TemplateBrainMapping?) {
        self.parameters = parameters
        self.templateBrain = templateBrain
        affine = settings.affine
        shape = settings.shape
        let p = parameters

        // Thickness factors are floored (0.2 for scalp, skull and CSF, 0.3 for the cortex) so that summed bumps can
        // thin a layer but never remove it; the sulcal-depth factor may reach 0, which lets sulci end.
        // The template brain reads only the layer factors (channels 1–3): the skin offset, sulci and gyral field
        // of the procedural brain are not computed for it.
        let procedural = templateBrain == nil
        table = DirectionTable(resolution: settings.directionTableResolution) { u in
            func sum(_ bumps: [SphericalBump]) -> Double { bumps.reduce(0) { $0 + $1.value(at: u) } }
            let scalp = Float(max(0.2, 1 + sum(p.scalpModulation)))
            let skull = Float(max(0.2, 1 + sum(p.skullModulation)))
            let csf = Float(max(0.2, 1 + sum(p.csfModulation)))
            guard procedural else { return SIMD8<Float>(0, scalp, skull, csf, 0, 0, 0, 0) }
            let epsilon = sum(p.surfaceBumps) + p.asymmetry * u.x * u.y
            let g = GyralWave.field(p.gyralWaves, at: u)
            return SIMD8<Float>(Float(epsilon), scalp, skull, csf,
                                Float(max(0, 1 + sum(p.sulcalDepthModulation))),
                                Float(max(0.3, 1 + sum(p.corticalThicknessModulation))),
                                Float(g.value), Float(g.tangentialGradient))
        }

        let r = HeadAnatomyModel.rotationMatrix(degrees: p.rotationDeg)
        // Rows of Rᵀ are the columns of R.
        rotationT = (SIMD3<Float>(Float(r.0.x), Float(r.1.x), Float(r.2.x)),
                     SIMD3<Float>(Float(r.0.y), Float(r.1.y), Float(r.2.y)),
                     SIMD3<Float>(Float(r.0.z), Float(r.1.z), Float(r.2.z)))
        translation = SIMD3<Float>(p.translationMM)
        invSemi = SIMD3<Float>(1 / p.headSemiAxesMM)

        let spacing = settings.spacingMM
        let rampWidth = Float(cbrt(spacing.x * spacing.y * spacing.z))
        invRampWidth = 1 / rampWidth
        halfRampWidth = rampWidth / 2
        spacing2 = SIMD3<Float>(spacing * spacing)
        let maxEpsilon = p.surfaceBumps.reduce(0) { $0 + abs($1.amplitude) } + abs(p.asymmetry)
        let rhoMax = 1 + maxEpsilon + spacing.max() / p.headSemiAxesMM.min()
        backgroundRho2 = Float(rhoMax * rhoMax)

        skin = Float(p.skinThicknessMM); fat = Float(p.fatThicknessMM)
        outerTable = Float(p.outerTableThicknessMM); diploe = Float(p.diploeThicknessMM)
        innerTable = Float(p.innerTableThicknessMM); csf = Float(p.csfThicknessMM)
        cortex = Float(p.corticalThicknessMM)
        sulcalDepth = Float(p.sulcalDepthMM)
        sulcalHalfWidth = Float(p.sulcalWidthMM / 2)
        fissureHalfWidth = Float(p.fissureWidthMM / 2)
        midlineShift = Float(p.midlineShiftMM)
        midlineSlope = Float(tan(p.midlineTiltDeg * .pi / 180))
        // |∇g| below this (per mm) is treated as this: far from critical points it never binds.
        gradientFloor = 0.02
        sulcalLean = Float(p.sulcalLean)
        leanFrequencies = SIMD3<Float>(p.sulcalLeanFrequencies)
        leanPhases = SIMD3<Float>(p.sulcalLeanPhases)

        core = PackedEllipsoid(center: p.callosalCoreCenterMM, semi: p.callosalCoreSemiAxesMM, bend: 0, isVentricle: false)
        structureCount = p.structures.count
        structures = .allocate(capacity: max(1, structureCount))
        var low = SIMD3<Float>(repeating: .infinity), high = SIMD3<Float>(repeating: -.infinity)
        for (n, s) in p.structures.enumerated() {
            let e = PackedEllipsoid(center: s.centerMM, semi: s.semiAxesMM, bend: s.bendPerMM,
                                    isVentricle: s.tissue == .ventricles)
            (structures + n).initialize(to: e)
            var reach = s.semiAxesMM
            reach.z += s.bendPerMM * s.semiAxesMM.y * s.semiAxesMM.y
            reach += 2 * spacing.max()
            low = pointwiseMin(low, SIMD3<Float>(s.centerMM - reach))
            high = pointwiseMax(high, SIMD3<Float>(s.centerMM + reach))
        }
        deepBoxLow = low
        deepBoxHigh = high
        func bound(_ bumps: [SphericalBump], floor: Double) -> Double { max(floor, 1 + bumps.reduce(0) { $0 + abs($1.amplitude) }) }
        maxLayersMM = Float((p.skinThicknessMM + p.fatThicknessMM) * bound(p.scalpModulation, floor: 0.2)
            + (p.outerTableThicknessMM + p.diploeThicknessMM + p.innerTableThicknessMM) * bound(p.skullModulation, floor: 0.2)
            + p.csfThicknessMM * bound(p.csfModulation, floor: 0.2))
    }

    deinit {
        structures.deinitialize(count: structureCount)
        structures.deallocate()
    }

    /// R = Rz·Ry·Rx for rotations about x, y, z by the given angles (degrees), as three rows.
    static func rotationMatrix(degrees: SIMD3<Double>) -> (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
        let a = degrees * (.pi / 180)
        let (cx, sx, cy, sy, cz, sz) = (cos(a.x), sin(a.x), cos(a.y), sin(a.y), cos(a.z), sin(a.z))
        return (SIMD3(cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx),
                SIMD3(sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx),
                SIMD3(-sy, cy * sx, cy * cx))
    }

    /// The head-frame position of a world point (mm).
    @inline(__always)
    func headPoint(world: SIMD3<Float>) -> SIMD3<Float> {
        let d = world - translation
        return SIMD3((rotationT.0 * d).sum(), (rotationT.1 * d).sum(), (rotationT.2 * d).sum())
    }

    /// The head-frame displacement of a world displacement (rotation only).
    @inline(__always)
    func headVector(world d: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3((rotationT.0 * d).sum(), (rotationT.1 * d).sum(), (rotationT.2 * d).sum())
    }

    @inline(__always)
    private func ramp(_ phi: Float) -> Float { min(max(0.5 - phi * invRampWidth, 0), 1) }

    @inline(__always)
    private func ramp(_ phi: Float, inverseWidth: Float) -> Float { min(max(0.5 - phi * inverseWidth, 0), 1) }

    /// Fractions of pure background: lane 0 is 1.
    static let pureBackground: SIMD16<Float> = {
        var f = SIMD16<Float>(repeating: 0)
        f[0] = 1
        return f
    }()

    /// Tissue fractions at head-frame point `x` (mm): lane `t.rawValue` holds tissue t's fraction; lanes of the
    /// lesion label and above are 0. The lanes sum to 1.
    @inline(__always)
    func fractions(head x: SIMD3<Float>) -> SIMD16<Float> {
        if let templateBrain { return templateFractions(head: x, brain: templateBrain) }
        let p = x * invSemi
        let rho2 = (p * p).sum()
        if rho2 >= backgroundRho2 { return HeadAnatomyModel.pureBackground }
        let rho = max(rho2.squareRoot(), 1e-6)
        let ch = table.lookup(p)
        let q = p * invSemi
        let gradRho = max((q * q).sum().squareRoot() / rho, 1e-9)
        let phi0 = (rho - 1 - ch[0]) / gradRho
        // The scalp and skull layers are parallel to the skin surface, whose normal is along q (head frame): their
        // ramp width is the voxel's extent along that normal in the world frame, w = |n ∘ spacing|.
        let normal = q.x * rotationT.0 + q.y * rotationT.1 + q.z * rotationT.2
        let n2 = normal * normal
        let layerInverseWidth = ((n2.sum()) / max((n2 * spacing2).sum(), 1e-12)).squareRoot()
        let fHead = ramp(phi0, inverseWidth: layerInverseWidth)
        if fHead == 0 { return HeadAnatomyModel.pureBackground }

        let c1 = skin * ch[1]
        let c2 = c1 + fat * ch[1]
        let c3 = c2 + outerTable * ch[2]
        let c4 = c3 + diploe * ch[2]
        let c5 = c4 + innerTable * ch[2]
        let phiEnvelope = phi0 + c5 + csf * ch[3]
        let fFatInner = min(ramp(phi0 + c1, inverseWidth: layerInverseWidth), fHead)
        let fBoneOuter = min(ramp(phi0 + c2, inverseWidth: layerInverseWidth), fFatInner)
        let fDiploe = min(ramp(phi0 + c3, inverseWidth: layerInverseWidth), fBoneOuter)
        let fInnerTable = min(ramp(phi0 + c4, inverseWidth: layerInverseWidth), fDiploe)
        let fIntracranial = min(ramp(phi0 + c5, inverseWidth: layerInverseWidth), fInnerTable)

        var fBrain: Float = 0, fWhite: Float = 0, fVentricle: Float = 0, fDeep: Float = 0
        if phiEnvelope < halfRampWidth && fIntracranial > 0 {
            let depth = -phiEnvelope
            let floorDepth = sulcalDepth * ch[4]
            let thickness = cortex * ch[5]
            var sulcus = depth - floorDepth
            // Below the fundi plus a cortex and a ramp, the sulci no longer matter: skip the gyral field there.
            if sulcus < thickness + 2 * halfRampWidth {
                // Sulci lean: the gyral field is read at a direction displaced sideways in proportion to depth.
                let shiftMM = sulcalLean * min(max(depth, 0), floorDepth)
                let lean = SIMD3<Float>(sin(leanFrequencies.x * p.y + leanPhases.x),
                                        sin(leanFrequencies.y * p.z + leanPhases.y),
                                        sin(leanFrequencies.z * p.x + leanPhases.z))
                let gyral = shiftMM > 0 ? table.lookup(p + (shiftMM * gradRho) * lean) : ch
                // Tangential gradient of g per mm: per radian over the local radius ρ/|∇ρ|.
                let gradG = max(gyral[7] * gradRho / rho, gradientFloor)
                sulcus = max(abs(gyral[6]) / gradG - sulcalHalfWidth, sulcus)
            }
            let midline = x.x - midlineShift - midlineSlope * x.z
            let fissure = max(abs(midline) - fissureHalfWidth, -core.distance(x))
            let csfInBrain = min(sulcus, fissure)
            fBrain = min(ramp(max(phiEnvelope, -csfInBrain)), fIntracranial)
            fWhite = min(ramp(max(phiEnvelope + thickness, thickness - csfInBrain)), fBrain)
            if fWhite > 0, all(x .>= deepBoxLow), all(x .<= deepBoxHigh) {
                var ventricle = Float.infinity, deep = Float.infinity
                for n in 0..<structureCount {
                    let e = structures[n]
                    let d = e.distance(x)
                    if e.isVentricle { ventricle = min(ventricle, d) } else { deep = min(deep, d) }
                }
                fVentricle = min(ramp(ventricle), fWhite)
                fDeep = min(ramp(deep), fWhite - fVentricle)
            }
        }

        var f = SIMD16<Float>(repeating: 0)
        f[Tissue.background.rawValue] = 1 - fHead
        f[Tissue.skin.rawValue] = fHead - fFatInner
        f[Tissue.fat.rawValue] = fFatInner - fBoneOuter
        f[Tissue.corticalBone.rawValue] = (fBoneOuter - fDiploe) + (fInnerTable - fIntracranial)
        f[Tissue.diploe.rawValue] = fDiploe - fInnerTable
        f[Tissue.csf.rawValue] = fIntracranial - fBrain
        f[Tissue.ventricles.rawValue] = fVentricle
        f[Tissue.greyMatter.rawValue] = fBrain - fWhite
        f[Tissue.whiteMatter.rawValue] = fWhite - fVentricle - fDeep
        f[Tissue.deepGreyMatter.rawValue] = fDeep
        return f
    }

    /// Tissue fractions at head-frame point `x` for the template brain: the brain's tissues from the template's
    /// probability maps at the case's template point, the remainder of the intracranial volume CSF, and the CSF,
    /// skull and scalp layers built outwards from the template's brain envelope with this case's thicknesses
    /// (modulated by direction as in the procedural head). Atrophy a turns brain-tissue probability p into
    /// (p − a)/(1 − a); the volume freed becomes CSF (ventricular where the template has ventricles).
    @inline(__always)
    func templateFractions(head x: SIMD3<Float>, brain: TemplateBrainMapping) -> SIMD16<Float> {
        guard let y = brain.templatePoint(head: x) else { return HeadAnatomyModel.pureBackground }
        let phiEnvelope = brain.template.envelopeDistance(at: y) * brain.meanScale
        if phiEnvelope - maxLayersMM >= halfRampWidth { return HeadAnatomyModel.pureBackground }
        let ch = table.lookup(x * invSemi)
        let c1 = skin * ch[1]
        let c2 = c1 + fat * ch[1]
        let c3 = c2 + outerTable * ch[2]
        let c4 = c3 + diploe * ch[2]
        let c5 = c4 + innerTable * ch[2]
        let phi0 = phiEnvelope - (c5 + csf * ch[3])
        let fHead = ramp(phi0)
        if fHead == 0 { return HeadAnatomyModel.pureBackground }
        let fFatInner = min(ramp(phi0 + c1), fHead)
        let fBoneOuter = min(ramp(phi0 + c2), fFatInner)
        let fDiploe = min(ramp(phi0 + c3), fBoneOuter)
        let fInnerTable = min(ramp(phi0 + c4), fDiploe)
        let fIntracranial = min(ramp(phi0 + c5), fInnerTable)

        var f = SIMD16<Float>(repeating: 0)
        if fIntracranial > 0 {
            // (cortical grey, deep grey, white, ventricles); their sum is ≤ 1 by construction of the maps.
            var m = brain.template.tissueProbabilities(at: y)
            // Atrophy first, on the template's soft probabilities (so sulci widen where tissue is partial), then
            // sharpening.
            let atrophy = Float(brain.parameters.atrophy)
            if atrophy > 0 {
                let tissue = m.x + m.y + m.z
                if tissue > 0 {
                    let kept = min(max((tissue - atrophy) / (1 - atrophy), 0), 1)
                    let freed = tissue - kept
                    let factor = kept / tissue
                    m.x *= factor; m.y *= factor; m.z *= factor
                    if m.w > 0.01 { m.w += freed }
                }
            }
            if brain.sharpening > 1 {
                // Sharpen (grey, white, ventricles, other CSF) as pᵞ/Σpᵞ; grey keeps its cortical/deep split.
                let grey = m.x + m.y
                let other = max(1 - grey - m.z - m.w, 0)
                var q = SIMD4<Float>(grey, m.z, m.w, other)
                let p = q
                for _ in 1..<brain.sharpening { q *= p }
                let total = q.sum()
                if total > 0 {
                    q *= 1 / total
                    let split = grey > 0 ? m.x / grey : 1
                    m = SIMD4(q.x * split, q.x * (1 - split), q.y, q.z)
                }
            }
            m *= fIntracranial
            f[Tissue.greyMatter.rawValue] = m.x
            f[Tissue.deepGreyMatter.rawValue] = m.y
            f[Tissue.whiteMatter.rawValue] = m.z
            f[Tissue.ventricles.rawValue] = m.w
            f[Tissue.csf.rawValue] = max(fIntracranial - (m.x + m.y + m.z + m.w), 0)
        }
        f[Tissue.background.rawValue] = 1 - fHead
        f[Tissue.skin.rawValue] = fHead - fFatInner
        f[Tissue.fat.rawValue] = fFatInner - fBoneOuter
        f[Tissue.corticalBone.rawValue] = (fBoneOuter - fDiploe) + (fInnerTable - fIntracranial)
        f[Tissue.diploe.rawValue] = fDiploe - fInnerTable
        return f
    }

    /// The label with the largest fraction (ties go to the lower label).
    @inline(__always)
    static func dominantLabel(_ f: SIMD16<Float>) -> Int {
        var best = 0
        var bestValue = f[0]
        for t in 1..<16 where f[t] > bestValue {
            best = t
            bestValue = f[t]
        }
        return best
    }

    /// The tissue fractions at a world position, indexed by label value (`Tissue.allCases.count` entries; the
    /// lesion entry is 0). Slow (one call per point): meant for placing structures, not for rendering.
    /// - Parameter worldMM: a position in world millimetres (the grid's affine frame).
    public func tissueFractions(atWorldMM worldMM: SIMD3<Double>) -> [Double] {
        let f = fractions(head: headPoint(world: SIMD3<Float>(worldMM)))
        return Tissue.allCases.map { Double(f[$0.rawValue]) }
    }

    /// The tissue fractions at the centre of voxel (slice `k`, row `j`, column `i`), indexed by label value.
    public func tissueFractions(k: Int, j: Int, i: Int) -> [Double] {
        tissueFractions(atWorldMM: affine.apply(SIMD3(Double(i), Double(j), Double(k))))
    }

    /// The tissue with the largest fraction at voxel (k, j, i) — the label the rendered label map has there.
    public func dominantTissue(k: Int, j: Int, i: Int) -> Tissue {
        let w = affine.apply(SIMD3(Double(i), Double(j), Double(k)))
        let f = fractions(head: headPoint(world: SIMD3<Float>(w)))
        return Tissue(rawValue: HeadAnatomyModel.dominantLabel(f)) ?? .background
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

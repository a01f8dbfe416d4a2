import MedCore

/// The anatomy of one phantom case, as drawn from `HeadAnatomyVariation`: every number needed to rebuild the
/// label map exactly. Lengths in mm, angles in degrees, in the head frame (origin at the head centre, RAS axes:
/// x right, y anterior, z superior) unless stated.
public struct HeadAnatomyParameters: Codable, Sendable, Equatable {
    /// Skin-surface ellipsoid semi-axes (x, y, z).
    public var headSemiAxesMM: SIMD3<Double>
    /// Head rotation about x, y, z (degrees), applied as R = Rz·Ry·Rx from head frame to world.
    public var rotationDeg: SIMD3<Double>
    /// Head-centre position in world coordinates (mm; the volume centre is the world origin).
    public var translationMM: SIMD3<Double>
    /// Petalia-like asymmetry a (surface radius × (1 + a·u_x·u_y)).
    public var asymmetry: Double
    /// Relative radius bumps of the skin surface (every inner layer follows it).
    public var surfaceBumps: [SphericalBump]
    /// Mean skin thickness.
    public var skinThicknessMM: Double
    /// Mean subcutaneous fat thickness.
    public var fatThicknessMM: Double
    /// Mean outer-table (cortical bone) thickness.
    public var outerTableThicknessMM: Double
    /// Mean diploë thickness.
    public var diploeThicknessMM: Double
    /// Mean inner-table (cortical bone) thickness.
    public var innerTableThicknessMM: Double
    /// Mean subarachnoid CSF thickness.
    public var csfThicknessMM: Double
    /// Relative modulation of skin and fat thickness (thickness × (1 + Σ bumps)).
    public var scalpModulation: [SphericalBump]
    /// Relative modulation of the three skull layers' thickness.
    public var skullModulation: [SphericalBump]
    /// Relative modulation of the subarachnoid CSF thickness.
    public var csfModulation: [SphericalBump]
    /// Relative modulation of the cortical thickness.
    public var corticalThicknessModulation: [SphericalBump]
    /// Relative modulation of the sulcal depth (depth × max(0, 1 + Σ bumps)).
    public var sulcalDepthModulation: [SphericalBump]
    /// Mean cortical grey-matter thickness.
    public var corticalThicknessMM: Double
    /// The waves of the gyral field whose zero set gives the sulci.
    public var gyralWaves: [GyralWave]
    /// Mean sulcal depth below the brain surface.
    public var sulcalDepthMM: Double
    /// Sulcal CSF width.
    public var sulcalWidthMM: Double
    /// Sideways displacement of a sulcal fundus as a fraction of its depth.
    public var sulcalLean: Double
    /// Frequencies (x, y, z components) of the lean direction field w(p) = (sin(f.x·p_y + φ.x), sin(f.y·p_z + φ.y),
    /// sin(f.z·p_x + φ.z)), p in ellipsoidal coordinates.
    public var sulcalLeanFrequencies: SIMD3<Double>
    /// Phases of the lean direction field (radians).
    public var sulcalLeanPhases: SIMD3<Double>
    /// Interhemispheric fissure CSF width.
    public var fissureWidthMM: Double
    /// Midline x position at z = 0 (mm).
    public var midlineShiftMM: Double
    /// Midline tilt in the coronal plane (degrees): the midline's x moves by tan(tilt) per mm of z.
    public var midlineTiltDeg: Double
    /// Callosal core centre: the ellipsoid where the fissure stops.
    public var callosalCoreCenterMM: SIMD3<Double>
    /// Callosal core semi-axes.
    public var callosalCoreSemiAxesMM: SIMD3<Double>
    /// Ventricle size factor drawn for this case.
    public var ventricleScale: Double
    /// Signed left/right ventricle size difference (positive: right larger).
    public var ventricleAsymmetry: Double
    /// Deep-nucleus size factor drawn for this case.
    public var nucleusScale: Double
    /// Approximate brain semi-axes (head semi-axes minus the mean scalp, skull and CSF thickness).
    public var brainSemiAxesMM: SIMD3<Double>
    /// Deep nuclei and ventricles as placed.
    public var structures: [PlacedStructure]

    /// Scalp + skull + subarachnoid CSF mean thickness: skin surface to brain surface.
    public var meanSurfaceToBrainMM: Double {
        skinThicknessMM + fatThicknessMM + outerTableThicknessMM + diploeThicknessMM + innerTableThicknessMM
            + csfThicknessMM
    }

    /// Draws one case's anatomy. The draw order is fixed (it is part of the reproducibility contract): size,
    /// pose, asymmetry, surface bumps, layer thicknesses, modulation fields, cortex (with sulcal lean), fissure,
    /// deep structures.
    /// - Parameters:
    ///   - variation: the ranges.
    ///   - generator: the case's anatomy stream.
    public static func draw(from variation: HeadAnatomyVariation,
                            using generator: inout SeededGenerator) -> HeadAnatomyParameters {
        func pick(_ r: ClosedRange<Double>) -> Double { generator.uniform(r.lowerBound, r.upperBound) }
        func symmetric(_ m: Double) -> Double { generator.uniform(-m, m) }
        func bumps(_ amplitude: Double) -> [SphericalBump] {
            SphericalBump.draw(count: variation.modulationBumpCount, maxAmplitude: amplitude,
                               widthRad: variation.bumpWidthRad, using: &generator)
        }

        let semi = SIMD3(pick(variation.headSemiAxisLRMM), pick(variation.headSemiAxisAPMM),
                         pick(variation.headSemiAxisSIMM))
        let rotation = SIMD3(symmetric(variation.maxRotationDeg), symmetric(variation.maxRotationDeg),
                             symmetric(variation.maxRotationDeg))
        let translation = SIMD3(symmetric(variation.maxTranslationMM), symmetric(variation.maxTranslationMM),
                                symmetric(variation.maxTranslationMM))
        let asymmetry = pick(variation.asymmetry)
        let surface = SphericalBump.draw(count: variation.surfaceBumpCount, maxAmplitude: variation.surfaceBumpAmplitude,
                                         widthRad: variation.bumpWidthRad, using: &generator)

        let skin = pick(variation.skinThicknessMM)
        let fat = pick(variation.fatThicknessMM)
        let skull = pick(variation.skullThicknessMM)
        let diploe = skull * pick(variation.diploeFraction)
        let outer = (skull - diploe) * pick(variation.outerTableShare)
        let inner = skull - diploe - outer
        let csf = pick(variation.csfThicknessMM)

        let scalpMod = bumps(variation.scalpModulation)
        let skullMod = bumps(variation.skullModulation)
        let csfMod = bumps(variation.csfModulation)
        let cortexMod = bumps(variation.corticalThicknessModulation)
        let depthMod = bumps(variation.sulcalDepthModulation)

        let cortex = pick(variation.corticalThicknessMM)
        let waves = GyralWave.draw(count: variation.gyralWaveCount, angularFrequency: variation.gyralAngularFrequency,
                                   using: &generator)
        let sulcalDepth = pick(variation.sulcalDepthMM)
        let sulcalWidth = pick(variation.sulcalWidthMM)
        let lean = pick(variation.sulcalLean)
        let leanFrequencies = SIMD3(pick(variation.sulcalLeanFrequency), pick(variation.sulcalLeanFrequency),
                                    pick(variation.sulcalLeanFrequency))
        let leanPhases = SIMD3(generator.uniform(0, 2 * .pi), generator.uniform(0, 2 * .pi), generator.uniform(0, 2 * .pi))

        let fissureWidth = pick(variation.fissureWidthMM)
        let midlineShift = symmetric(variation.maxMidlineShiftMM)
        let midlineTilt = symmetric(variation.maxMidlineTiltDeg)

        let ventricleScale = pick(variation.ventricleScale)
        let ventricleAsymmetry = pick(variation.ventricleAsymmetry) * (generator.nextUnitDouble() < 0.5 ? -1 : 1)
        let nucleusScale = pick(variation.nucleusScale)

        let toBrain = skin + fat + skull + csf
        let brainSemi = semi - toBrain
        let scale = brainSemi / variation.referenceBrainSemiAxesMM
        var structures: [PlacedStructure] = []
        for template in variation.deepStructures {
            let sides: [(suffix: String, sign: Double)] = template.mirrored ? [("_right", 1), ("_left", -1)] : [("", 1)]
            for side in sides {
                let isVentricle = template.tissue == .ventricles
                let sideScale = isVentricle && template.mirrored ? 1 + side.sign * ventricleAsymmetry / 2 : 1
                let sizeScale = (isVentricle ? ventricleScale : nucleusScale) * sideScale
                // Ventricles grow about the midline (their centres move out with them), so a septum remains.
                var center = template.centerMM * scale
                center.x *= side.sign * (isVentricle ? sizeScale : 1)
                let jitter = SIMD3(symmetric(variation.structureJitterMM), symmetric(variation.structureJitterMM),
                                   symmetric(variation.structureJitterMM))
                let midline = SIMD3(midlineShift, 0, 0)
                let axes = template.semiAxesMM * scale * sizeScale
                // The drop bend·y² scales with z and inversely with y²: keep the same shape after scaling.
                let ys = scale.y * sizeScale, zs = scale.z * sizeScale
                let bend = template.bendPerMM * zs / (ys * ys)
                structures.append(PlacedStructure(name: template.name + side.suffix, tissue: template.tissue,
                                                  centerMM: center + midline + (isVentricle && !template.mirrored ? .zero : jitter),
                                                  semiAxesMM: axes, bendPerMM: bend))
            }
        }

        var coreCenter = variation.callosalCoreCenterMM * scale + SIMD3(midlineShift, 0, 0)
        var coreAxes = variation.callosalCoreSemiAxesMM * scale
        let ventricleTop = structures.filter { $0.tissue == .ventricles }.map(\.topMM).max() ?? -Double.infinity
        let neededTop = ventricleTop + variation.callosalRoofMarginMM + cortex
        let coreTop = coreCenter.z + coreAxes.z
        if neededTop > coreTop {
            // Grow the core upward, keeping its bottom where it was.
            let bottom = coreCenter.z - coreAxes.z
            coreAxes.z = (neededTop - bottom) / 2
            coreCenter.z = (neededTop + bottom) / 2
        }

        return HeadAnatomyParameters(
            headSemiAxesMM: semi, rotationDeg: rotation, translationMM: translation, asymmetry: asymmetry,
            surfaceBumps: surface, skinThicknessMM: skin, fatThicknessMM: fat, outerTableThicknessMM: outer,
            diploeThicknessMM: diploe, innerTableThicknessMM: inner, csfThicknessMM: csf,
            scalpModulation: scalpMod, skullModulation: skullMod, csfModulation: csfMod,
            corticalThicknessModulation: cortexMod, sulcalDepthModulation: depthMod,
            corticalThicknessMM: cortex, gyralWaves: waves, sulcalDepthMM: sulcalDepth, sulcalWidthMM: sulcalWidth,
            sulcalLean: lean, sulcalLeanFrequencies: leanFrequencies, sulcalLeanPhases: leanPhases,
            fissureWidthMM: fissureWidth, midlineShiftMM: midlineShift, midlineTiltDeg: midlineTilt,
            callosalCoreCenterMM: coreCenter, callosalCoreSemiAxesMM: coreAxes, ventricleScale: ventricleScale,
            ventricleAsymmetry: ventricleAsymmetry, nucleusScale: nucleusScale, brainSemiAxesMM: brainSemi,
            structures: structures)
    }
}

import MedCore

/// One case's map from its head frame (mm) to the template (MNI mm), tabulated on a 4 mm lattice and read
/// trilinearly (the map is smooth on a scale of centimetres: the lattice adds < 0.1 mm of error; 0.084 mm was the
/// largest of 6,000 points over three cases in the test).
///
/// The map pulls back, case → template (a case voxel reads the template where the map sends it):
/// 1. z = x / scale (per axis);
/// 2. petalia: z ← z · (1 − β·tanh(z.x / 15 mm)·tanh(z.y / 30 mm));
/// 3. ventricles: z ← z − α·(z − c)·exp(−Σᵢ (z − c)ᵢ² / 2σᵢ²), c the ventricles' centroid, σ = (σ, 1.8σ, σ)
///    (the lateral ventricles are elongated front to back);
/// 4. waves: z ← z + Σ aₙ·sin(kₙ·z + φₙ);
/// 5. y = template centre + z.
/// Steps 2–4 perturb the identity by maps with Lipschitz constant < 1, so each is a diffeomorphism and so is
/// the composition (`TemplateBrainVariation` bounds them).
final class TemplateBrainMapping: @unchecked Sendable {
    let template: BrainTemplate
    let parameters: TemplateBrainParameters
    /// Mean linear scale (case mm per template mm): converts the template's envelope distance to case mm.
    let meanScale: Float
    /// The tissue sharpening exponent γ.
    let sharpening: Int
    let latticeLow: SIMD3<Float>
    let latticeSpacingMM: Float = 4
    /// σ_y / σ_x of the ventricular expansion.
    static let ventricleElongation = 1.8
    let latticeShape: (nx: Int, ny: Int, nz: Int)
    /// y(x) per lattice node, x fastest (the fourth lane unused); raw memory owned here, read per voxel.
    let lattice: UnsafeMutableBufferPointer<SIMD4<Float>>

    init(template: BrainTemplate, parameters: TemplateBrainParameters) {
        self.template = template
        self.parameters = parameters
        sharpening = parameters.tissueSharpening
        meanScale = Float(cbrt(parameters.scale.x * parameters.scale.y * parameters.scale.z))
        // The lattice covers the envelope grid (36 mm beyond the brain) at the largest scale, plus the waves'
        // largest reach.
        let bounds = template.envelopeBoundsMM
        let reach = pointwiseMax(template.centreMM - bounds.low, bounds.high - template.centreMM)
        let waveReach = Float(parameters.waves.reduce(0) { $0 + ($1.amplitudeMM * $1.amplitudeMM).sum().squareRoot() })
        let half: SIMD3<Float> = reach * SIMD3<Float>(parameters.scale) + (waveReach + 2 * latticeSpacingMM)
        latticeLow = -half
        let counts: SIMD3<Float> = (2 * half / latticeSpacingMM).rounded(.up) + 1
        latticeShape = (Int(counts.x), Int(counts.y), Int(counts.z))
        let (nx, ny, nz) = latticeShape
        let nodes = UnsafeMutableBufferPointer<SIMD4<Float>>.allocate(capacity: nx * ny * nz)
        nodes.initialize(repeating: .zero)
        let base = nodes.baseAddress!
        let low = SIMD3<Double>(latticeLow), step = Double(latticeSpacingMM)
        let exact = TemplateBrainMapping.exactMap(template: template, parameters: parameters)
        Parallel.forEachChunk(count: nz) { slices in
            for k in slices {
                for j in 0..<ny {
                    for i in 0..<nx {
                        let y = exact(low + step * SIMD3(Double(i), Double(j), Double(k)))
                        base[(k * ny + j) * nx + i] = SIMD4(Float(y.x), Float(y.y), Float(y.z), 0)
                    }
                }
            }
        }
        lattice = nodes
    }

    deinit { lattice.deallocate() }

    /// The map itself (steps 1–5 above), head-frame mm → MNI mm, in Double: what the lattice tabulates (and the
    /// reference its trilinear reading is tested against).
    static func exactMap(template: BrainTemplate, parameters p: TemplateBrainParameters) -> (SIMD3<Double>) -> SIMD3<Double> {
        let centre = SIMD3<Double>(template.centreMM)
        let ventricle = SIMD3<Double>(template.ventricleCentroidMM - template.centreMM)
        // The lateral ventricles are about twice as long (anterior–posterior) as they are wide or high.
        let widths = p.ventricleExpansionWidthMM * SIMD3<Double>(1, ventricleElongation, 1)
        let inverseTwoSigma2 = 1 / (2 * widths * widths)
        return { x in
            var z = x / p.scale
            z *= 1 - p.asymmetry * tanh(z.x / 15) * tanh(z.y / 30)
            let d = z - ventricle
            z -= p.ventricleExpansion * exp(-(d * d * inverseTwoSigma2).sum()) * d
            var shift = SIMD3<Double>.zero
            for w in p.waves { shift += w.amplitudeMM * sin((w.wavevectorPerMM * z).sum() + w.phaseRad) }
            return centre + z + shift
        }
    }

    /// The template point (MNI mm) of head-frame point `x` (mm), or nil outside the lattice (far outside the head).
    @inline(__always)
    func templatePoint(head x: SIMD3<Float>) -> SIMD3<Float>? {
        let u = (x - latticeLow) * (1 / latticeSpacingMM)
        let f = u.rounded(.down)
        let i = Int(f.x), j = Int(f.y), k = Int(f.z)
        let (nx, ny, nz) = latticeShape
        guard i >= 0, j >= 0, k >= 0, i < nx - 1, j < ny - 1, k < nz - 1 else { return nil }
        let t = u - f
        let p = lattice.baseAddress.unsafelyUnwrapped + (k * ny + j) * nx + i
        let plane = nx * ny
        let tx = t.x, ty = t.y, tz = t.z
        let c00 = p[0] + tx * (p[1] - p[0])
        let c10 = p[nx] + tx * (p[nx + 1] - p[nx])
        let c01 = p[plane] + tx * (p[plane + 1] - p[plane])
        let c11 = p[plane + nx] + tx * (p[plane + nx + 1] - p[plane + nx])
        let c0 = c00 + ty * (c10 - c00), c1 = c01 + ty * (c11 - c01)
        let r = c0 + tz * (c1 - c0)
        return SIMD3(r.x, r.y, r.z)
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

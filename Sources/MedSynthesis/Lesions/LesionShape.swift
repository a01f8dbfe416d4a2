import MedCore
import MedIO

/// The shape families of synthetic lesions.
public enum LesionShapeKind: String, Codable, CaseIterable, Sendable {
    /// An ellipsoid, randomly oriented, with smooth direction-dependent ripples on its surface.
    case perturbedEllipsoid = "perturbed_ellipsoid"
    /// A smoothed Gaussian random field thresholded against a radial term, inside a bounding sphere: irregular,
    /// lobulated outlines.
    case randomField = "random_field"
}

/// One ripple of a perturbed ellipsoid's surface: amplitude · cos(π · frequency · (u · direction) + phase) for the
/// unit direction u from the centre.
public struct LesionHarmonic: Codable, Sendable, Equatable {
    /// Unit vector in the lesion frame.
    public var direction: [Double]
    /// Cycles over the sphere (1…3).
    public var frequency: Double
    /// Phase (radians).
    public var phase: Double
    /// Relative amplitude (the harmonics' amplitudes sum to the drawn perturbation).
    public var amplitude: Double
}

/// A drawn lesion shape, as a *normalised radius* ρ(p) of the offset p (mm) from the lesion centre: the lesion
/// core is ρ ≤ 1, the oedema ρ ≤ 1 + margin, the necrotic core ρ ≤ necrotic fraction. For a sphere of radius R,
/// ρ = |p| / R, so R·(L − ρ) is the signed distance (mm) to the level-L surface.
///
/// - Perturbed ellipsoid: ρ = |Rᵀp ⊘ (R·a)| / (1 + Σ amplitude·cos(π f (u·d) + φ)), with rotation R, semi-axis
///   factors a (geometric mean 1), u = Rᵀp/|Rᵀp|.
/// - Random field: ρ = max(|p|/R − β·g(p), |p| / (R·(1 + 2β))) with g a Gaussian-smoothed white-noise field of
///   unit variance on the lesion's box; the second term keeps the lesion inside a sphere of radius R·(1 + 2β)·L.
public struct LesionShape: Codable, Sendable, Equatable {
    /// The family.
    public var kind: LesionShapeKind
    /// The mean radius R of the lesion core (mm).
    public var radiusMM: Double
    /// Semi-axis factors (ellipsoid; [1, 1, 1] for the random field).
    public var axisFactors: [Double]
    /// Orientation as a unit quaternion (w, x, y, z), lesion frame → world axes.
    public var rotation: [Double]
    /// Surface ripples (ellipsoid; empty for the random field).
    public var harmonics: [LesionHarmonic]
    /// Seed of the field's white noise (random field).
    public var fieldSeed: UInt64
    /// β, the field's weight (random field; 0 for the ellipsoid).
    public var fieldRoughness: Double
    /// σ of the field's smoothing (mm).
    public var fieldCorrelationMM: Double

    /// Draws a shape. Every draw consumes the same numbers whatever the kind, in the order: kind, radius, axis
    /// factors, rotation, harmonics, field seed, roughness, perturbation.
    public static func draw(settings: LesionSettings, using g: inout SeededGenerator) -> LesionShape {
        let kind = settings.shapeKinds[Int(g.next() % UInt64(settings.shapeKinds.count))]
        let r = settings.radiusMedianMM * Foundation.exp(settings.radiusLogSigma * g.nextNormal())
        let radius = min(max(r, settings.radiusRangeMM.lowerBound), settings.radiusRangeMM.upperBound)
        var axes = (0..<3).map { _ in g.uniform(settings.ellipsoidAxisFactor.lowerBound, settings.ellipsoidAxisFactor.upperBound) }
        let mean = Foundation.pow(axes[0] * axes[1] * axes[2], 1.0 / 3)
        axes = axes.map { $0 / mean }
        var q = (0..<4).map { _ in g.nextNormal() }
        let qn = (q.map { $0 * $0 }.reduce(0, +)).squareRoot()
        q = qn > 1e-12 ? q.map { $0 / qn } : [1, 0, 0, 0]
        var harmonics: [LesionHarmonic] = []
        var weights: [Double] = []
        for _ in 0..<settings.harmonicCount {
            var d = (0..<3).map { _ in g.nextNormal() }
            let dn = (d.map { $0 * $0 }.reduce(0, +)).squareRoot()
            d = dn > 1e-12 ? d.map { $0 / dn } : [0, 0, 1]
            let frequency = Double(1 + Int(g.next() % 3))
            let phase = g.uniform(0, 2 * Double.pi)
            weights.append(g.uniform(0.2, 1))
            harmonics.append(LesionHarmonic(direction: d, frequency: frequency, phase: phase, amplitude: 0))
        }
        let fieldSeed = g.next()
        let roughness = g.uniform(settings.fieldRoughness.lowerBound, settings.fieldRoughness.upperBound)
        let perturbation = g.uniform(settings.surfacePerturbation.lowerBound, settings.surfacePerturbation.upperBound)
        let total = weights.reduce(0, +)
        for n in harmonics.indices { harmonics[n].amplitude = total > 0 ? perturbation * weights[n] / total : 0 }
        switch kind {
        case .perturbedEllipsoid:
            return LesionShape(kind: kind, radiusMM: radius, axisFactors: axes, rotation: q, harmonics: harmonics,
                               fieldSeed: 0, fieldRoughness: 0, fieldCorrelationMM: 0)
        case .randomField:
            return LesionShape(kind: kind, radiusMM: radius, axisFactors: [1, 1, 1], rotation: [1, 0, 0, 0], harmonics: [],
                               fieldSeed: fieldSeed, fieldRoughness: roughness,
                               fieldCorrelationMM: settings.fieldCorrelationFraction * radius)
        }
    }

    /// The radius (mm) of a sphere about the centre that contains the whole level-`level` region.
    public func boundingRadiusMM(level: Double) -> Double {
        switch kind {
        case .perturbedEllipsoid:
            let ripple = harmonics.reduce(0) { $0 + abs($1.amplitude) }
            return level * radiusMM * (axisFactors.max() ?? 1) / max(0.05, 1 - ripple)
        case .randomField:
            return level * radiusMM * (1 + 2 * fieldRoughness)
        }
    }

    /// ρ at every voxel of `box` (C order), for a lesion centred at grid voxel `center` (k, j, i) of a grid with
    /// voxel-to-world `affine`.
    func normalizedRadius(box: LesionBox, center: [Int], affine: Affine) -> [Float] {
        let s = box.shape
        var rho = [Float](repeating: 0, count: s.voxelCount)
        let field = kind == .randomField ? smoothedField(box: box, affine: affine) : nil
        // Rotation matrix rows from the quaternion (lesion frame → world); ρ needs q = Rᵀp = Σ p[a]·row[a].
        let (w, x, y, z) = (rotation[0], rotation[1], rotation[2], rotation[3])
        let row0 = SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y))
        let row1 = SIMD3(2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x))
        let row2 = SIMD3(2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y))
        let inverseRadius = 1 / radiusMM
        let inverseAxes = SIMD3(1 / axisFactors[0], 1 / axisFactors[1], 1 / axisFactors[2]) * inverseRadius
        let boundScale = 1 / (radiusMM * (1 + 2 * fieldRoughness))
        let directions = harmonics.map { SIMD3($0.direction[0], $0.direction[1], $0.direction[2]) }
        let frequencies = harmonics.map { Double.pi * $0.frequency }, phases = harmonics.map(\.phase)
        let amplitudes = harmonics.map(\.amplitude)
        let col0 = SIMD3(affine[0, 0], affine[1, 0], affine[2, 0]), col1 = SIMD3(affine[0, 1], affine[1, 1], affine[2, 1])
        let col2 = SIMD3(affine[0, 2], affine[1, 2], affine[2, 2])
        let kind = self.kind, roughness = fieldRoughness
        rho.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.forEachChunk(count: s.depth) { slices in
                for bk in slices {
                    for bj in 0..<s.height {
                        for bi in 0..<s.width {
                            let di = Double(box.originI + bi - center[2]), dj = Double(box.originJ + bj - center[1])
                            let dk = Double(box.originK + bk - center[0])
                            let p = col0 * di + col1 * dj + col2 * dk
                            let n = (bk * s.height + bj) * s.width + bi
                            let distance = (p * p).sum().squareRoot()
                            switch kind {
                            case .perturbedEllipsoid:
                                let q = row0 * p.x + row1 * p.y + row2 * p.z
                                let scaled = q * inverseAxes
                                let e = (scaled * scaled).sum().squareRoot()
                                var ripple = 0.0
                                if distance > 1e-9 {
                                    let u = q / distance
                                    for h in directions.indices {
                                        ripple += amplitudes[h] * Foundation.cos(frequencies[h] * (u * directions[h]).sum() + phases[h])
                                    }
                                }
                                base[n] = Float(e / (1 + ripple))
                            case .randomField:
                                let g = Double(field![n])
                                base[n] = Float(max(distance * inverseRadius - roughness * g, distance * boundScale))
                            }
                        }
                    }
                }
            }
        }
        return rho
    }

    /// White noise from `fieldSeed` on the box, smoothed with σ = fieldCorrelationMM per axis and scaled to unit
    /// variance (the variance of a smoothed unit white noise is Π Σ kernel²).
    private func smoothedField(box: LesionBox, affine: Affine) -> [Float] {
        var g = SeededGenerator(seed: fieldSeed)
        var field = (0..<box.shape.voxelCount).map { _ in Float(g.nextNormal()) }
        let spacing = affine.columnLengthsMM
        let sigma = SIMD3(repeating: fieldCorrelationMM) / spacing
        let kernels = (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: 3),
                       y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: 3),
                       z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: 3))
        GaussianBlur3D.blurSeparable(&field, shape: box.shape, kernels: kernels)
        let variance = [kernels.x, kernels.y, kernels.z].map { $0.reduce(Float(0)) { $0 + $1 * $1 } }.reduce(1, *)
        let scale = 1 / max(variance, 1e-12).squareRoot()
        return field.map { $0 * scale }
    }
}

import Foundation

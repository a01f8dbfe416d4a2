import MedIO

/// Deterministic test and benchmark inputs defined by closed formulas, so that Swift and numpy
/// (`benchmarks/metrics_peer.py`, `scripts/make_metrics_fixtures.py`) build bit-identical arrays without
/// sharing a random generator.
///
/// For voxel (k, j, i) with linear index n = (k·H + j)·W + i:
/// - hash(n, salt) = lowbias32(n + salt·0x9E3779B9 mod 2³²), lowbias32(x): x ^= x≫16; x ·= 0x7feb352d;
///   x ^= x≫15; x ·= 0x846ca68b; x ^= x≫16 (all mod 2³²); unit(n, salt) = (hash ≫ 8)·2⁻²⁴ ∈ [0, 1).
/// - tri(t, P) = |(t mod P) − P/2| / (P/2).
/// - image pair: s = (tri(i, 64) + tri(j, 48) + tri(k, 40)) / 3; a = Float(0.6·s + 0.4·unit(n, 1));
///   b = Float(0.85·a + 0.15·unit(n, 2)) — values in [0, 1], data range 1.
/// - mask pair: ellipsoids with integer arithmetic and a hashed ±5% boundary jitter (see `maskPair`).
public enum SyntheticMetricsInputs {
    /// lowbias32 of n + salt·0x9E3779B9 (mod 2³²).
    @inline(__always) public static func hash(_ n: Int, salt: UInt32) -> UInt32 {
        var x = UInt32(truncatingIfNeeded: n) &+ salt &* 0x9E37_79B9
        x ^= x >> 16; x &*= 0x7FEB_352D; x ^= x >> 15; x &*= 0x846C_A68B; x ^= x >> 16
        return x
    }

    /// A uniform value in [0, 1) with 24 bits, exact in Float and Double.
    @inline(__always) public static func unit(_ n: Int, salt: UInt32) -> Double {
        Double(hash(n, salt: salt) >> 8) * 0x1p-24
    }

    /// The image pair described above; geometry 1 mm isotropic.
    public static func imagePair(shape: VolumeShape) -> (reference: Volume, test: Volume) {
        var a = [Float](repeating: 0, count: shape.voxelCount), b = a
        func tri(_ t: Int, _ p: Int) -> Double { Double(abs(t % p - p / 2)) / Double(p / 2) }
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let n = (k * shape.height + j) * shape.width + i
            let s = (tri(i, 64) + tri(j, 48) + tri(k, 40)) / 3
            let av = Float(0.6 * s + 0.4 * unit(n, salt: 1))
            a[n] = av
            b[n] = Float(0.85 * Double(av) + 0.15 * unit(n, salt: 2))
        } } }
        return (Volume(shape: shape, voxels: a), Volume(shape: shape, voxels: b))
    }

    /// Two overlapping ellipsoid label maps (value 1 inside), reference and prediction.
    ///
    /// Mask m ∈ {A, B} with centre c and radii r (voxels, along depth, height, width) contains voxel n when
    /// 1000·(dk²·r_j²r_i² + dj²·r_k²r_i² + di²·r_k²r_j²) ≤ (r_k r_j r_i)²·(950 + hash(n, salt) mod 100)
    /// (Int64 arithmetic). A: c = (D/2, H/2, W/2), r = (⌊0.35D⌋, ⌊0.31H⌋, ⌊0.27W⌋), salt 3;
    /// B: c = (D/2 + 3, H/2 − 2, W/2 + 1), r = (⌊0.33D⌋, ⌊0.33H⌋, ⌊0.28W⌋), salt 4.
    /// - Parameter spacingMM: written into both affines.
    public static func maskPair(shape: VolumeShape, spacingMM: SIMD3<Double>) -> (reference: Volume, prediction: Volume) {
        let D = shape.depth, H = shape.height, W = shape.width
        func ellipsoid(c: (Int, Int, Int), r: (Int, Int, Int), salt: UInt32) -> [Float] {
            let (rk, rj, ri) = (Int64(max(r.0, 1)), Int64(max(r.1, 1)), Int64(max(r.2, 1)))
            let rhs = (rk * rj * ri) * (rk * rj * ri)
            var out = [Float](repeating: 0, count: shape.voxelCount)
            for k in 0..<D { for j in 0..<H { for i in 0..<W {
                let n = (k * H + j) * W + i
                let dk = Int64(k - c.0), dj = Int64(j - c.1), di = Int64(i - c.2)
                let lhs = dk * dk * rj * rj * ri * ri + dj * dj * rk * rk * ri * ri + di * di * rk * rk * rj * rj
                if 1000 * lhs <= rhs * (950 + Int64(hash(n, salt: salt) % 100)) { out[n] = 1 }
            } } }
            return out
        }
        let a = ellipsoid(c: (D / 2, H / 2, W / 2), r: (D * 35 / 100, H * 31 / 100, W * 27 / 100), salt: 3)
        let b = ellipsoid(c: (D / 2 + 3, H / 2 - 2, W / 2 + 1), r: (D * 33 / 100, H * 33 / 100, W * 28 / 100), salt: 4)
        let affine = Affine(spacingMM: spacingMM)
        return (Volume(shape: shape, voxels: a, affine: affine, modality: .unknown),
                Volume(shape: shape, voxels: b, affine: affine, modality: .unknown))
    }
}

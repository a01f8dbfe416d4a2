import MedCore

/// A cube map of the anatomy's direction-dependent functions, so the per-voxel loop reads them with one bilinear
/// fetch instead of evaluating dozens of exponentials and cosines.
///
/// Layout: `[face][t][s]` texels of 8 Float channels (one `SIMD8<Float>`), `resolution` samples per face edge at
/// s, t = −1 + 2·n/(resolution − 1), so both faces that share an edge sample it at the same directions and the
/// interpolated functions stay continuous across seams. Face f holds the directions whose largest |component|
/// is x (faces 0, 1: ±x, with (s, t) = (y, z)/|x|), y (2, 3: (x, z)/|y|) or z (4, 5: (x, y)/|z|).
///
/// Channels (see `HeadAnatomyModel`): 0 skin-surface radius offset ε, 1 scalp-thickness factor, 2 skull-thickness
/// factor, 3 CSF-thickness factor, 4 sulcal-depth factor, 5 cortical-thickness factor, 6 gyral field g,
/// 7 tangential gradient length |∇g| per radian.
final class DirectionTable: @unchecked Sendable {
    /// Samples per face edge.
    let resolution: Int
    private let texels: UnsafeMutablePointer<SIMD8<Float>>
    private let scale: Float

    /// Fills the table by calling `channels(u)` at every texel's unit direction, in parallel over rows.
    init(resolution: Int, channels: (SIMD3<Double>) -> SIMD8<Float>) {
        precondition(resolution >= 2, "direction table needs at least 2 samples per edge")
        self.resolution = resolution
        scale = Float(resolution - 1) / 2
        let n = resolution
        texels = .allocate(capacity: 6 * n * n)
        let out = texels
        Parallel.forEachChunk(count: 6 * n, minimumChunk: 8) { rows in
            for row in rows {
                let face = row / n, it = row % n
                let t = -1 + 2 * Double(it) / Double(n - 1)
                for i in 0..<n {
                    let s = -1 + 2 * Double(i) / Double(n - 1)
                    let d = DirectionTable.direction(face: face, s: s, t: t)
                    out[row * n + i] = channels(d / (d * d).sum().squareRoot())
                }
            }
        }
    }

    deinit { texels.deallocate() }

    /// The (unnormalised) direction of face coordinates (s, t) on `face`.
    static func direction(face: Int, s: Double, t: Double) -> SIMD3<Double> {
        switch face {
        case 0: return SIMD3(1, s, t)
        case 1: return SIMD3(-1, s, t)
        case 2: return SIMD3(s, 1, t)
        case 3: return SIMD3(s, -1, t)
        case 4: return SIMD3(s, t, 1)
        default: return SIMD3(s, t, -1)
        }
    }

    /// The channels at the direction of `p` (any nonzero vector), bilinearly interpolated.
    @inline(__always)
    func lookup(_ p: SIMD3<Float>) -> SIMD8<Float> {
        let ax = abs(p.x), ay = abs(p.y), az = abs(p.z)
        let face: Int
        let s: Float, t: Float
        if ax >= ay && ax >= az {
            let inv = 1 / max(ax, .leastNormalMagnitude)
            face = p.x >= 0 ? 0 : 1; s = p.y * inv; t = p.z * inv
        } else if ay >= az {
            let inv = 1 / ay
            face = p.y >= 0 ? 2 : 3; s = p.x * inv; t = p.z * inv
        } else {
            let inv = 1 / az
            face = p.z >= 0 ? 4 : 5; s = p.x * inv; t = p.y * inv
        }
        let n = resolution
        let fs = (s + 1) * scale, ft = (t + 1) * scale
        let i0 = min(max(Int(fs), 0), n - 2), j0 = min(max(Int(ft), 0), n - 2)
        let wx = min(max(fs - Float(i0), 0), 1), wy = min(max(ft - Float(j0), 0), 1)
        let base = (face * n + j0) * n + i0
        let a = texels[base], b = texels[base + 1], c = texels[base + n], d = texels[base + n + 1]
        let top = a + (b - a) * wx
        let bottom = c + (d - c) * wx
        return top + (bottom - top) * wy
    }
}

import MedCore
import MedIO

/// Exact Euclidean distance transform on an anisotropic 3D grid (Felzenszwalb & Huttenlocher, "Distance
/// Transforms of Sampled Functions", Theory of Computing 8, 2012): the squared distance is computed one axis at a
/// time as the lower envelope of parabolas, O(N) per axis. Used to build the brain envelope of a label map
/// (`LabelMapTemplate`); the tests compare it with a brute-force search over every feature voxel.
enum EuclideanDistanceMap {
    /// Stands for "no feature on this line yet" (squared mm); far beyond any grid.
    static let far: Float = 1e20

    /// Squared distance (mm²) from every voxel centre to the nearest voxel centre where `feature` is true.
    /// `far` everywhere when there is no feature.
    // feature: [D, H, W] (x fastest) -> [D, H, W]
    static func squaredDistance(to feature: [Bool], shape: VolumeShape, spacingMM: SIMD3<Float>) -> [Float] {
        precondition(feature.count == shape.voxelCount)
        var d = feature.map { $0 ? Float(0) : far }
        let (w, h, depth) = (shape.width, shape.height, shape.depth)
        // Along x (lines of w, stride 1), y (lines of h, stride w), z (lines of depth, stride w·h).
        let passes: [(count: Int, stride: Int, spacing: Float, starts: [Int])] = [
            (w, 1, spacingMM.x, (0..<(h * depth)).map { $0 * w }),
            (h, w, spacingMM.y, (0..<depth).flatMap { k in (0..<w).map { k * w * h + $0 } }),
            (depth, w * h, spacingMM.z, (0..<(w * h)).map { $0 }),
        ]
        for pass in passes {
            d.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                Parallel.forEachChunk(count: pass.starts.count) { lines in
                    var f = [Float](repeating: 0, count: pass.count), out = f
                    var v = [Int](repeating: 0, count: pass.count), z = [Float](repeating: 0, count: pass.count + 1)
                    for line in lines {
                        let start = pass.starts[line]
                        for n in 0..<pass.count { f[n] = base[start + n * pass.stride] }
                        lowerEnvelope(f, spacing: pass.spacing, into: &out, v: &v, z: &z)
                        for n in 0..<pass.count { base[start + n * pass.stride] = out[n] }
                    }
                }
            }
        }
        return d
    }

    /// One line: out[q] = min_p (s·(q − p))² + f[p], by the lower envelope of the parabolas rooted at the
    /// finite samples (`v` their indices, `z` the boundaries between them).
    private static func lowerEnvelope(_ f: [Float], spacing s: Float, into out: inout [Float], v: inout [Int], z: inout [Float]) {
        let n = f.count
        var k = -1
        for q in 0..<n where f[q] < far {
            let xq = s * Float(q)
            while k >= 0 {
                let xp = s * Float(v[k])
                let boundary = ((f[q] + xq * xq) - (f[v[k]] + xp * xp)) / (2 * (xq - xp))
                if boundary <= z[k] { k -= 1 } else {
                    k += 1
                    v[k] = q
                    z[k] = boundary
                    break
                }
            }
            if k < 0 {
                k = 0
                v[0] = q
                z[0] = -.infinity
            }
            z[k + 1] = .infinity
        }
        guard k >= 0 else {
            for q in 0..<n { out[q] = far }
            return
        }
        var j = 0
        for q in 0..<n {
            let xq = s * Float(q)
            while z[j + 1] < xq { j += 1 }
            let dx = xq - s * Float(v[j])
            out[q] = dx * dx + f[v[j]]
        }
    }

    /// Signed distance (mm) to the boundary of `inside`: negative inside, positive outside, the boundary taken
    /// halfway between voxel centres (inside voxels: −(distance to the nearest outside voxel − h/2); outside
    /// voxels: distance to the nearest inside voxel − h/2, h the smallest spacing).
    static func signedDistance(inside: [Bool], shape: VolumeShape, spacingMM: SIMD3<Float>) -> [Float] {
        let toInside = squaredDistance(to: inside, shape: shape, spacingMM: spacingMM)
        let toOutside = squaredDistance(to: inside.map { !$0 }, shape: shape, spacingMM: spacingMM)
        let half = spacingMM.min() / 2
        return inside.indices.map { n in
            inside[n] ? -(toOutside[n].squareRoot() - half) : toInside[n].squareRoot() - half
        }
    }
}

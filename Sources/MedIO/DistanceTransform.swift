import MedCore

/// Exact Euclidean distance transform with anisotropic voxel spacing (Felzenszwalb & Huttenlocher 2012):
/// for every voxel, the squared distance in mm² to the nearest feature voxel,
///
///     DT²(p) = min over features q of Σ_axes ((p_a − q_a) · spacing_a)²,
///
/// by three separable 1D passes (width, height, depth), each the lower envelope of parabolas — O(N) overall,
/// no search over pairs. It equals `scipy.ndimage.distance_transform_edt(~features, sampling=spacing)²`.
/// Voxels with no feature anywhere get +infinity.
public enum DistanceTransform {
    /// Squared distances (mm²) to the nearest `true` voxel.
    /// - Parameters:
    ///   - features: `shape.voxelCount` flags, C order (width fastest).
    ///   - shape: the grid; depth 1 is a 2D image (no depth pass).
    ///   - spacingMM: voxel size along width (x), height (y), depth (z).
    /// - Precondition: `features.count == shape.voxelCount`, spacings > 0.
    public static func squaredDistances(to features: [Bool], shape: VolumeShape, spacingMM: SIMD3<Double>) -> [Double] {
        precondition(features.count == shape.voxelCount, "features \(features.count) != \(shape)")
        precondition(spacingMM.x > 0 && spacingMM.y > 0 && spacingMM.z > 0, "spacing must be positive, got \(spacingMM)")
        let D = shape.depth, H = shape.height, W = shape.width
        var f = [Double](repeating: .infinity, count: shape.voxelCount)
        f.withUnsafeMutableBufferPointer { fp in
        features.withUnsafeBufferPointer { ftp in
            let fb = fp.baseAddress!, feat = ftp.baseAddress!
            // Width: distance to the nearest feature on the row, by a forward and a backward scan.
            let sx2 = spacingMM.x * spacingMM.x
            Parallel.forEachChunk(count: D * H, minimumChunk: 64) { rows in
                for row in rows {
                    let base = row * W
                    var last = -1
                    for i in 0..<W {
                        if feat[base + i] { last = i }
                        if last >= 0 { let d = Double(i - last); fb[base + i] = d * d * sx2 }
                    }
                    last = -1
                    for i in stride(from: W - 1, through: 0, by: -1) {
                        if feat[base + i] { last = i }
                        if last >= 0 { let d = Double(last - i); fb[base + i] = min(fb[base + i], d * d * sx2) }
                    }
                }
            }
            // Height and depth: lower envelopes along strided lines, `block` adjacent lines at a time so each
            // gather reads whole cache lines.
            envelopePass(fb, lines: D, lineStride: H * W, length: H, step: W, inner: W, spacing2: spacingMM.y * spacingMM.y)
            if D > 1 {
                envelopePass(fb, lines: 1, lineStride: 0, length: D, step: H * W, inner: H * W, spacing2: spacingMM.z * spacingMM.z)
            }
        }}
        return f
    }

    /// Number of adjacent lines gathered together in the strided passes (8 Doubles = one 64-byte line).
    static let block = 8

    /// Runs the 1D envelope transform on every line `outer·lineStride + inner + t·step`, t < length.
    static func envelopePass(_ f: UnsafeMutablePointer<Double>, lines outer: Int, lineStride: Int, length n: Int,
                             step: Int, inner: Int, spacing2: Double) {
        let blocksPerOuter = (inner + block - 1) / block
        Parallel.forEachChunk(count: outer * blocksPerOuter, minimumChunk: 4) { range in
            // buf: [n, block] gathered lines; line/out: one line; v, z: the envelope.
            let buf = UnsafeMutablePointer<Double>.allocate(capacity: n * block)
            let line = UnsafeMutablePointer<Double>.allocate(capacity: n)
            let out = UnsafeMutablePointer<Double>.allocate(capacity: n)
            let v = UnsafeMutablePointer<Int>.allocate(capacity: n)
            let z = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
            defer { buf.deallocate(); line.deallocate(); out.deallocate(); v.deallocate(); z.deallocate() }
            for b in range {
                let o = b / blocksPerOuter, i0 = (b % blocksPerOuter) * block
                let width = min(block, inner - i0)
                let base = o * lineStride + i0
                var anyFinite = false
                for t in 0..<n {
                    let src = f + base + t * step, dst = buf + t * block
                    for c in 0..<width { dst[c] = src[c]; anyFinite = anyFinite || src[c].isFinite }
                }
                // Lines with no finite value stay +infinity.
                guard anyFinite else { continue }
                for c in 0..<width {
                    for t in 0..<n { line[t] = buf[t * block + c] }
                    envelope1D(line, n: n, spacing2: spacing2, v: v, z: z, out: out)
                    for t in 0..<n { buf[t * block + c] = out[t] }
                }
                for t in 0..<n {
                    let src = buf + t * block, dst = f + base + t * step
                    for c in 0..<width { dst[c] = src[c] }
                }
            }
        }
    }

    /// 1D squared-distance transform of sampled function g with spacing² s2:
    /// out(p) = min_q g(q) + s2·(p − q)², the lower envelope of parabolas rooted at the finite samples.
    /// v (n) and z (n + 1) are scratch.
    @inline(__always)
    static func envelope1D(_ g: UnsafeMutablePointer<Double>, n: Int, spacing2 s2: Double, v: UnsafeMutablePointer<Int>,
                           z: UnsafeMutablePointer<Double>, out: UnsafeMutablePointer<Double>) {
        // v: roots of the parabolas in the envelope; z: the boundaries between them (z[0] = −∞).
        var k = -1
        for q in 0..<n where g[q].isFinite {
            let gq = g[q] + s2 * Double(q * q)
            if k < 0 {
                k = 0; v[0] = q; z[0] = -.infinity; z[1] = .infinity
                continue
            }
            var s: Double
            // z[0] = −∞, so the loop stops at k = 0 at the latest.
            while true {
                let p = v[k]
                s = (gq - (g[p] + s2 * Double(p * p))) / (2 * s2 * Double(q - p))
                if s <= z[k] { k -= 1 } else { break }
            }
            k += 1
            v[k] = q; z[k] = s; z[k + 1] = .infinity
        }
        if k < 0 {
            for p in 0..<n { out[p] = .infinity }
            return
        }
        var j = 0
        for p in 0..<n {
            let x = Double(p)
            while z[j + 1] < x { j += 1 }
            let d = Double(p - v[j])
            out[p] = g[v[j]] + s2 * d * d
        }
    }
}

import Foundation
import MedCore
import MedIO

/// Sums an SSIM pass accumulates over the cropped interior (and over the masked part of it).
struct SSIMSums: Sendable {
    var sum = 0.0
    var csSum = 0.0
    var count = 0
    var maskedSum = 0.0
    var maskedCSSum = 0.0
    var maskedCount = 0

    mutating func add(_ o: SSIMSums) {
        sum += o.sum; csSum += o.csSum; count += o.count
        maskedSum += o.maskedSum; maskedCSSum += o.maskedCSSum; maskedCount += o.maskedCount
    }
}

/// scipy.ndimage's 'reflect' boundary (half-sample symmetric: d c b a | a b c d | d c b a) for −n ≤ p < 2n.
@inline(__always) func reflectIndex(_ p: Int, _ n: Int) -> Int {
    p < 0 ? -p - 1 : (p >= n ? 2 * n - p - 1 : p)
}

/// The fast SSIM engine: five filtered channels (x, y, x², y², xy) by separable passes with 'reflect'
/// borders, then the pointwise formula, summed over the interior cropped by `crop` voxels on every side.
///
/// Work is tiled in bands of rows so the buffers stay in cache. 2D (depth 1) with a uniform window
/// (scikit-image's default): `SSIMBoxWorker2D`, bands in parallel, two rows at a time in SIMD lanes, column
/// sums updated row by row and box sums along the row fused with the formula. Other 2D windows: bands in
/// parallel, each filtered along width (with a halo of r rows) then height. 3D: bands in parallel; each band
/// walks down the depth axis keeping a ring of in-slice-filtered band slices, and the depth pass is a running
/// sum for a uniform window or the direct taps otherwise. All arithmetic is Double. Partial sums are kept per
/// output row and added in order, and bands have a fixed size, so the result does not depend on the number
/// of threads.
enum SSIMEngine {
    /// Channel order in the filtered buffers: x, y, x², y², xy.
    static let channels = 5
    /// Rows per band in 2D and 3D.
    static let bandRows2D = 32
    static let bandRows3D = 16
    /// Output rows per band on the 2D box path (two lanes of half as many rows).
    static let boxBandRows2D = 128

    /// Runs one SSIM pass.
    /// - Parameters:
    ///   - x, y: `shape.voxelCount` values each, C order.
    ///   - window: the separable window (applied along every axis; along depth only when depth > 1).
    ///   - covNorm: factor on the variances and covariance (NP/(NP−1) for sample covariance, else 1).
    ///   - crop: voxels dropped on every side before averaging.
    ///   - mask: optional flags; the masked sums cover the cropped voxels whose flag is set.
    ///   - wantMap: also return the full map (Float), every voxel including the border.
    /// - Precondition: every extent used is ≥ window size (callers check and throw).
    static func run<T: BinaryFloatingPoint, P: SSIMPointwise>(
        x: [T], y: [T], shape: VolumeShape, window: SSIMWindow, covNorm: Double, formula: P,
        crop: Int, mask: [Bool]?, wantMap: Bool
    ) -> (sums: SSIMSums, map: [Float]?) {
        let D = shape.depth, H = shape.height, W = shape.width
        precondition(H >= window.size && W >= window.size && (D == 1 || D >= window.size), "window larger than \(shape)")
        let mapBuffer: UnsafeMutablePointer<Float>? = wantMap ? .allocate(capacity: shape.voxelCount) : nil
        defer { mapBuffer?.deallocate() }
        var rowSums = [SSIMSums](repeating: SSIMSums(), count: D * H)
        let kRange = D == 1 ? 0..<1 : (wantMap ? 0..<D : crop..<(D - crop))
        let jRange = wantMap ? 0..<H : crop..<(H - crop)
        let bandRows = D == 1 ? bandRows2D : bandRows3D
        let bandCount = (jRange.count + bandRows - 1) / bandRows
        x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
        rowSums.withUnsafeMutableBufferPointer { sumsP in
            let xb = xp.baseAddress!, yb = yp.baseAddress!, sb = sumsP.baseAddress!
            let mb = mapBuffer
            if D == 1 && window.isUniform {
                runBox2D(xb, yb, H: H, W: W, window: window, covNorm: covNorm, formula: formula, crop: crop,
                         mask: mask, rows: jRange, sums: sb, map: mb)
                return
            }
            let ctx = Context(H: H, W: W, D: D, window: window, covNorm: covNorm, crop: crop, mask: mask)
            Parallel.forEachChunk(count: bandCount, minimumChunk: 1) { bands in
                var worker = Worker(ctx: ctx, bandRows: bandRows)
                defer { worker.release() }
                for band in bands {
                    let lo = jRange.lowerBound + band * bandRows
                    let rows = lo..<min(lo + bandRows, jRange.upperBound)
                    if D == 1 {
                        worker.run2D(xb, yb, rows: rows, formula: formula, sums: sb, map: mb)
                    } else {
                        worker.run3D(xb, yb, rows: rows, slices: kRange, formula: formula, sums: sb, map: mb)
                    }
                }
            }
        }}}
        var total = SSIMSums()
        for s in rowSums { total.add(s) }
        let map = mapBuffer.map { Array(UnsafeBufferPointer(start: $0, count: shape.voxelCount)) }
        return (total, map)
    }

    /// 2D with a uniform window (scikit-image's default): `SSIMBoxWorker2D` on fixed bands of
    /// `boxBandRows2D` output rows, in parallel.
    static func runBox2D<T: BinaryFloatingPoint, P: SSIMPointwise>(
        _ xb: UnsafePointer<T>, _ yb: UnsafePointer<T>, H: Int, W: Int, window: SSIMWindow, covNorm: Double,
        formula: P, crop: Int, mask: [Bool]?, rows jRange: Range<Int>, sums: UnsafeMutablePointer<SSIMSums>,
        map: UnsafeMutablePointer<Float>?
    ) {
        let bandCount = (jRange.count + boxBandRows2D - 1) / boxBandRows2D
        func bands(_ mp: UnsafePointer<Bool>?) {
            Parallel.forEachChunk(count: bandCount, minimumChunk: 1) { bands in
                let worker = SSIMBoxWorker2D(x: xb, y: yb, H: H, W: W, window: window, covNorm: covNorm,
                                             crop: crop, mask: mp)
                defer { worker.release() }
                for band in bands {
                    let lo = jRange.lowerBound + band * boxBandRows2D
                    worker.run(rows: lo..<min(lo + boxBandRows2D, jRange.upperBound), formula: formula, sums: sums,
                               map: map)
                }
            }
        }
        if let mask { mask.withUnsafeBufferPointer { bands($0.baseAddress!) } } else { bands(nil) }
    }

    /// Geometry and settings shared by the loops.
    struct Context {
        let H: Int, W: Int, D: Int
        let window: SSIMWindow
        let covNorm: Double
        let crop: Int
        let mask: [Bool]?
    }

    /// One worker's buffers (allocated once per worker, reused for every band).
    struct Worker {
        let ctx: Context
        let bandRows: Int
        /// Padded products of one row: [5, W + 2r].
        let padded: UnsafeMutablePointer<Double>
        /// Width-filtered rows of a band with its halo: [5, bandRows + 2r, W].
        let h: UnsafeMutablePointer<Double>
        /// Map and cs values of one row: [2, W].
        let rowOut: UnsafeMutablePointer<Double>
        /// 3D: ring of (taps + 2) in-slice-filtered band slices [5, bandRows, W] each, and the depth sum.
        var ring: UnsafeMutablePointer<Double>?
        /// The filtered band: [5, bandRows, W] (3D: the depth sum).
        let acc: UnsafeMutablePointer<Double>
        var tags: [Int]
        /// Band-slice length: 5 · bandRows · W.
        var chunk: Int { channels * bandRows * ctx.W }

        init(ctx: Context, bandRows: Int) {
            self.ctx = ctx
            self.bandRows = bandRows
            let r = ctx.window.radius
            padded = .allocate(capacity: channels * (ctx.W + 2 * r))
            h = .allocate(capacity: channels * (bandRows + 2 * r) * ctx.W)
            rowOut = .allocate(capacity: 2 * ctx.W)
            tags = []
            acc = .allocate(capacity: channels * bandRows * ctx.W)
            if ctx.D > 1 {
                let slots = ctx.window.size + 2
                ring = .allocate(capacity: slots * channels * bandRows * ctx.W)
                tags = [Int](repeating: -1, count: slots)
            }
        }

        /// Frees the buffers (workers are local to one `run` call).
        func release() {
            padded.deallocate(); h.deallocate(); rowOut.deallocate()
            ring?.deallocate(); acc.deallocate()
        }

        /// 2D: filter the band and evaluate its rows.
        mutating func run2D<T: BinaryFloatingPoint, P: SSIMPointwise>(
            _ xb: UnsafePointer<T>, _ yb: UnsafePointer<T>, rows: Range<Int>, formula: P,
            sums: UnsafeMutablePointer<SSIMSums>, map: UnsafeMutablePointer<Float>?
        ) {
            let out = acc
            let inPlaneScale = ctx.window.isUniform ? ctx.window.weights[0] * ctx.window.weights[0] : 1
            filterBand(xb, yb, rows: rows, out: out)
            let stride = rows.count * ctx.W
            for j in rows {
                sums[j] = evaluateRow(k: 0, j: j, channel0: out + (j - rows.lowerBound) * ctx.W, stride: stride,
                                      scale: inPlaneScale, formula: formula, map: map)
            }
        }

        /// 3D: walk down the depth axis for one band of rows.
        mutating func run3D<T: BinaryFloatingPoint, P: SSIMPointwise>(
            _ xb: UnsafePointer<T>, _ yb: UnsafePointer<T>, rows: Range<Int>, slices: Range<Int>, formula: P,
            sums: UnsafeMutablePointer<SSIMSums>, map: UnsafeMutablePointer<Float>?
        ) {
            let D = ctx.D, r = ctx.window.radius, taps = ctx.window.size
            let sliceCount = ctx.H * ctx.W
            let n = channels * rows.count * ctx.W
            let slots = taps + 2
            let ring = self.ring!, acc = self.acc
            for s in 0..<slots { tags[s] = -1 }
            func filtered(_ k: Int) -> UnsafeMutablePointer<Double> {
                let slot = k % slots
                let dst = ring + slot * chunk
                if tags[slot] != k {
                    filterBand(xb + k * sliceCount, yb + k * sliceCount, rows: rows, out: dst)
                    tags[slot] = k
                }
                return dst
            }
            let w = ctx.window.weights
            for k in slices {
                if ctx.window.isUniform {
                    if k == slices.lowerBound {
                        for q in 0..<n { acc[q] = 0 }
                        for d in -r...r { let f = filtered(reflectIndex(k + d, D)); for q in 0..<n { acc[q] += f[q] } }
                    } else {
                        // acc holds the raw sum of `taps` slices; slide it by one.
                        let add = filtered(reflectIndex(k + r, D)), sub = filtered(reflectIndex(k - r - 1, D))
                        for q in 0..<n { acc[q] += add[q] - sub[q] }
                    }
                } else {
                    let f0 = filtered(reflectIndex(k - r, D)), w0 = w[0]
                    for q in 0..<n { acc[q] = w0 * f0[q] }
                    for t in 1..<taps {
                        let f = filtered(reflectIndex(k - r + t, D)), wt = w[t]
                        for q in 0..<n { acc[q] += wt * f[q] }
                    }
                }
                // Uniform windows: every pass leaves raw box sums; normalise by (1/taps)³ on reading.
                let scale = ctx.window.isUniform ? w[0] * w[0] * w[0] : 1
                let stride = rows.count * ctx.W
                for j in rows {
                    sums[k * ctx.H + j] = evaluateRow(k: k, j: j, channel0: acc + (j - rows.lowerBound) * ctx.W,
                                                      stride: stride, scale: scale, formula: formula, map: map)
                }
            }
        }

        /// Evaluates the formula along row j of slice k from the filtered channels (channel c of the row at
        /// `channel0 + c·stride`, multiplied by `scale`), writes the map row if asked, returns the row's sums.
        @inline(__always)
        func evaluateRow<P: SSIMPointwise>(k: Int, j: Int, channel0: UnsafeMutablePointer<Double>, stride: Int,
                                           scale: Double, formula: P, map: UnsafeMutablePointer<Float>?) -> SSIMSums {
            let H = ctx.H, W = ctx.W, D = ctx.D, crop = ctx.crop, cn = ctx.covNorm
            let inCropRow = j >= crop && j < H - crop && (D == 1 || (k >= crop && k < D - crop))
            let lo = map != nil ? 0 : crop, hi = map != nil ? W : W - crop
            var s = SSIMSums()
            if !inCropRow && map == nil { return s }
            let ux = channel0, uy = channel0 + stride, uxx = channel0 + 2 * stride
            let uyy = channel0 + 3 * stride, uxy = channel0 + 4 * stride
            let mOut = rowOut, csOut = rowOut + W
            for i in lo..<hi {
                let mx = scale * ux[i], my = scale * uy[i]
                let r = formula.evaluate(ux: mx, uy: my, vx: cn * (scale * uxx[i] - mx * mx),
                                         vy: cn * (scale * uyy[i] - my * my), vxy: cn * (scale * uxy[i] - mx * my))
                mOut[i] = r.map
                csOut[i] = r.cs
            }
            let base = (k * H + j) * W
            if let map { for i in 0..<W { map[base + i] = Float(mOut[i]) } }
            guard inCropRow else { return s }
            for i in crop..<(W - crop) { s.sum += mOut[i]; s.csSum += csOut[i] }
            s.count = W - 2 * crop
            if let mask = ctx.mask {
                for i in crop..<(W - crop) where mask[base + i] {
                    s.maskedSum += mOut[i]; s.maskedCSSum += csOut[i]; s.maskedCount += 1
                }
            }
            return s
        }

        /// In-slice filtering of rows `rows` of one slice pair.
        ///
        /// xs, ys: [H, W] -> out: [5, rows.count, W], channels x, y, x², y², xy filtered along width then height
        /// (uniform windows: raw box sums, not yet divided by taps²).
        func filterBand<T: BinaryFloatingPoint>(_ xs: UnsafePointer<T>, _ ys: UnsafePointer<T>, rows: Range<Int>,
                                                out: UnsafeMutablePointer<Double>) {
            let W = ctx.W, H = ctx.H, r = ctx.window.radius, taps = ctx.window.size
            let pw = W + 2 * r
            let hRows = rows.count + 2 * r
            let hStride = hRows * W
            ctx.window.weights.withUnsafeBufferPointer { wp in
                let w = wp.baseAddress!
                let px = padded, py = padded + pw, pxx = padded + 2 * pw, pyy = padded + 3 * pw, pxy = padded + 4 * pw
                // Width pass: padded products of each needed row (halo rows reflected), correlated with the taps.
                for hr in 0..<hRows {
                    let src = reflectIndex(rows.lowerBound - r + hr, H) * W
                    let xr = xs + src, yr = ys + src
                    for i in 0..<W { px[r + i] = Double(xr[i]); py[r + i] = Double(yr[i]) }
                    for t in 0..<r {
                        px[r - 1 - t] = px[r + t]; py[r - 1 - t] = py[r + t]
                        px[r + W + t] = px[r + W - 1 - t]; py[r + W + t] = py[r + W - 1 - t]
                    }
                    for t in 0..<pw { let a = px[t], b = py[t]; pxx[t] = a * a; pyy[t] = b * b; pxy[t] = a * b }
                    if ctx.window.isUniform {
                        boxSums(padded, stride: pw, into: h + hr * W, outStride: hStride, count: W, taps: taps)
                    } else {
                        for c in 0..<channels {
                            correlate(padded + c * pw, into: h + c * hStride + hr * W, count: W, weights: w, taps: taps)
                        }
                    }
                }
                // Height pass into out[c][j − rows.lowerBound][i].
                let oStride = rows.count * W
                for c in 0..<channels {
                    let hc = h + c * hStride, oc = out + c * oStride
                    if ctx.window.isUniform {
                        // Running sum of `taps` rows (h rows are already reflected). Raw box sums are kept;
                        // `evaluateRow` applies the normalisation.
                        for i in 0..<W { oc[i] = 0 }
                        for t in 0..<taps { let s = hc + t * W; for i in 0..<W { oc[i] += s[i] } }
                        for jj in 1..<max(1, rows.count) {
                            let o = oc + jj * W, prev = oc + (jj - 1) * W
                            let add = hc + (jj + taps - 1) * W, sub = hc + (jj - 1) * W
                            for i in 0..<W { o[i] = prev[i] + add[i] - sub[i] }
                        }
                    } else {
                        for jj in 0..<rows.count {
                            let o = oc + jj * W
                            let w0 = w[0], s0 = hc + jj * W
                            for i in 0..<W { o[i] = w0 * s0[i] }
                            for t in 1..<taps {
                                let wt = w[t], s = hc + (jj + t) * W
                                for i in 0..<W { o[i] += wt * s[i] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Raw box sums of the five channel rows (channel c at `src + c·stride`, length count + taps − 1):
    /// dst_c[i] = Σ_{t < taps} src_c[i + t], by running sums (two operations per output; the five channels are
    /// independent chains, so the adds overlap).
    @inline(__always)
    static func boxSums(_ src: UnsafePointer<Double>, stride: Int, into dst: UnsafeMutablePointer<Double>,
                        outStride: Int, count: Int, taps: Int) {
        let a = src, b = src + stride, c = src + 2 * stride, d = src + 3 * stride, e = src + 4 * stride
        let da = dst, db = dst + outStride, dc = dst + 2 * outStride, dd = dst + 3 * outStride, de = dst + 4 * outStride
        var sa = 0.0, sb = 0.0, sc = 0.0, sd = 0.0, se = 0.0
        for t in 0..<taps { sa += a[t]; sb += b[t]; sc += c[t]; sd += d[t]; se += e[t] }
        da[0] = sa; db[0] = sb; dc[0] = sc; dd[0] = sd; de[0] = se
        for i in 1..<max(1, count) {
            let add = i + taps - 1, sub = i - 1
            sa += a[add] - a[sub]; sb += b[add] - b[sub]; sc += c[add] - c[sub]; sd += d[add] - d[sub]; se += e[add] - e[sub]
            da[i] = sa; db[i] = sb; dc[i] = sc; dd[i] = sd; de[i] = se
        }
    }

    /// dst[i] = Σ_t w[t]·src[i + t] for i < count, with the 7- and 11-tap cases unrolled so each output is
    /// summed in registers.
    @inline(__always)
    static func correlate(_ src: UnsafePointer<Double>, into dst: UnsafeMutablePointer<Double>, count: Int,
                          weights w: UnsafePointer<Double>, taps: Int) {
        if taps == 7 {
            let (w0, w1, w2, w3, w4, w5, w6) = (w[0], w[1], w[2], w[3], w[4], w[5], w[6])
            for i in 0..<count {
                let s = src + i
                dst[i] = w0 * s[0] + w1 * s[1] + w2 * s[2] + w3 * s[3] + w4 * s[4] + w5 * s[5] + w6 * s[6]
            }
        } else if taps == 11 {
            let (w0, w1, w2, w3, w4, w5) = (w[0], w[1], w[2], w[3], w[4], w[5])
            let (w6, w7, w8, w9, w10) = (w[6], w[7], w[8], w[9], w[10])
            for i in 0..<count {
                let s = src + i
                let a = w0 * s[0] + w1 * s[1] + w2 * s[2] + w3 * s[3] + w4 * s[4] + w5 * s[5]
                dst[i] = a + w6 * s[6] + w7 * s[7] + w8 * s[8] + w9 * s[9] + w10 * s[10]
            }
        } else {
            for i in 0..<count {
                var a = 0.0
                for t in 0..<taps { a += w[t] * src[i + t] }
                dst[i] = a
            }
        }
    }
}

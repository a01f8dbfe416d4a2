import Foundation
import MedCore
import MedIO

/// The pointwise part of an SSIM-like index: from local means and (co)variances to one map value and the
/// contrast-structure term. Generic so the fast loops specialise for each formula.
protocol SSIMPointwise {
    /// - Parameters: ux, uy local means; vx, vy local variances; vxy local covariance (already scaled by the
    ///   covariance normalisation).
    /// - Returns: the map value and cs = (2·vxy + C2) / (vx + vy + C2) (or the formula's equivalent).
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double)
}

/// Wang et al.'s SSIM: ((2 ux uy + C1)(2 vxy + C2)) / ((ux² + uy² + C1)(vx + vy + C2)).
struct StandardSSIMFormula: SSIMPointwise {
    let c1: Double
    let c2: Double
    @inline(__always)
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double) {
        let cs = (2 * vxy + c2) / (vx + vy + c2)
        return ((2 * ux * uy + c1) / (ux * ux + uy * uy + c1) * cs, cs)
    }
}

/// A separable, normalised filter window: `weights` has 2r+1 taps summing to 1.
struct SSIMWindow: Sendable {
    /// The taps, centred; a uniform window has all taps equal to 1/(2r+1).
    let weights: [Double]
    /// True for a box window (the engine then uses running sums along height and depth).
    let isUniform: Bool
    /// r: taps on each side of the centre.
    var radius: Int { weights.count / 2 }
    /// 2r+1.
    var size: Int { weights.count }

    /// scipy.ndimage.uniform_filter's window of `size` (odd) taps.
    static func uniform(size: Int) -> SSIMWindow {
        SSIMWindow(weights: [Double](repeating: 1 / Double(size), count: size), isUniform: true)
    }

    /// scipy.ndimage.gaussian_filter's window: taps exp(−x²/(2σ²)) for x in −r…r, r = ⌊truncate·σ + 0.5⌋,
    /// normalised to sum 1 (pytorch_msssim's `_fspecial_gauss_1d` gives the same taps for size 2r+1).
    static func gaussian(sigma: Double, truncate: Double) -> SSIMWindow {
        let r = Int(truncate * sigma + 0.5)
        var w = (-r...r).map { x in exp(-0.5 * Double(x * x) / (sigma * sigma)) }
        let s = w.reduce(0, +)
        for i in w.indices { w[i] /= s }
        return SSIMWindow(weights: w, isUniform: false)
    }
}

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
/// 2D (depth 1): row bands in parallel. 3D: slabs of output slices in parallel; each worker keeps a ring of
/// 2D-filtered slices and runs the depth pass (running sums for a uniform window, direct taps otherwise).
/// All arithmetic is Double. Partial sums are kept per output row and added in order, so the result does not
/// depend on the number of threads.
enum SSIMEngine {
    /// Channel order in the filtered buffers.
    static let channels = 5

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
        x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
        rowSums.withUnsafeMutableBufferPointer { sumsP in
            let xb = xp.baseAddress!, yb = yp.baseAddress!, sb = sumsP.baseAddress!
            let mb = mapBuffer
            let ctx = Context(H: H, W: W, D: D, window: window, covNorm: covNorm, crop: crop, mask: mask)
            if D == 1 {
                Parallel.forEachChunk(count: jRange.count, minimumChunk: 32) { chunk in
                    let rows = (jRange.lowerBound + chunk.lowerBound)..<(jRange.lowerBound + chunk.upperBound)
                    var scratch = Scratch(W: W, radius: window.radius, bandRows: rows.count)
                    let out = UnsafeMutablePointer<Double>.allocate(capacity: channels * rows.count * W)
                    defer { out.deallocate() }
                    filterSlice(xb, yb, ctx: ctx, rows: rows, scratch: &scratch, out: out)
                    for j in rows {
                        let off = (j - rows.lowerBound) * W
                        sb[j] = ctx.evaluateRow(k: 0, j: j, rowStride: rows.count * W,
                                                channel0: out + off, formula: formula, map: mb)
                    }
                }
            } else {
                Parallel.forEachChunk(count: kRange.count, minimumChunk: 1) { chunk in
                    let ks = (kRange.lowerBound + chunk.lowerBound)..<(kRange.lowerBound + chunk.upperBound)
                    run3D(xb, yb, ctx: ctx, slices: ks, jRange: jRange, formula: formula, sums: sb, map: mb)
                }
            }
        }}}
        var total = SSIMSums()
        for s in rowSums { total.add(s) }
        let map = mapBuffer.map { Array(UnsafeBufferPointer(start: $0, count: shape.voxelCount)) }
        return (total, map)
    }

    /// Geometry and settings shared by the loops.
    struct Context {
        let H: Int, W: Int, D: Int
        let window: SSIMWindow
        let covNorm: Double
        let crop: Int
        let mask: [Bool]?

        /// Evaluates the formula along row j of slice k from the filtered channels (channel c of the row at
        /// `channel0 + c·rowStride`), writes the map row if asked, and returns the row's sums.
        @inline(__always)
        func evaluateRow<P: SSIMPointwise>(k: Int, j: Int, rowStride: Int, channel0: UnsafeMutablePointer<Double>,
                                           formula: P, map: UnsafeMutablePointer<Float>?) -> SSIMSums {
            let inCropRow = j >= crop && j < H - crop && (D == 1 || (k >= crop && k < D - crop))
            let ux = channel0, uy = channel0 + rowStride, uxx = channel0 + 2 * rowStride
            let uyy = channel0 + 3 * rowStride, uxy = channel0 + 4 * rowStride
            var s = SSIMSums()
            let base = (k * H + j) * W
            let iRange = map != nil ? 0..<W : (inCropRow ? crop..<(W - crop) : 0..<0)
            for i in iRange {
                let mx = ux[i], my = uy[i]
                let r = formula.evaluate(ux: mx, uy: my, vx: covNorm * (uxx[i] - mx * mx),
                                         vy: covNorm * (uyy[i] - my * my), vxy: covNorm * (uxy[i] - mx * my))
                map?[base + i] = Float(r.map)
                if inCropRow && i >= crop && i < W - crop {
                    s.sum += r.map; s.csSum += r.cs; s.count += 1
                    if let mask, mask[base + i] {
                        s.maskedSum += r.map; s.maskedCSSum += r.cs; s.maskedCount += 1
                    }
                }
            }
            return s
        }
    }

    /// Per-worker buffers for the in-slice passes.
    struct Scratch {
        var padded: [Double]
        var h: [Double]
        let paddedWidth: Int
        init(W: Int, radius: Int, bandRows: Int) {
            paddedWidth = W + 2 * radius
            padded = [Double](repeating: 0, count: channels * paddedWidth)
            h = [Double](repeating: 0, count: channels * (bandRows + 2 * radius) * W)
        }
    }

    /// In-slice filtering of rows `rows` of one slice pair.
    ///
    /// xs, ys: [H, W] -> out: [5, rows.count, W] with channels x, y, x², y², xy filtered along width then height.
    static func filterSlice<T: BinaryFloatingPoint>(
        _ xs: UnsafePointer<T>, _ ys: UnsafePointer<T>, ctx: Context, rows: Range<Int>,
        scratch: inout Scratch, out: UnsafeMutablePointer<Double>
    ) {
        let W = ctx.W, H = ctx.H, r = ctx.window.radius, taps = ctx.window.size
        let pw = scratch.paddedWidth
        let hRows = rows.count + 2 * r
        let weights = ctx.window.weights
        scratch.padded.withUnsafeMutableBufferPointer { pp in
        scratch.h.withUnsafeMutableBufferPointer { hp in
        weights.withUnsafeBufferPointer { wp in
            let p = pp.baseAddress!, h = hp.baseAddress!, w = wp.baseAddress!
            let hStride = hRows * W
            // Width pass: for each needed row (with a halo of r rows, reflected), build the padded products
            // and correlate with the taps; the inner loops run along contiguous memory and vectorise.
            for hr in 0..<hRows {
                let src = reflectIndex(rows.lowerBound - r + hr, H) * W
                let px = p, py = p + pw, pxx = p + 2 * pw, pyy = p + 3 * pw, pxy = p + 4 * pw
                for t in 0..<pw {
                    let c = reflectIndex(t - r, W)
                    let a = Double(xs[src + c]), b = Double(ys[src + c])
                    px[t] = a; py[t] = b; pxx[t] = a * a; pyy[t] = b * b; pxy[t] = a * b
                }
                for c in 0..<channels {
                    let dst = h + c * hStride + hr * W
                    let srcRow = p + c * pw
                    let w0 = w[0]
                    for i in 0..<W { dst[i] = w0 * srcRow[i] }
                    for t in 1..<taps {
                        let wt = w[t], s = srcRow + t
                        for i in 0..<W { dst[i] += wt * s[i] }
                    }
                }
            }
            // Height pass into out[c][j - rows.lowerBound][i].
            let oStride = rows.count * W
            for c in 0..<channels {
                let hc = h + c * hStride, oc = out + c * oStride
                if ctx.window.isUniform {
                    let wt = w[0]
                    // Running sum of `taps` rows; rows of h are already reflected, so no index mapping.
                    let o0 = oc
                    for i in 0..<W { o0[i] = 0 }
                    for t in 0..<taps { let s = hc + t * W; for i in 0..<W { o0[i] += s[i] } }
                    for jj in 1..<rows.count {
                        let o = oc + jj * W, prev = oc + (jj - 1) * W
                        let add = hc + (jj + taps - 1) * W, sub = hc + (jj - 1) * W
                        for i in 0..<W { o[i] = prev[i] + add[i] - sub[i] }
                    }
                    for idx in 0..<oStride { oc[idx] *= wt }
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
        }}}
    }

    /// 3D: output slices `slices`, each filtered along depth from a ring of in-slice-filtered slices.
    static func run3D<T: BinaryFloatingPoint, P: SSIMPointwise>(
        _ xb: UnsafePointer<T>, _ yb: UnsafePointer<T>, ctx: Context, slices: Range<Int>, jRange: Range<Int>,
        formula: P, sums: UnsafeMutablePointer<SSIMSums>, map: UnsafeMutablePointer<Float>?
    ) {
        let H = ctx.H, W = ctx.W, D = ctx.D, r = ctx.window.radius, taps = ctx.window.size
        let sliceCount = H * W
        let chunk = channels * sliceCount
        let slots = taps + 2
        let ring = UnsafeMutablePointer<Double>.allocate(capacity: slots * chunk)
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: chunk)
        defer { ring.deallocate(); acc.deallocate() }
        var tags = [Int](repeating: -1, count: slots)
        var scratch = Scratch(W: W, radius: r, bandRows: H)
        func filtered(_ k: Int) -> UnsafeMutablePointer<Double> {
            let slot = k % slots
            let dst = ring + slot * chunk
            if tags[slot] != k {
                filterSlice(xb + k * sliceCount, yb + k * sliceCount, ctx: ctx, rows: 0..<H, scratch: &scratch, out: dst)
                tags[slot] = k
            }
            return dst
        }
        let w = ctx.window.weights
        let row = UnsafeMutablePointer<Double>.allocate(capacity: channels * W)
        defer { row.deallocate() }
        for k in slices {
            if ctx.window.isUniform {
                if k == slices.lowerBound {
                    for n in 0..<chunk { acc[n] = 0 }
                    for d in -r...r { let f = filtered(reflectIndex(k + d, D)); for n in 0..<chunk { acc[n] += f[n] } }
                } else {
                    // acc holds the raw sum of `taps` slices; slide it by one.
                    let add = filtered(reflectIndex(k + r, D)), sub = filtered(reflectIndex(k - r - 1, D))
                    for n in 0..<chunk { acc[n] += add[n] - sub[n] }
                }
            } else {
                let f0 = filtered(reflectIndex(k - r, D)), w0 = w[0]
                for n in 0..<chunk { acc[n] = w0 * f0[n] }
                for t in 1..<taps {
                    let f = filtered(reflectIndex(k - r + t, D)), wt = w[t]
                    for n in 0..<chunk { acc[n] += wt * f[n] }
                }
            }
            // The uniform depth sum is un-normalised (running sums of raw slices); scale rows as they are read.
            let scale = ctx.window.isUniform ? w[0] : 1
            for j in jRange {
                for c in 0..<channels {
                    let src = acc + c * sliceCount + j * W, dst = row + c * W
                    for i in 0..<W { dst[i] = scale * src[i] }
                }
                sums[k * H + j] = ctx.evaluateRow(k: k, j: j, rowStride: W, channel0: row, formula: formula, map: map)
            }
        }
    }
}

/// The 2D SSIM path for a uniform (box) window, scikit-image's default: two rows per instruction, the working
/// set of one pair of rows in small buffers.
///
/// x, y: [H, W] → per output row j: the sums of the formula over the row (and, when asked, the map row).
///
/// A band of output rows [lo, hi) is split into an upper half (lane 0 of `SIMD2<Double>`) and a lower half
/// (lane 1), both walked down one row per step. Per step:
/// 1. vertical: the column sums of x, y, x², y², xy over the window's 2r+1 rows are updated with the entering
///    and the leaving row (a running sum; it restarts at every band, and bands are fixed, so the rounding does
///    not depend on how threads split the image);
/// 2. horizontal and pointwise, fused: a running sum along the row over the column sums gives the raw box
///    sums of both lanes' rows, which are scaled by 1/taps² into means and (co)variances and fed to the
///    formula; the values go to `rowOut`;
/// 3. the row sums (in column order, per row), the masked sums and the map row are taken from `rowOut`.
/// Rows are reflected at the image border as scipy's 'reflect' mode does; columns likewise, by padding the
/// column sums. All arithmetic is Double. Tests compare this path with the direct window-loop oracle and
/// with the general separable path (`SSIMEngine.Worker`).
struct SSIMBoxWorker2D<T: BinaryFloatingPoint> {
    let x: UnsafePointer<T>, y: UnsafePointer<T>
    let H: Int, W: Int
    /// Window radius r (taps = 2r + 1).
    let r: Int
    /// 1/taps²: raw box sums → local means.
    let scale: Double
    /// Factor on the variances and covariance (NP/(NP−1) for sample covariance).
    let covNorm: Double
    /// Rows and columns dropped on every side before summing.
    let crop: Int
    /// Optional flags, [H, W]; the masked sums cover the cropped voxels whose flag is set.
    let mask: UnsafePointer<Bool>?
    /// Column sums of the current pair of rows, the five channels (x, y, x², y², xy) of a column side by side:
    /// column i at `columns + 5·(r + 1 + i)`, with r + 1 reflected columns on the left and r on the right.
    let columns: UnsafeMutablePointer<SIMD2<Double>>
    /// Padded columns: W + 2r + 1.
    let pitch: Int
    /// Map and cs values of the current pair of rows (lane 0, lane 1): map of column i at `rowOut[i]`, cs at
    /// `rowOut[W + i]`.
    let rowOut: UnsafeMutablePointer<SIMD2<Double>>

    init(x: UnsafePointer<T>, y: UnsafePointer<T>, H: Int, W: Int, window: SSIMWindow, covNorm: Double,
         crop: Int, mask: UnsafePointer<Bool>?) {
        precondition(window.isUniform && H >= window.size && W >= window.size, "box path needs a uniform window that fits")
        self.x = x; self.y = y; self.H = H; self.W = W
        r = window.radius
        scale = window.weights[0] * window.weights[0]
        self.covNorm = covNorm
        self.crop = crop
        self.mask = mask
        pitch = W + 2 * r + 1
        columns = .allocate(capacity: SSIMEngine.channels * pitch)
        rowOut = .allocate(capacity: 2 * W)
    }

    /// Frees the buffers (a worker is local to one `SSIMEngine.run` call).
    func release() {
        columns.deallocate()
        rowOut.deallocate()
    }

    /// Evaluates output rows `rows` (one band) and stores each row's sums at `sums[j]`; writes the map rows
    /// (every column) when `map` is given.
    func run<P: SSIMPointwise>(rows: Range<Int>, formula: P, sums: UnsafeMutablePointer<SSIMSums>,
                               map: UnsafeMutablePointer<Float>?) {
        let half = (rows.count + 1) / 2
        // Lane 1 may run one row past the band (odd band); that row is computed and dropped.
        let start = (rows.lowerBound, rows.lowerBound + half)
        let lo = map != nil ? 0 : crop, hi = map != nil ? W : W - crop
        for e in 0..<(SSIMEngine.channels * pitch) { columns[e] = .zero }
        for t in -r...r { updateColumns(adding: (start.0 + t, start.1 + t), removing: nil) }
        for step in 0..<half {
            let j = (start.0 + step, start.1 + step)
            if step > 0 { updateColumns(adding: (j.0 + r, j.1 + r), removing: (j.0 - r - 1, j.1 - r - 1)) }
            padColumns()
            evaluateRows(lo: lo, hi: hi, formula: formula)
            var (mapSum, csSum) = (SIMD2<Double>.zero, SIMD2<Double>.zero)
            for i in crop..<(W - crop) {
                mapSum = mapSum + rowOut[i]
                csSum = csSum + rowOut[W &+ i]
            }
            sums[j.0] = rowSums(j: j.0, lane: 0, mapSum: mapSum[0], csSum: csSum[0], map: map)
            if j.1 < rows.upperBound {
                sums[j.1] = rowSums(j: j.1, lane: 1, mapSum: mapSum[1], csSum: csSum[1], map: map)
            }
        }
    }

    // The loops below use only SIMD2-with-SIMD2 arithmetic written as `a = a + b` and end every iteration
    // with stores: Swift lowers SIMD2<Double> arithmetic lane by lane and leaves it to LLVM to re-form vector
    // instructions, which it does reliably from stores but not from loop-carried sums (`+=`, mixed
    // scalar-vector operators and in-loop reductions gave lane-shuffling code at half the speed).

    /// Adds the five products of input rows `adding` (lane 0, lane 1; reflected) to the column sums and, when
    /// given, subtracts those of rows `removing`.
    @inline(__always)
    func updateColumns(adding: (Int, Int), removing: (Int, Int)?) {
        let a0 = reflectIndex(adding.0, H) * W, a1 = reflectIndex(adding.1, H) * W
        let xa0 = x + a0, xa1 = x + a1, ya0 = y + a0, ya1 = y + a1
        let c = columns + 5 * (r + 1)
        if let removing {
            let s0 = reflectIndex(removing.0, H) * W, s1 = reflectIndex(removing.1, H) * W
            let xs0 = x + s0, xs1 = x + s1, ys0 = y + s0, ys1 = y + s1
            for i in 0..<W {
                let xa = SIMD2(Double(xa0[i]), Double(xa1[i])), ya = SIMD2(Double(ya0[i]), Double(ya1[i]))
                let xs = SIMD2(Double(xs0[i]), Double(xs1[i])), ys = SIMD2(Double(ys0[i]), Double(ys1[i]))
                let ci = c + 5 &* i
                ci[0] = ci[0] + (xa - xs)
                ci[1] = ci[1] + (ya - ys)
                ci[2] = ci[2] + (xa * xa - xs * xs)
                ci[3] = ci[3] + (ya * ya - ys * ys)
                ci[4] = ci[4] + (xa * ya - xs * ys)
            }
        } else {
            for i in 0..<W {
                let xa = SIMD2(Double(xa0[i]), Double(xa1[i])), ya = SIMD2(Double(ya0[i]), Double(ya1[i]))
                let ci = c + 5 &* i
                ci[0] = ci[0] + xa
                ci[1] = ci[1] + ya
                ci[2] = ci[2] + xa * xa
                ci[3] = ci[3] + ya * ya
                ci[4] = ci[4] + xa * ya
            }
        }
    }

    /// Copies reflected columns into the padding: column −1−t = column t (t ≤ r), column W+t = column W−1−t.
    @inline(__always)
    func padColumns() {
        let col = columns + 5 * (r + 1)
        for t in 0...r { (col - 5 * (1 + t)).update(from: col + 5 * t, count: 5) }
        for t in 0..<r { (col + 5 * (W + t)).update(from: col + 5 * (W - 1 - t), count: 5) }
    }

    /// Box sums along the row (running, over the padded column sums) and the formula for columns lo..<hi of
    /// both lanes' rows, into `rowOut`.
    @inline(__always)
    func evaluateRows<P: SSIMPointwise>(lo: Int, hi: Int, formula: P) {
        // s holds columns lo−r−1 … lo+r−1; each step adds column i+r and drops column i−r−1.
        var s0 = SIMD2<Double>.zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0
        for t in (lo - r - 1)..<(lo + r) {
            let ct = columns + 5 * (r + 1 + t)
            s0 = s0 + ct[0]; s1 = s1 + ct[1]; s2 = s2 + ct[2]; s3 = s3 + ct[3]; s4 = s4 + ct[4]
        }
        let k = SIMD2(repeating: scale), cn = SIMD2(repeating: covNorm)
        // Column i+r enters at `enter + 5·i`, column i−r−1 leaves at `leave + 5·i`.
        let enter = columns + 5 * (2 * r + 1), leave = columns
        for i in lo..<hi {
            let a = enter + 5 &* i, b = leave + 5 &* i
            s0 = s0 + (a[0] - b[0]); s1 = s1 + (a[1] - b[1]); s2 = s2 + (a[2] - b[2])
            s3 = s3 + (a[3] - b[3]); s4 = s4 + (a[4] - b[4])
            let mx = k * s0, my = k * s1
            let v = formula.evaluate(ux: mx, uy: my, vx: cn * (k * s2 - mx * mx), vy: cn * (k * s3 - my * my),
                                     vxy: cn * (k * s4 - mx * my))
            rowOut[i] = v.map
            rowOut[W &+ i] = v.cs
        }
    }

    /// The sums of output row j (lane `lane` of `rowOut`, its cropped sums given); the masked sums; writes the
    /// map row when `map` is given.
    func rowSums(j: Int, lane: Int, mapSum: Double, csSum: Double, map: UnsafeMutablePointer<Float>?) -> SSIMSums {
        let mOut = rowOut, csOut = rowOut + W
        if let map { for i in 0..<W { map[j * W + i] = Float(mOut[i][lane]) } }
        var s = SSIMSums()
        guard j >= crop && j < H - crop else { return s }
        s.sum = mapSum
        s.csSum = csSum
        s.count = W - 2 * crop
        if let mask {
            for i in crop..<(W - crop) where mask[j * W + i] {
                s.maskedSum += mOut[i][lane]; s.maskedCSSum += csOut[i][lane]; s.maskedCount += 1
            }
        }
        return s
    }
}

/// 2-D convolution (cross-correlation, as in PyTorch) by im2col + sgemm, one image of the batch at a time.
///
/// The three kernels are the forward pass and its two adjoints; a transposed convolution uses the same three
/// with the roles exchanged (its forward is `backwardData`, see Conv2d.swift). The column matrix lives in a
/// block from `ScratchPool` (skipped entirely for 1×1, stride-1, unpadded kernels, where it equals the image).
enum Conv2dKernel {
    /// x: [N, C, H, W], w: [K, C, kh, kw], bias: [K] or nil -> y: [N, K, OH, OW].
    /// y[n, k] = Σ_{c,i,j} w[k, c, i, j] · x[n, c, oh·s − p + i, ow·s − p + j] + bias[k].
    static func forward(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                        outChannels k: Int, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) {
        let (rows, cols) = (g.columnRows, g.columnCount)
        withColumnBuffer(g) { col in
            for n in 0..<batch {
                let xn = x + n * g.channels * g.height * g.width, yn = y + n * k * cols
                let colMatrix: UnsafePointer<Float>
                if let col { Im2col.im2col(xn, col, g); colMatrix = UnsafePointer(col) } else { colMatrix = xn }
                if let bias {
                    for o in 0..<k { (yn + o * cols).update(repeating: bias[o], count: cols) }
                }
                // yn [K, OH·OW] = w [K, C·kh·kw] · col [C·kh·kw, OH·OW] (+ bias rows)
                Gemm.sgemm(m: k, n: cols, k: rows, a: w, lda: rows, b: colMatrix, ldb: cols,
                           beta: bias == nil ? 0 : 1, c: yn, ldc: cols)
            }
        }
    }

    /// gy: [N, K, OH, OW], w: [K, C, kh, kw] -> gx: [N, C, H, W], the gradient of `forward` with respect to x
    /// (overwrites gx).
    static func backwardData(_ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                             outChannels k: Int, _ gx: UnsafeMutablePointer<Float>) {
        let (rows, cols) = (g.columnRows, g.columnCount)
        withColumnBuffer(g) { col in
            for n in 0..<batch {
                let gyn = gy + n * k * cols, gxn = gx + n * g.channels * g.height * g.width
                // colGrad [C·kh·kw, OH·OW] = wᵀ [C·kh·kw, K] · gy [K, OH·OW]
                Gemm.sgemm(transA: true, m: rows, n: cols, k: k, a: w, lda: rows, b: gyn, ldb: cols,
                           c: col ?? gxn, ldc: cols)
                if let col { Im2col.col2im(col, gxn, g) }
            }
        }
    }

    /// x: [N, C, H, W], gy: [N, K, OH, OW] -> gw: [K, C, kh, kw], the gradient of `forward` with respect to w,
    /// summed over the batch (overwrites gw).
    static func backwardWeight(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry,
                               outChannels k: Int, _ gw: UnsafeMutablePointer<Float>) {
        let (rows, cols) = (g.columnRows, g.columnCount)
        if batch == 0 { gw.update(repeating: 0, count: k * rows); return }
        withColumnBuffer(g) { col in
            for n in 0..<batch {
                let xn = x + n * g.channels * g.height * g.width, gyn = gy + n * k * cols
                let colMatrix: UnsafePointer<Float>
                if let col { Im2col.im2col(xn, col, g); colMatrix = UnsafePointer(col) } else { colMatrix = xn }
                // gw [K, C·kh·kw] (+)= gy [K, OH·OW] · colᵀ [OH·OW, C·kh·kw]
                Gemm.sgemm(transB: true, m: k, n: rows, k: cols, a: gyn, lda: cols, b: colMatrix, ldb: cols,
                           beta: n == 0 ? 0 : 1, c: gw, ldc: rows)
            }
        }
    }

    /// y: [N, K, S] += bias: [K] broadcast over the batch and the S spatial positions.
    static func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, batch: Int, channels k: Int,
                        spatial: Int) {
        for n in 0..<batch {
            for o in 0..<k {
                let row = y + (n * k + o) * spatial, b = bias[o]
                for i in 0..<spatial { row[i] += b }
            }
        }
    }

    /// Calls `body` with a column-matrix scratch buffer, or nil when the image itself serves as the column matrix.
    private static func withColumnBuffer(_ g: ConvGeometry, _ body: (UnsafeMutablePointer<Float>?) -> Void) {
        if g.isIdentity { body(nil); return }
        ScratchPool.shared.withBuffer(count: g.columnRows * g.columnCount) { body($0) }
    }

    // MARK: - Reference (direct loops in Double: the test oracle)

    /// The convolution sum written out, x: [N, C, H, W], w: [K, C, kh, kw], bias: [K] or empty -> [N, K, OH, OW].
    static func forwardReference(_ x: [Float], batch: Int, _ g: ConvGeometry, weight w: [Float], outChannels k: Int,
                                 bias: [Float]) -> [Float] {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var y = [Float](repeating: 0, count: batch * k * oh * ow)
        for n in 0..<batch { for o in 0..<k { for r in 0..<oh { for q in 0..<ow {
            var s = bias.isEmpty ? 0.0 : Double(bias[o])
            for c in 0..<g.channels { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
                let ih = r * g.strideH - g.padH + i, iw = q * g.strideW - g.padW + j
                guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                s += Double(x[((n * g.channels + c) * g.height + ih) * g.width + iw])
                    * Double(w[((o * g.channels + c) * g.kernelH + i) * g.kernelW + j])
            } } }
            y[((n * k + o) * oh + r) * ow + q] = Float(s)
        } } } }
        return y
    }

    /// dL/dx by scattering each output gradient back through the window, gy: [N, K, OH, OW] -> [N, C, H, W].
    static func backwardDataReference(_ gy: [Float], batch: Int, _ g: ConvGeometry, weight w: [Float],
                                      outChannels k: Int) -> [Float] {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var gx = [Double](repeating: 0, count: batch * g.channels * g.height * g.width)
        for n in 0..<batch { for o in 0..<k { for r in 0..<oh { for q in 0..<ow {
            let gv = Double(gy[((n * k + o) * oh + r) * ow + q])
            for c in 0..<g.channels { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
                let ih = r * g.strideH - g.padH + i, iw = q * g.strideW - g.padW + j
                guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                gx[((n * g.channels + c) * g.height + ih) * g.width + iw]
                    += gv * Double(w[((o * g.channels + c) * g.kernelH + i) * g.kernelW + j])
            } } }
        } } } }
        return gx.map { Float($0) }
    }

    /// dL/dw summed over the batch, x: [N, C, H, W], gy: [N, K, OH, OW] -> [K, C, kh, kw].
    static func backwardWeightReference(_ x: [Float], _ gy: [Float], batch: Int, _ g: ConvGeometry,
                                        outChannels k: Int) -> [Float] {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var gw = [Double](repeating: 0, count: k * g.columnRows)
        for n in 0..<batch { for o in 0..<k { for r in 0..<oh { for q in 0..<ow {
            let gv = Double(gy[((n * k + o) * oh + r) * ow + q])
            for c in 0..<g.channels { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
                let ih = r * g.strideH - g.padH + i, iw = q * g.strideW - g.padW + j
                guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                gw[((o * g.channels + c) * g.kernelH + i) * g.kernelW + j]
                    += gv * Double(x[((n * g.channels + c) * g.height + ih) * g.width + iw])
            } } }
        } } } }
        return gw.map { Float($0) }
    }

    /// The transposed convolution by its definition (every input pixel scatters a weighted kernel into the output),
    /// x: [N, Cin, H, W], w: [Cin, Cout, kh, kw], bias: [Cout] or empty -> y: [N, Cout, OH, OW] with
    /// OH = (H − 1)·s − 2p + kh + outputPadding.
    static func transposedReference(_ x: [Float], batch: Int, inChannels cin: Int, height h: Int, width wd: Int,
                                    weight w: [Float], outChannels cout: Int, kernelH kh: Int, kernelW kw: Int,
                                    stride s: Int, padding p: Int, outputPadding op: Int, bias: [Float]) -> [Float] {
        let oh = (h - 1) * s - 2 * p + kh + op, ow = (wd - 1) * s - 2 * p + kw + op
        var y = [Double](repeating: 0, count: batch * cout * oh * ow)
        for n in 0..<batch { for co in 0..<cout {
            for r in 0..<oh { for q in 0..<ow { y[((n * cout + co) * oh + r) * ow + q] = bias.isEmpty ? 0 : Double(bias[co]) } }
            for ci in 0..<cin { for ih in 0..<h { for iw in 0..<wd {
                let xv = Double(x[((n * cin + ci) * h + ih) * wd + iw])
                for i in 0..<kh { for j in 0..<kw {
                    let r = ih * s - p + i, q = iw * s - p + j
                    guard r >= 0 && r < oh && q >= 0 && q < ow else { continue }
                    y[((n * cout + co) * oh + r) * ow + q] += xv * Double(w[((ci * cout + co) * kh + i) * kw + j])
                } }
            } } }
        } }
        return y.map { Float($0) }
    }
}

/// 2-D and 3-D convolution (cross-correlation, as in PyTorch) by im2col + sgemm, one image of the batch at a time.
/// Shapes below are written for 2-D; in 3-D every spatial H, W gains a leading D (kernel kd, output OD).
///
/// The three kernels are the forward pass and its two adjoints; a transposed convolution uses the same three
/// with the roles exchanged (its forward is `backwardData`, see Convolution.swift). The column matrix is built
/// in tiles of whole window-grid rows, at most `columnTileBudget` Floats each, in a block from `ScratchPool`
/// (skipped entirely for 1×1, stride-1, unpadded kernels, where it equals the image); each tile is one sgemm.
/// With `backend` .oneDNN (the default, `ConvBackend.current`) each kernel runs through `DNNLConvolution`
/// instead, and comes back here only where oneDNN declines the shape.
enum ConvKernel {
    /// The most Floats a column-matrix tile holds (8 MB): large enough for efficient products, small enough to
    /// stay in the last-level cache and never to fault in hundreds of MB.
    static let columnTileBudget = 2 << 20

    /// Grid rows per column tile for `g` (at least one) within `budget` Floats.
    static func tileRows(_ g: ConvGeometry, budget: Int = columnTileBudget) -> Int {
        max(1, min(Im2col.gridRows(g), budget / max(1, g.columnRows * g.outWidth)))
    }

    /// Calls `body(gridRows, columnOffset, tileColumns, col)` for each tile of the window grid, with `col` holding
    /// that tile's column matrix (filled by im2col from `image` when given; else left for the body to fill).
    private static func forEachTile(_ g: ConvGeometry, budget: Int, image: UnsafePointer<Float>?,
                                    _ body: (Range<Int>, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let (gridRows, rowsPerTile, ow) = (Im2col.gridRows(g), tileRows(g, budget: budget), g.outWidth)
        ScratchPool.shared.withBuffer(count: g.columnRows * rowsPerTile * ow) { col in
            for t0 in stride(from: 0, to: gridRows, by: rowsPerTile) {
                let tiles = t0..<min(gridRows, t0 + rowsPerTile)
                if let image { Im2col.im2col(image, col, g, gridRows: tiles) }
                body(tiles, t0 * ow, tiles.count * ow, col)
            }
        }
    }

    /// x: [N, C, H, W], w: [K, C, kh, kw], bias: [K] or nil -> y: [N, K, OH, OW].
    /// y[n, k] = Σ_{c,i,j} w[k, c, i, j] · x[n, c, oh·s − p + i, ow·s − p + j] + bias[k].
    static func forward(_ x: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                        outChannels k: Int, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
                        tileBudget: Int = columnTileBudget, backend: ConvBackend = .current) {
        if backend == .oneDNN,
           DNNLConvolution.forward(x, batch: batch, g, weight: w, outChannels: k, bias: bias, y) { return }
        let (rows, cols) = (g.columnRows, g.columnCount)
        for n in 0..<batch {
            let xn = x + n * g.imageSize, yn = y + n * k * cols
            if let bias {
                for o in 0..<k { (yn + o * cols).update(repeating: bias[o], count: cols) }
            }
            let beta: Float = bias == nil ? 0 : 1
            if g.isIdentity {
                // yn [K, OH·OW] = w [K, C] · x [C, H·W] (+ bias rows)
                Gemm.sgemm(m: k, n: cols, k: rows, a: w, lda: rows, b: xn, ldb: cols, beta: beta, c: yn, ldc: cols)
                continue
            }
            forEachTile(g, budget: tileBudget, image: xn) { _, offset, width, col in
                // yn [K, tile] = w [K, C·kh·kw] · col [C·kh·kw, tile] (+ bias rows)
                Gemm.sgemm(m: k, n: width, k: rows, a: w, lda: rows, b: col, ldb: width, beta: beta,
                           c: yn + offset, ldc: cols)
            }
        }
    }

    /// gy: [N, K, OH, OW], w: [K, C, kh, kw] -> gx: [N, C, H, W], the gradient of `forward` with respect to x
    /// (overwrites gx).
    static func backwardData(_ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry, weight w: UnsafePointer<Float>,
                             outChannels k: Int, _ gx: UnsafeMutablePointer<Float>,
                             tileBudget: Int = columnTileBudget, backend: ConvBackend = .current) {
        if backend == .oneDNN,
           DNNLConvolution.backwardData(gy, batch: batch, g, weight: w, outChannels: k, gx) { return }
        let (rows, cols) = (g.columnRows, g.columnCount)
        for n in 0..<batch {
            let gyn = gy + n * k * cols, gxn = gx + n * g.imageSize
            if g.isIdentity {
                // gx [C, H·W] = wᵀ [C, K] · gy [K, H·W]
                Gemm.sgemm(transA: true, m: rows, n: cols, k: k, a: w, lda: rows, b: gyn, ldb: cols, c: gxn, ldc: cols)
                continue
            }
            gxn.update(repeating: 0, count: g.imageSize)
            forEachTile(g, budget: tileBudget, image: nil) { tiles, offset, width, col in
                // colGrad [C·kh·kw, tile] = wᵀ [C·kh·kw, K] · gy [K, tile], then scattered into gx.
                Gemm.sgemm(transA: true, m: rows, n: width, k: k, a: w, lda: rows, b: gyn + offset, ldb: cols,
                           c: col, ldc: width)
                Im2col.col2imAdding(col, gxn, g, gridRows: tiles)
            }
        }
    }

    /// x: [N, C, H, W], gy: [N, K, OH, OW] -> gw: [K, C, kh, kw], the gradient of `forward` with respect to w,
    /// summed over the batch (overwrites gw).
    static func backwardWeight(_ x: UnsafePointer<Float>, _ gy: UnsafePointer<Float>, batch: Int, _ g: ConvGeometry,
                               outChannels k: Int, _ gw: UnsafeMutablePointer<Float>,
                               tileBudget: Int = columnTileBudget, backend: ConvBackend = .current) {
        if backend == .oneDNN,
           DNNLConvolution.backwardWeight(x, gy, batch: batch, g, outChannels: k, gw) { return }
        let (rows, cols) = (g.columnRows, g.columnCount)
        gw.update(repeating: 0, count: k * rows)
        for n in 0..<batch {
            let xn = x + n * g.imageSize, gyn = gy + n * k * cols
            if g.isIdentity {
                // gw [K, C] += gy [K, H·W] · xᵀ [H·W, C]
                Gemm.sgemm(transB: true, m: k, n: rows, k: cols, a: gyn, lda: cols, b: xn, ldb: cols, beta: 1,
                           c: gw, ldc: rows)
                continue
            }
            forEachTile(g, budget: tileBudget, image: xn) { _, offset, width, col in
                // gw [K, C·kh·kw] += gy [K, tile] · colᵀ [tile, C·kh·kw]
                Gemm.sgemm(transB: true, m: k, n: rows, k: width, a: gyn + offset, lda: cols, b: col, ldb: width,
                           beta: 1, c: gw, ldc: rows)
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

    // MARK: - Reference (direct loops in Double: the test oracle)

    /// The flat index of pixel (c, d, h, w) of image n, or nil when it lies in the padding.
    private static func pixel(_ g: ConvGeometry, _ n: Int, _ c: Int, _ d: Int, _ h: Int, _ w: Int) -> Int? {
        guard d >= 0 && d < g.depth && h >= 0 && h < g.height && w >= 0 && w < g.width else { return nil }
        return (((n * g.channels + c) * g.depth + d) * g.height + h) * g.width + w
    }

    /// Calls `body(outputIndex, inputIndex, weightIndex)` for every term of the convolution sum that does
    /// not read padding, in the order of the direct loops.
    private static func forEachTerm(_ g: ConvGeometry, batch: Int, outChannels k: Int,
                                    _ body: (Int, Int, Int) -> Void) {
        let (od, oh, ow) = (g.outDepth, g.outHeight, g.outWidth)
        for n in 0..<batch { for o in 0..<k { for s in 0..<od { for r in 0..<oh { for q in 0..<ow {
            let out = (((n * k + o) * od + s) * oh + r) * ow + q
            for c in 0..<g.channels { for a in 0..<g.kernelD { for i in 0..<g.kernelH { for j in 0..<g.kernelW {
                guard let input = pixel(g, n, c, s * g.strideD - g.padD + a, r * g.strideH - g.padH + i,
                                        q * g.strideW - g.padW + j) else { continue }
                body(out, input, (((o * g.channels + c) * g.kernelD + a) * g.kernelH + i) * g.kernelW + j)
            } } } }
        } } } } }
    }

    /// The convolution sum written out, x: [N, C, (D,) H, W], w: [K, C, (kd,) kh, kw], bias: [K] or empty
    /// -> [N, K, (OD,) OH, OW].
    static func forwardReference(_ x: [Float], batch: Int, _ g: ConvGeometry, weight w: [Float], outChannels k: Int,
                                 bias: [Float]) -> [Float] {
        let spatial = g.columnCount
        var y = (0..<(batch * k * spatial)).map { bias.isEmpty ? 0.0 : Double(bias[($0 / spatial) % k]) }
        forEachTerm(g, batch: batch, outChannels: k) { out, input, weight in y[out] += Double(x[input]) * Double(w[weight]) }
        return y.map { Float($0) }
    }

    /// dL/dx by scattering each output gradient back through the window, gy: [N, K, (OD,) OH, OW] -> x's shape.
    static func backwardDataReference(_ gy: [Float], batch: Int, _ g: ConvGeometry, weight w: [Float],
                                      outChannels k: Int) -> [Float] {
        var gx = [Double](repeating: 0, count: batch * g.imageSize)
        forEachTerm(g, batch: batch, outChannels: k) { out, input, weight in gx[input] += Double(gy[out]) * Double(w[weight]) }
        return gx.map { Float($0) }
    }

    /// dL/dw summed over the batch, x and gy -> [K, C, (kd,) kh, kw].
    static func backwardWeightReference(_ x: [Float], _ gy: [Float], batch: Int, _ g: ConvGeometry,
                                        outChannels k: Int) -> [Float] {
        var gw = [Double](repeating: 0, count: k * g.columnRows)
        forEachTerm(g, batch: batch, outChannels: k) { out, input, weight in gw[weight] += Double(gy[out]) * Double(x[input]) }
        return gw.map { Float($0) }
    }

    /// The transposed convolution by its definition (every input pixel scatters a weighted kernel into the output),
    /// x: [N, Cin, (D,) H, W], w: [Cin, Cout, (kd,) kh, kw], bias: [Cout] or empty -> y: [N, Cout, (OD,) OH, OW]
    /// with OH = (H − 1)·s − 2p + kh + outputPadding (likewise OD, OW). `inputSize` and `kernel` list the spatial
    /// extents (2 or 3 of them).
    static func transposedReference(_ x: [Float], batch: Int, inChannels cin: Int, inputSize: [Int], weight w: [Float],
                                    outChannels cout: Int, kernel: [Int], stride s: Int, padding p: Int,
                                    outputPadding op: Int, bias: [Float]) -> [Float] {
        // Pad the spatial lists to three dimensions (a 2-D case is depth 1).
        let size = [Int](repeating: 1, count: 3 - inputSize.count) + inputSize
        let ks = [Int](repeating: 1, count: 3 - kernel.count) + kernel
        let is3D = inputSize.count == 3
        let out = (0..<3).map { d in d == 0 && !is3D ? 1 : (size[d] - 1) * s - 2 * p + ks[d] + op }
        let outSpatial = out.reduce(1, *), inSpatial = size.reduce(1, *)
        var y = (0..<(batch * cout * outSpatial)).map { bias.isEmpty ? 0.0 : Double(bias[($0 / outSpatial) % cout]) }
        for n in 0..<batch { for ci in 0..<cin { for v in 0..<inSpatial {
            let (iz, iy, ix) = (v / (size[1] * size[2]), (v / size[2]) % size[1], v % size[2])
            let xv = Double(x[(n * cin + ci) * inSpatial + v])
            for co in 0..<cout { for a in 0..<ks[0] { for i in 0..<ks[1] { for j in 0..<ks[2] {
                let z = is3D ? iz * s - p + a : 0, r = iy * s - p + i, q = ix * s - p + j
                guard z >= 0 && z < out[0] && r >= 0 && r < out[1] && q >= 0 && q < out[2] else { continue }
                let wv = Double(w[(((ci * cout + co) * ks[0] + a) * ks[1] + i) * ks[2] + j])
                y[(n * cout + co) * outSpatial + (z * out[1] + r) * out[2] + q] += xv * wv
            } } } }
        } } }
        return y.map { Float($0) }
    }
}

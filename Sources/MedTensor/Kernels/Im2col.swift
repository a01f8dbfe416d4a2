import MedCore

/// The geometry of a 2-D or 3-D convolution window sliding over one image (2-D is depth 1).
///
/// The image is [channels, depth, height, width]; the window positions form the [outDepth, outHeight, outWidth]
/// grid, with outHeight = (height + 2·padH − kernelH) / strideH + 1 (likewise for depth and width). For a
/// transposed convolution the roles swap: the "image" is the transposed convolution's output and the grid its
/// input.
struct ConvGeometry: Hashable {
    let channels: Int, depth: Int, height: Int, width: Int
    let kernelD: Int, kernelH: Int, kernelW: Int
    let strideD: Int, strideH: Int, strideW: Int
    let padD: Int, padH: Int, padW: Int

    /// A geometry; the depth arguments default to a 2-D convolution.
    init(channels: Int, depth: Int = 1, height: Int, width: Int, kernelD: Int = 1, kernelH: Int, kernelW: Int,
         strideD: Int = 1, strideH: Int, strideW: Int, padD: Int = 0, padH: Int, padW: Int) {
        (self.channels, self.depth, self.height, self.width) = (channels, depth, height, width)
        (self.kernelD, self.kernelH, self.kernelW) = (kernelD, kernelH, kernelW)
        (self.strideD, self.strideH, self.strideW) = (strideD, strideH, strideW)
        (self.padD, self.padH, self.padW) = (padD, padH, padW)
    }

    /// Slices of the window grid.
    var outDepth: Int { (depth + 2 * padD - kernelD) / strideD + 1 }
    /// Rows of the window grid.
    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Columns of the window grid.
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Values in one image.
    var imageSize: Int { channels * depth * height * width }
    /// Values in one kernel of one channel.
    var kernelSize: Int { kernelD * kernelH * kernelW }
    /// Rows of the column matrix: one per (channel, kernel slice, kernel row, kernel column).
    var columnRows: Int { channels * kernelSize }
    /// Columns of the column matrix: one per window position.
    var columnCount: Int { outDepth * outHeight * outWidth }
    /// True when the column matrix is the image itself (1×1 kernel, stride 1, no padding).
    var isIdentity: Bool {
        kernelSize == 1 && strideD == 1 && strideH == 1 && strideW == 1 && padD == 0 && padH == 0 && padW == 0
    }

    /// The window columns `lo..<hi` whose pixel for kernel column `kj` lies inside the image; the others read
    /// padding.
    @inline(__always)
    func validColumns(kernelColumn kj: Int) -> (lo: Int, hi: Int) {
        let ow = outWidth
        // ow·stride − pad + kj ∈ [0, width)  ⇔  ow ∈ [ceil((pad − kj)/stride), ceil((width + pad − kj)/stride))
        let lo = min(ow, max(0, ceilDiv(padW - kj, strideW)))
        let hi = min(ow, max(lo, ceilDiv(width + padW - kj, strideW)))
        return (lo, hi)
    }

    @inline(__always)
    private func ceilDiv(_ a: Int, _ b: Int) -> Int { a <= 0 ? -((-a) / b) : (a + b - 1) / b }
}

/// Image ↔ column-matrix rearrangement, which turns a convolution into one matrix product.
///
/// The window grid's rows — the flattened (od, oh) index t = od·OH + oh, each holding OW windows — can be taken
/// in tiles: the column matrix of rows `t0..<t1` has (t1 − t0)·OW columns. Convolutions work tile by tile so the
/// column matrix stays a few MB (in cache) instead of, for a 64→1 7×7 convolution of a 256² image, 822 MB.
enum Im2col {
    /// Rows of the window grid: OD·OH.
    static func gridRows(_ g: ConvGeometry) -> Int { g.outDepth * g.outHeight }

    /// x: [C, D, H, W] -> col: [C·kd·kh·kw, OD·OH·OW] (the whole grid),
    /// col[((c·kd + a)·kh + i)·kw + j, (od·OH + oh)·OW + ow] = x[c, od·sd − pd + a, oh·sh − ph + i, ow·sw − pw + j]
    /// (0 where that pixel is padding).
    static func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        im2col(x, col, g, gridRows: 0..<gridRows(g))
    }

    /// The columns of grid rows `tiles` only: col: [C·kd·kh·kw, tiles.count·OW], column (t − t0)·OW + ow.
    static func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                       gridRows tiles: Range<Int>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        let planeSize = g.height * g.width
        let columns = tiles.count * ow
        forEachChannel(g, columns: columns) { channels in
            for c in channels {
                for a in 0..<g.kernelD { for ki in 0..<g.kernelH { for kj in 0..<g.kernelW {
                    let row = ((c * g.kernelD + a) * g.kernelH + ki) * g.kernelW + kj
                    let (lo, hi) = g.validColumns(kernelColumn: kj)
                    for t in tiles {
                        let (s, r) = (t / oh, t % oh)
                        let out = col + row * columns + (t - tiles.lowerBound) * ow
                        let id = s * g.strideD - g.padD + a
                        let ih = r * g.strideH - g.padH + ki
                        guard id >= 0 && id < g.depth && ih >= 0 && ih < g.height else {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let plane = x + (c * g.depth + id) * planeSize
                        // Pixel of window column q: base + q·stride (inside the row for q in lo..<hi).
                        let base = ih * g.width - g.padW + kj
                        out.update(repeating: 0, count: lo)
                        if g.strideW == 1 {
                            (out + lo).update(from: plane + base + lo, count: hi - lo)
                        } else {
                            for q in lo..<hi { out[q] = plane[base + q * g.strideW] }
                        }
                        (out + hi).update(repeating: 0, count: ow - hi)
                    }
                } } }
            }
        }
    }

    /// col: [C·kd·kh·kw, OD·OH·OW] -> x: [C, D, H, W], the adjoint of `im2col`: every column entry is added to
    /// the pixel it was read from (padding entries are dropped). Overwrites `x`.
    static func col2im(_ col: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        x.update(repeating: 0, count: g.imageSize)
        col2imAdding(col, x, g, gridRows: 0..<gridRows(g))
    }

    /// The adjoint of `im2col(_:_:_:gridRows:)`: adds the columns of grid rows `tiles` into x (which the caller
    /// zeroed before the first tile).
    static func col2imAdding(_ col: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                             gridRows tiles: Range<Int>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        let planeSize = g.height * g.width
        let columns = tiles.count * ow
        forEachChannel(g, columns: columns) { channels in
            for c in channels {
                for a in 0..<g.kernelD { for ki in 0..<g.kernelH { for kj in 0..<g.kernelW {
                    let row = ((c * g.kernelD + a) * g.kernelH + ki) * g.kernelW + kj
                    let (lo, hi) = g.validColumns(kernelColumn: kj)
                    for t in tiles {
                        let (s, r) = (t / oh, t % oh)
                        let id = s * g.strideD - g.padD + a
                        let ih = r * g.strideH - g.padH + ki
                        guard id >= 0 && id < g.depth && ih >= 0 && ih < g.height else { continue }
                        let src = col + row * columns + (t - tiles.lowerBound) * ow
                        let plane = x + (c * g.depth + id) * planeSize
                        let base = ih * g.width - g.padW + kj
                        if g.strideW == 1 {
                            let dst = plane + base + lo, from = src + lo
                            for q in 0..<(hi - lo) { dst[q] += from[q] }
                        } else {
                            for q in lo..<hi { plane[base + q * g.strideW] += src[q] }
                        }
                    }
                } } }
            }
        }
    }

    /// Splits over channels (disjoint rows of col, disjoint planes of x) when the work is large.
    private static func forEachChannel(_ g: ConvGeometry, columns: Int, _ body: (Range<Int>) -> Void) {
        let perChannel = g.kernelSize * columns
        if g.channels * perChannel < Elementwise.parallelThreshold { body(0..<g.channels) } else {
            Parallel.forEachChunk(count: g.channels, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perChannel)), body)
        }
    }
}

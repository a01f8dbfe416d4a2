import MedCore

/// The geometry of a 2-D convolution window sliding over one image.
///
/// The image is [channels, height, width]; the window positions form the [outHeight, outWidth] grid, with
/// outHeight = (height + 2·padH − kernelH) / strideH + 1 (and likewise for the width). For a transposed
/// convolution the roles swap: the "image" is the transposed convolution's output and the grid its input.
struct ConvGeometry: Equatable {
    let channels: Int, height: Int, width: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int
    let padH: Int, padW: Int

    /// Rows of the window grid.
    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Columns of the window grid.
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var columnRows: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: one per window position.
    var columnCount: Int { outHeight * outWidth }
    /// True when the column matrix is the image itself (1×1 kernel, stride 1, no padding).
    var isIdentity: Bool { kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 }

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
enum Im2col {
    /// x: [C, H, W] -> col: [C·kh·kw, OH·OW], col[(c·kh + i)·kw + j, oh·OW + ow] = x[c, oh·s − p + i, ow·s − p + j]
    /// (0 where that pixel is padding).
    static func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        forEachChannel(g) { channels in
            for c in channels {
                let plane = x + c * g.height * g.width
                for ki in 0..<g.kernelH {
                    for kj in 0..<g.kernelW {
                        let dst = col + ((c * g.kernelH + ki) * g.kernelW + kj) * oh * ow
                        let (lo, hi) = g.validColumns(kernelColumn: kj)
                        for r in 0..<oh {
                            let out = dst + r * ow
                            let ih = r * g.strideH - g.padH + ki
                            guard ih >= 0 && ih < g.height else { out.update(repeating: 0, count: ow); continue }
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
                    }
                }
            }
        }
    }

    /// col: [C·kh·kw, OH·OW] -> x: [C, H, W], the adjoint of `im2col`: every column entry is added to the pixel it
    /// was read from (padding entries are dropped). Overwrites `x`.
    static func col2im(_ col: UnsafePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        forEachChannel(g) { channels in
            for c in channels {
                let plane = x + c * g.height * g.width
                plane.update(repeating: 0, count: g.height * g.width)
                for ki in 0..<g.kernelH {
                    for kj in 0..<g.kernelW {
                        let srcRows = col + ((c * g.kernelH + ki) * g.kernelW + kj) * oh * ow
                        let (lo, hi) = g.validColumns(kernelColumn: kj)
                        for r in 0..<oh {
                            let ih = r * g.strideH - g.padH + ki
                            guard ih >= 0 && ih < g.height else { continue }
                            let src = srcRows + r * ow
                            let base = ih * g.width - g.padW + kj
                            if g.strideW == 1 {
                                let dst = plane + base + lo, from = src + lo
                                for q in 0..<(hi - lo) { dst[q] += from[q] }
                            } else {
                                for q in lo..<hi { plane[base + q * g.strideW] += src[q] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Splits over channels (disjoint rows of col, disjoint planes of x) when the work is large.
    private static func forEachChannel(_ g: ConvGeometry, _ body: (Range<Int>) -> Void) {
        let perChannel = g.kernelH * g.kernelW * g.columnCount
        if g.channels * perChannel < Elementwise.parallelThreshold { body(0..<g.channels) } else {
            Parallel.forEachChunk(count: g.channels, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perChannel)), body)
        }
    }
}

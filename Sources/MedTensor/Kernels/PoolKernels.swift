import MedCore

/// The geometry of a 2-D pooling window sliding over planes of [height, width] (PyTorch's floor mode).
struct PoolGeometry: Equatable {
    let planes: Int, height: Int, width: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int
    let padH: Int, padW: Int

    /// Rows of the output: (height + 2·padH − kernelH) / strideH + 1.
    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Columns of the output.
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }

    /// The window of output row `r` clipped to the image: rows `lo..<hi`.
    @inline(__always) func rows(_ r: Int) -> (lo: Int, hi: Int) {
        let start = r * strideH - padH
        return (max(0, start), min(height, start + kernelH))
    }

    /// The window of output column `q` clipped to the image: columns `lo..<hi`.
    @inline(__always) func columns(_ q: Int) -> (lo: Int, hi: Int) {
        let start = q * strideW - padW
        return (max(0, start), min(width, start + kernelW))
    }
}

/// Max and average pooling, forward and backward, parallel over planes when large.
enum PoolKernel {
    /// x: [P, H, W] -> y: [P, OH, OW] (window maxima; NaN wins, as in PyTorch), argmax: [P, OH, OW] (the index
    /// in the plane of the first maximal value, which receives the gradient).
    static func maxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>, _ g: PoolGeometry) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.height * g.width
                for r in 0..<oh {
                    let (r0, r1) = g.rows(r)
                    for q in 0..<ow {
                        let (c0, c1) = g.columns(q)
                        var best = -Float.infinity, index = r0 * g.width + c0
                        for i in r0..<r1 {
                            for j in c0..<c1 {
                                let v = src[i * g.width + j]
                                if v > best || v.isNaN { best = v; index = i * g.width + j; if v.isNaN { break } }
                            }
                            if best.isNaN { break }
                        }
                        y[(p * oh + r) * ow + q] = best
                        argmax[(p * oh + r) * ow + q] = Int32(index)
                    }
                }
            }
        }
    }

    /// gy: [P, OH, OW], argmax from `maxForward` -> gx: [P, H, W] (overwritten): each output gradient goes to the
    /// position of its window's maximum.
    static func maxBackward(_ gy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, _ gx: UnsafeMutablePointer<Float>,
                            _ g: PoolGeometry) {
        let outPlane = g.outHeight * g.outWidth
        forEachPlane(g) { planes in
            for p in planes {
                let dst = gx + p * g.height * g.width
                dst.update(repeating: 0, count: g.height * g.width)
                for o in 0..<outPlane { dst[Int(argmax[p * outPlane + o])] += gy[p * outPlane + o] }
            }
        }
    }

    /// The divisor of output (r, q): the full window (PyTorch's count_include_pad=True) or its part inside the
    /// image.
    @inline(__always)
    static func divisor(_ g: PoolGeometry, _ r: Int, _ q: Int, countIncludePad: Bool) -> Float {
        if countIncludePad { return Float(g.kernelH * g.kernelW) }
        let (r0, r1) = g.rows(r), (c0, c1) = g.columns(q)
        return Float((r1 - r0) * (c1 - c0))
    }

    /// x: [P, H, W] -> y: [P, OH, OW], window means.
    static func averageForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: PoolGeometry,
                               countIncludePad: Bool) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.height * g.width
                for r in 0..<oh {
                    let (r0, r1) = g.rows(r)
                    for q in 0..<ow {
                        let (c0, c1) = g.columns(q)
                        var s: Float = 0
                        for i in r0..<r1 { for j in c0..<c1 { s += src[i * g.width + j] } }
                        y[(p * oh + r) * ow + q] = s / divisor(g, r, q, countIncludePad: countIncludePad)
                    }
                }
            }
        }
    }

    /// gy: [P, OH, OW] -> gx: [P, H, W] (overwritten): each output gradient spread evenly over its window.
    static func averageBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: PoolGeometry,
                                countIncludePad: Bool) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        forEachPlane(g) { planes in
            for p in planes {
                let dst = gx + p * g.height * g.width
                dst.update(repeating: 0, count: g.height * g.width)
                for r in 0..<oh {
                    let (r0, r1) = g.rows(r)
                    for q in 0..<ow {
                        let (c0, c1) = g.columns(q)
                        let share = gy[(p * oh + r) * ow + q] / divisor(g, r, q, countIncludePad: countIncludePad)
                        for i in r0..<r1 { for j in c0..<c1 { dst[i * g.width + j] += share } }
                    }
                }
            }
        }
    }

    private static func forEachPlane(_ g: PoolGeometry, _ body: (Range<Int>) -> Void) {
        let perPlane = g.height * g.width
        if g.planes * perPlane < Elementwise.parallelThreshold { body(0..<g.planes) } else {
            Parallel.forEachChunk(count: g.planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perPlane)), body)
        }
    }

    // MARK: - Reference

    /// Pooling by its definition, visiting every window position and skipping padding, in Double; the test
    /// oracle for `maxForward` and `averageForward`.
    static func reference(_ x: [Float], _ g: PoolGeometry, max isMax: Bool, countIncludePad: Bool = true) -> [Float] {
        var y: [Float] = []
        for p in 0..<g.planes { for r in 0..<g.outHeight { for q in 0..<g.outWidth {
            var values: [Double] = []
            for a in 0..<g.kernelH { for b in 0..<g.kernelW {
                let i = r * g.strideH - g.padH + a, j = q * g.strideW - g.padW + b
                if i >= 0 && i < g.height && j >= 0 && j < g.width { values.append(Double(x[(p * g.height + i) * g.width + j])) }
            } }
            if isMax { y.append(Float(values.max()!)) } else {
                y.append(Float(values.reduce(0, +) / Double(countIncludePad ? g.kernelH * g.kernelW : values.count)))
            }
        } } }
        return y
    }
}

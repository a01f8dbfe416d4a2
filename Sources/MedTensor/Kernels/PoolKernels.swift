import MedCore

/// The geometry of a 2-D or 3-D pooling window sliding over planes of [depth, height, width] (2-D is depth 1;
/// PyTorch's floor mode).
struct PoolGeometry: Equatable {
    let planes: Int, depth: Int, height: Int, width: Int
    let kernelD: Int, kernelH: Int, kernelW: Int
    let strideD: Int, strideH: Int, strideW: Int
    let padD: Int, padH: Int, padW: Int

    /// A geometry; the depth arguments default to 2-D pooling.
    init(planes: Int, depth: Int = 1, height: Int, width: Int, kernelD: Int = 1, kernelH: Int, kernelW: Int,
         strideD: Int = 1, strideH: Int, strideW: Int, padD: Int = 0, padH: Int, padW: Int) {
        (self.planes, self.depth, self.height, self.width) = (planes, depth, height, width)
        (self.kernelD, self.kernelH, self.kernelW) = (kernelD, kernelH, kernelW)
        (self.strideD, self.strideH, self.strideW) = (strideD, strideH, strideW)
        (self.padD, self.padH, self.padW) = (padD, padH, padW)
    }

    /// Slices of the output: (depth + 2·padD − kernelD) / strideD + 1.
    var outDepth: Int { (depth + 2 * padD - kernelD) / strideD + 1 }
    /// Rows of the output: (height + 2·padH − kernelH) / strideH + 1.
    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Columns of the output.
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Values in one input plane (volume).
    var planeSize: Int { depth * height * width }
    /// Values in one output plane (volume).
    var outPlaneSize: Int { outDepth * outHeight * outWidth }

    /// The window of output slice `s` clipped to the volume: slices `lo..<hi`.
    @inline(__always) func slices(_ s: Int) -> (lo: Int, hi: Int) {
        let start = s * strideD - padD
        return (max(0, start), min(depth, start + kernelD))
    }

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

    /// Calls `body(outputIndex, slices, rows, columns)` for every output position of one plane, in order.
    @inline(__always)
    func forEachWindow(_ body: (Int, (lo: Int, hi: Int), (lo: Int, hi: Int), (lo: Int, hi: Int)) -> Void) {
        var o = 0
        for s in 0..<outDepth {
            let d = slices(s)
            for r in 0..<outHeight {
                let h = rows(r)
                for q in 0..<outWidth { body(o, d, h, columns(q)); o += 1 }
            }
        }
    }
}

/// Max and average pooling, forward and backward, parallel over planes when large.
enum PoolKernel {
    /// x: [P, (D,) H, W] -> y: [P, (OD,) OH, OW] (window maxima; NaN wins, as in PyTorch), argmax: the index in
    /// the plane of the first maximal value of each window, which receives the gradient.
    static func maxForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>, _ g: PoolGeometry) {
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.planeSize, dst = y + p * g.outPlaneSize, arg = argmax + p * g.outPlaneSize
                g.forEachWindow { o, d, h, w in
                    var best = -Float.infinity, index = (d.lo * g.height + h.lo) * g.width + w.lo
                    search: for k in d.lo..<d.hi {
                        for i in h.lo..<h.hi {
                            for j in w.lo..<w.hi {
                                let at = (k * g.height + i) * g.width + j, v = src[at]
                                if v > best || v.isNaN { best = v; index = at; if v.isNaN { break search } }
                            }
                        }
                    }
                    dst[o] = best
                    arg[o] = Int32(index)
                }
            }
        }
    }

    /// gy: [P, (OD,) OH, OW], argmax from `maxForward` -> gx: [P, (D,) H, W] (overwritten): each output gradient
    /// goes to the position of its window's maximum.
    static func maxBackward(_ gy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, _ gx: UnsafeMutablePointer<Float>,
                            _ g: PoolGeometry) {
        forEachPlane(g) { planes in
            for p in planes {
                let dst = gx + p * g.planeSize
                dst.update(repeating: 0, count: g.planeSize)
                for o in 0..<g.outPlaneSize { dst[Int(argmax[p * g.outPlaneSize + o])] += gy[p * g.outPlaneSize + o] }
            }
        }
    }

    /// The divisor of a window: the full window (PyTorch's count_include_pad=True) or its part inside the image.
    @inline(__always)
    static func divisor(_ g: PoolGeometry, _ d: (lo: Int, hi: Int), _ h: (lo: Int, hi: Int), _ w: (lo: Int, hi: Int),
                        countIncludePad: Bool) -> Float {
        countIncludePad ? Float(g.kernelD * g.kernelH * g.kernelW) : Float((d.hi - d.lo) * (h.hi - h.lo) * (w.hi - w.lo))
    }

    /// x: [P, (D,) H, W] -> y: [P, (OD,) OH, OW], window means.
    static func averageForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: PoolGeometry,
                               countIncludePad: Bool) {
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.planeSize, dst = y + p * g.outPlaneSize
                g.forEachWindow { o, d, h, w in
                    var s: Float = 0
                    for k in d.lo..<d.hi { for i in h.lo..<h.hi { for j in w.lo..<w.hi { s += src[(k * g.height + i) * g.width + j] } } }
                    dst[o] = s / divisor(g, d, h, w, countIncludePad: countIncludePad)
                }
            }
        }
    }

    /// gy: [P, (OD,) OH, OW] -> gx: [P, (D,) H, W] (overwritten): each output gradient spread evenly over its window.
    static func averageBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: PoolGeometry,
                                countIncludePad: Bool) {
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * g.outPlaneSize, dst = gx + p * g.planeSize
                dst.update(repeating: 0, count: g.planeSize)
                g.forEachWindow { o, d, h, w in
                    let share = src[o] / divisor(g, d, h, w, countIncludePad: countIncludePad)
                    for k in d.lo..<d.hi { for i in h.lo..<h.hi { for j in w.lo..<w.hi { dst[(k * g.height + i) * g.width + j] += share } } }
                }
            }
        }
    }

    private static func forEachPlane(_ g: PoolGeometry, _ body: (Range<Int>) -> Void) {
        let perPlane = g.planeSize
        if g.planes * perPlane < Elementwise.parallelThreshold { body(0..<g.planes) } else {
            Parallel.forEachChunk(count: g.planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perPlane)), body)
        }
    }

    // MARK: - Reference

    /// Pooling by its definition, visiting every window position and skipping padding, in Double; the test
    /// oracle for `maxForward` and `averageForward`.
    static func reference(_ x: [Float], _ g: PoolGeometry, max isMax: Bool, countIncludePad: Bool = true) -> [Float] {
        var y: [Float] = []
        for p in 0..<g.planes { for s in 0..<g.outDepth { for r in 0..<g.outHeight { for q in 0..<g.outWidth {
            var values: [Double] = []
            for a in 0..<g.kernelD { for b in 0..<g.kernelH { for c in 0..<g.kernelW {
                let k = s * g.strideD - g.padD + a, i = r * g.strideH - g.padH + b, j = q * g.strideW - g.padW + c
                guard k >= 0 && k < g.depth && i >= 0 && i < g.height && j >= 0 && j < g.width else { continue }
                values.append(Double(x[((p * g.depth + k) * g.height + i) * g.width + j]))
            } } }
            if isMax { y.append(Float(values.max()!)) } else {
                let count = countIncludePad ? g.kernelD * g.kernelH * g.kernelW : values.count
                y.append(Float(values.reduce(0, +) / Double(count)))
            }
        } } } }
        return y
    }
}

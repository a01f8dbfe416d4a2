import MedCore

/// Nearest and bilinear resizing of planes, forward and backward (PyTorch's `F.interpolate` for 4-D input).
enum ResizeKernel {
    /// The geometry: planes of [height, width] resized to [outHeight, outWidth].
    struct Geometry: Equatable {
        let planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int
    }

    /// The source index of output index `o` for nearest resizing: ⌊o · in / out⌋ (exact integer arithmetic).
    @inline(__always)
    static func nearestSource(_ o: Int, input: Int, output: Int) -> Int { min(input - 1, o * input / output) }

    /// The two source indices of output index `o` for linear interpolation and the weight of the second.
    /// - Parameter alignCorners: map the corner pixel centres onto each other (src = o·(in − 1)/(out − 1)) rather
    ///   than the pixel edges (src = (o + ½)·in/out − ½, clamped at 0), as PyTorch's `align_corners`.
    @inline(__always)
    static func linearSource(_ o: Int, input: Int, output: Int, alignCorners: Bool) -> (Int, Int, Float) {
        let src: Double
        if alignCorners {
            src = output > 1 ? Double(o) * Double(input - 1) / Double(output - 1) : 0
        } else {
            src = max(0, (Double(o) + 0.5) * Double(input) / Double(output) - 0.5)
        }
        let i0 = min(Int(src), input - 1)
        let i1 = min(i0 + 1, input - 1)
        return (i0, i1, Float(src - Double(i0)))
    }

    /// x: [P, H, W] -> y: [P, OH, OW], y[p, r, q] = x[p, src(r), src(q)].
    static func nearestForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let rows = (0..<g.outHeight).map { nearestSource($0, input: g.height, output: g.outHeight) }
        let cols = (0..<g.outWidth).map { nearestSource($0, input: g.width, output: g.outWidth) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.height * g.width, dst = y + p * g.outHeight * g.outWidth
                for r in 0..<g.outHeight {
                    let row = src + rows[r] * g.width, out = dst + r * g.outWidth
                    for q in 0..<g.outWidth { out[q] = row[cols[q]] }
                }
            }
        }
    }

    /// gy: [P, OH, OW] -> gx: [P, H, W] (overwritten), each output gradient added to its source pixel.
    static func nearestBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let rows = (0..<g.outHeight).map { nearestSource($0, input: g.height, output: g.outHeight) }
        let cols = (0..<g.outWidth).map { nearestSource($0, input: g.width, output: g.outWidth) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * g.outHeight * g.outWidth, dst = gx + p * g.height * g.width
                dst.update(repeating: 0, count: g.height * g.width)
                for r in 0..<g.outHeight {
                    let row = dst + rows[r] * g.width, grad = src + r * g.outWidth
                    for q in 0..<g.outWidth { row[cols[q]] += grad[q] }
                }
            }
        }
    }

    /// x: [P, H, W] -> y: [P, OH, OW], bilinear interpolation of the four neighbouring source pixels.
    static func bilinearForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry,
                                alignCorners: Bool) {
        let rows = (0..<g.outHeight).map { linearSource($0, input: g.height, output: g.outHeight, alignCorners: alignCorners) }
        let cols = (0..<g.outWidth).map { linearSource($0, input: g.width, output: g.outWidth, alignCorners: alignCorners) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.height * g.width, dst = y + p * g.outHeight * g.outWidth
                for r in 0..<g.outHeight {
                    let (r0, r1, ly) = rows[r]
                    let top = src + r0 * g.width, bottom = src + r1 * g.width, out = dst + r * g.outWidth
                    for q in 0..<g.outWidth {
                        let (c0, c1, lx) = cols[q]
                        let upper = top[c0] + lx * (top[c1] - top[c0])
                        let lower = bottom[c0] + lx * (bottom[c1] - bottom[c0])
                        out[q] = upper + ly * (lower - upper)
                    }
                }
            }
        }
    }

    /// gy: [P, OH, OW] -> gx: [P, H, W] (overwritten), each output gradient shared among its four source pixels
    /// with the interpolation weights.
    static func bilinearBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: Geometry,
                                 alignCorners: Bool) {
        let rows = (0..<g.outHeight).map { linearSource($0, input: g.height, output: g.outHeight, alignCorners: alignCorners) }
        let cols = (0..<g.outWidth).map { linearSource($0, input: g.width, output: g.outWidth, alignCorners: alignCorners) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * g.outHeight * g.outWidth, dst = gx + p * g.height * g.width
                dst.update(repeating: 0, count: g.height * g.width)
                for r in 0..<g.outHeight {
                    let (r0, r1, ly) = rows[r]
                    let top = dst + r0 * g.width, bottom = dst + r1 * g.width, grad = src + r * g.outWidth
                    for q in 0..<g.outWidth {
                        let (c0, c1, lx) = cols[q]
                        let gUpper = grad[q] * (1 - ly), gLower = grad[q] * ly
                        top[c0] += gUpper * (1 - lx)
                        top[c1] += gUpper * lx
                        bottom[c0] += gLower * (1 - lx)
                        bottom[c1] += gLower * lx
                    }
                }
            }
        }
    }

    private static func forEachPlane(_ g: Geometry, _ body: (Range<Int>) -> Void) {
        let perPlane = max(g.height * g.width, g.outHeight * g.outWidth)
        if g.planes * perPlane < Elementwise.parallelThreshold { body(0..<g.planes) } else {
            Parallel.forEachChunk(count: g.planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perPlane)), body)
        }
    }

    // MARK: - Reference

    /// Bilinear interpolation written per output pixel in Double (source coordinates computed inline, the four
    /// weights multiplied out), as the test oracle for `bilinearForward`.
    static func bilinearReference(_ x: [Float], _ g: Geometry, alignCorners: Bool) -> [Float] {
        func source(_ o: Int, _ input: Int, _ output: Int) -> Double {
            if alignCorners { return output > 1 ? Double(o * (input - 1)) / Double(output - 1) : 0 }
            return max(0, (Double(o) + 0.5) * Double(input) / Double(output) - 0.5)
        }
        var y: [Float] = []
        for p in 0..<g.planes { for r in 0..<g.outHeight { for q in 0..<g.outWidth {
            let sy = source(r, g.height, g.outHeight), sx = source(q, g.width, g.outWidth)
            let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
            var v = 0.0
            for (yy, wy) in [(y0, 1 - (sy - Double(y0))), (y0 + 1, sy - Double(y0))] {
                for (xx, wx) in [(x0, 1 - (sx - Double(x0))), (x0 + 1, sx - Double(x0))] {
                    let (cy, cx) = (min(yy, g.height - 1), min(xx, g.width - 1))
                    v += wy * wx * Double(x[(p * g.height + cy) * g.width + cx])
                }
            }
            y.append(Float(v))
        } } }
        return y
    }
}

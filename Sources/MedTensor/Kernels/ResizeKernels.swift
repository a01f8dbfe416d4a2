import MedCore

/// Nearest and (bi/tri)linear resizing of planes or volumes, forward and backward (PyTorch's `F.interpolate` for
/// 4-D and 5-D input). A 2-D plane is a volume of depth 1.
enum ResizeKernel {
    /// The geometry: planes of [depth, height, width] resized to [outDepth, outHeight, outWidth].
    struct Geometry: Equatable {
        let planes: Int, depth: Int, height: Int, width: Int
        let outDepth: Int, outHeight: Int, outWidth: Int

        /// A geometry; the depth arguments default to 2-D resizing.
        init(planes: Int, depth: Int = 1, height: Int, width: Int, outDepth: Int = 1, outHeight: Int, outWidth: Int) {
            (self.planes, self.depth, self.height, self.width) = (planes, depth, height, width)
            (self.outDepth, self.outHeight, self.outWidth) = (outDepth, outHeight, outWidth)
        }

        /// Values in one input plane (volume).
        var planeSize: Int { depth * height * width }
        /// Values in one output plane (volume).
        var outPlaneSize: Int { outDepth * outHeight * outWidth }
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

    /// x: [P, (D,) H, W] -> y: [P, (OD,) OH, OW], y[p, s, r, q] = x[p, src(s), src(r), src(q)].
    static func nearestForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let slices = (0..<g.outDepth).map { nearestSource($0, input: g.depth, output: g.outDepth) }
        let rows = (0..<g.outHeight).map { nearestSource($0, input: g.height, output: g.outHeight) }
        let cols = (0..<g.outWidth).map { nearestSource($0, input: g.width, output: g.outWidth) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.planeSize, dst = y + p * g.outPlaneSize
                for s in 0..<g.outDepth { for r in 0..<g.outHeight {
                    let row = src + (slices[s] * g.height + rows[r]) * g.width
                    let out = dst + (s * g.outHeight + r) * g.outWidth
                    for q in 0..<g.outWidth { out[q] = row[cols[q]] }
                } }
            }
        }
    }

    /// gy: [P, (OD,) OH, OW] -> gx: [P, (D,) H, W] (overwritten), each output gradient added to its source voxel.
    static func nearestBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let slices = (0..<g.outDepth).map { nearestSource($0, input: g.depth, output: g.outDepth) }
        let rows = (0..<g.outHeight).map { nearestSource($0, input: g.height, output: g.outHeight) }
        let cols = (0..<g.outWidth).map { nearestSource($0, input: g.width, output: g.outWidth) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * g.outPlaneSize, dst = gx + p * g.planeSize
                dst.update(repeating: 0, count: g.planeSize)
                for s in 0..<g.outDepth { for r in 0..<g.outHeight {
                    let row = dst + (slices[s] * g.height + rows[r]) * g.width
                    let grad = src + (s * g.outHeight + r) * g.outWidth
                    for q in 0..<g.outWidth { row[cols[q]] += grad[q] }
                } }
            }
        }
    }

    /// x: [P, (D,) H, W] -> y: [P, (OD,) OH, OW], bilinear interpolation of the four neighbouring pixels in each
    /// source slice, then linear between the two neighbouring slices (trilinear; one slice in 2-D).
    static func linearForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry,
                              alignCorners: Bool) {
        let slices = (0..<g.outDepth).map { linearSource($0, input: g.depth, output: g.outDepth, alignCorners: alignCorners) }
        let rows = (0..<g.outHeight).map { linearSource($0, input: g.height, output: g.outHeight, alignCorners: alignCorners) }
        let cols = (0..<g.outWidth).map { linearSource($0, input: g.width, output: g.outWidth, alignCorners: alignCorners) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * g.planeSize, dst = y + p * g.outPlaneSize
                for s in 0..<g.outDepth {
                    let (z0, z1, lz) = slices[s]
                    let front = src + z0 * g.height * g.width, back = src + z1 * g.height * g.width
                    for r in 0..<g.outHeight {
                        let (r0, r1, ly) = rows[r]
                        let out = dst + (s * g.outHeight + r) * g.outWidth
                        for q in 0..<g.outWidth {
                            let (c0, c1, lx) = cols[q]
                            var v = bilinear(front, g.width, r0, r1, ly, c0, c1, lx)
                            if lz != 0 { v += lz * (bilinear(back, g.width, r0, r1, ly, c0, c1, lx) - v) }
                            out[q] = v
                        }
                    }
                }
            }
        }
    }

    /// The bilinear blend of the four pixels (r0/r1, c0/c1) of one slice.
    @inline(__always)
    private static func bilinear(_ slice: UnsafePointer<Float>, _ width: Int, _ r0: Int, _ r1: Int, _ ly: Float,
                                 _ c0: Int, _ c1: Int, _ lx: Float) -> Float {
        let top = slice + r0 * width, bottom = slice + r1 * width
        let upper = top[c0] + lx * (top[c1] - top[c0])
        let lower = bottom[c0] + lx * (bottom[c1] - bottom[c0])
        return upper + ly * (lower - upper)
    }

    /// gy: [P, (OD,) OH, OW] -> gx: [P, (D,) H, W] (overwritten), each output gradient shared among its source
    /// voxels with the interpolation weights.
    static func linearBackward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: Geometry,
                               alignCorners: Bool) {
        let slices = (0..<g.outDepth).map { linearSource($0, input: g.depth, output: g.outDepth, alignCorners: alignCorners) }
        let rows = (0..<g.outHeight).map { linearSource($0, input: g.height, output: g.outHeight, alignCorners: alignCorners) }
        let cols = (0..<g.outWidth).map { linearSource($0, input: g.width, output: g.outWidth, alignCorners: alignCorners) }
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * g.outPlaneSize, dst = gx + p * g.planeSize
                dst.update(repeating: 0, count: g.planeSize)
                for s in 0..<g.outDepth {
                    let (z0, z1, lz) = slices[s]
                    let front = dst + z0 * g.height * g.width, back = dst + z1 * g.height * g.width
                    for r in 0..<g.outHeight {
                        let (r0, r1, ly) = rows[r]
                        let grad = src + (s * g.outHeight + r) * g.outWidth
                        for q in 0..<g.outWidth {
                            let (c0, c1, lx) = cols[q]
                            scatter(front, g.width, r0, r1, ly, c0, c1, lx, grad[q] * (1 - lz))
                            if lz != 0 { scatter(back, g.width, r0, r1, ly, c0, c1, lx, grad[q] * lz) }
                        }
                    }
                }
            }
        }
    }

    /// Adds `value` to the four pixels of one slice with the bilinear weights (the adjoint of `bilinear`).
    @inline(__always)
    private static func scatter(_ slice: UnsafeMutablePointer<Float>, _ width: Int, _ r0: Int, _ r1: Int, _ ly: Float,
                                _ c0: Int, _ c1: Int, _ lx: Float, _ value: Float) {
        let top = slice + r0 * width, bottom = slice + r1 * width
        let gUpper = value * (1 - ly), gLower = value * ly
        top[c0] += gUpper * (1 - lx)
        top[c1] += gUpper * lx
        bottom[c0] += gLower * (1 - lx)
        bottom[c1] += gLower * lx
    }

    private static func forEachPlane(_ g: Geometry, _ body: (Range<Int>) -> Void) {
        let perPlane = max(g.planeSize, g.outPlaneSize)
        if g.planes * perPlane < Elementwise.parallelThreshold { body(0..<g.planes) } else {
            Parallel.forEachChunk(count: g.planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perPlane)), body)
        }
    }

    // MARK: - Reference

    /// (Bi/tri)linear interpolation written per output voxel in Double (source coordinates computed inline, the
    /// eight weights multiplied out), as the test oracle for `linearForward`.
    static func linearReference(_ x: [Float], _ g: Geometry, alignCorners: Bool) -> [Float] {
        func source(_ o: Int, _ input: Int, _ output: Int) -> Double {
            if alignCorners { return output > 1 ? Double(o * (input - 1)) / Double(output - 1) : 0 }
            return max(0, (Double(o) + 0.5) * Double(input) / Double(output) - 0.5)
        }
        func corners(_ s: Double) -> [(Int, Double)] {
            let i = Int(s.rounded(.down))
            return [(i, 1 - (s - Double(i))), (i + 1, s - Double(i))]
        }
        var y: [Float] = []
        for p in 0..<g.planes { for s in 0..<g.outDepth { for r in 0..<g.outHeight { for q in 0..<g.outWidth {
            var v = 0.0
            for (zz, wz) in corners(source(s, g.depth, g.outDepth)) {
                for (yy, wy) in corners(source(r, g.height, g.outHeight)) {
                    for (xx, wx) in corners(source(q, g.width, g.outWidth)) {
                        let (cz, cy, cx) = (min(zz, g.depth - 1), min(yy, g.height - 1), min(xx, g.width - 1))
                        v += wz * wy * wx * Double(x[((p * g.depth + cz) * g.height + cy) * g.width + cx])
                    }
                }
            }
            y.append(Float(v))
        } } } }
        return y
    }
}

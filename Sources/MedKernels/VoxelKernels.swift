import MedCore

/// The per-voxel kernels that MedSynth compiles once per x86-64 level (`SIMDLevel`) — noise, gamma, min/max and
/// the trilinear rows of `affine`: this module's sources are
/// built three times, as `MedKernels` (baseline SSE2), `MedKernelsV3` (AVX2) and `MedKernelsV4` (AVX-512; the
/// latter two are links to this folder, built with `-march=x86-64-v3`/`-v4`), and `MedSynthesis` calls the
/// one `SIMDLevel.active` names. Each entry point is a whole loop over a buffer, kept out of line
/// (`@inline(never)`), so that its body is compiled only with its own module's instruction set and never
/// inlined into baseline code. Single-threaded: callers split volumes into slices or blocks.
///
/// Every entry computes the same bits at every level (lane-wise IEEE operations in a fixed order, no fused
/// multiply-adds); `SIMDLevelTests` checks this for every level the test machine supports.
public enum VoxelKernels {
    /// dst[v] = src[v] + σ·z_v for v in 0..<count, with z sixteen at a time from the Box–Muller stream seeded by
    /// `generator` (`NormalVectorStream`; a last partial group takes the first values of one draw). dst may be
    /// src.
    @inline(never)
    public static func addGaussianNoise(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                        sigma: Float, seededBy generator: SeededGenerator) {
        var noise = NormalVectorStream(seededBy: generator)
        var v = 0
        while v + 16 <= count {
            let (z1, z2) = noise.nextPair()
            let x1 = UnsafeRawPointer(src + v).loadUnaligned(as: SIMD8<Float>.self)
            let x2 = UnsafeRawPointer(src + v + 8).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + v).storeBytes(of: x1 + sigma * z1, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + v + 8).storeBytes(of: x2 + sigma * z2, as: SIMD8<Float>.self)
            v += 16
        }
        if v < count {
            let (z1, z2) = noise.nextPair()
            for q in 0..<(count - v) { dst[v + q] = src[v + q] + sigma * (q < 8 ? z1[q] : z2[q - 8]) }
        }
    }

    /// dst[v] = |src[v] + σ·z₁ + iσ·z₂| for v in 0..<count (Rician noise: the magnitude of complex Gaussian noise
    /// added to a real signal), with (z₁, z₂) the two halves of one `nextPair()` per eight voxels from the stream
    /// seeded by `generator`. √ is the correctly rounded square root (the compiler vectorises it here: the
    /// argument is a sum of squares), so each value equals the scalar formula. dst may be src.
    @inline(never)
    public static func addRicianNoise(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                      sigma: Float, seededBy generator: SeededGenerator) {
        var noise = NormalVectorStream(seededBy: generator)
        var v = 0
        while v < count {
            let (z1, z2) = noise.nextPair()
            if v + 8 <= count {
                let x = UnsafeRawPointer(src + v).loadUnaligned(as: SIMD8<Float>.self)
                let re = x + sigma * z1, im = sigma * z2
                UnsafeMutableRawPointer(dst + v).storeBytes(of: (re * re + im * im).squareRoot(), as: SIMD8<Float>.self)
            } else {
                for q in 0..<(count - v) {
                    let re = src[v + q] + sigma * z1[q], im = sigma * z2[q]
                    dst[v + q] = (re * re + im * im).squareRoot()
                }
            }
            v += 8
        }
    }

    /// dst = lo + span·u^γ with u = (src − lo)/span ≥ 0 (lo is the minimum of the image), and exactly lo where
    /// u = 0, for 0..<count; span > 0. The power is `FastMath.powerOfUnit` (fused multiply-adds), sixteen voxels at a time (the
    /// chain of dependent operations is long, so two vector registers per step keep twice as many in flight:
    /// 2× faster than eight lanes at AVX2 and AVX-512); a last partial group is padded with its own first value.
    /// dst may be src.
    @inline(never)
    public static func gammaCurve(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                  gamma: Float, lower lo: Float, span: Float) {
        typealias V = SIMD16<Float>
        let loV = V(repeating: lo), inverseSpan = 1 / span
        @inline(__always) func curve(_ x: V) -> V {
            let u = (x - loV) * inverseSpan
            // u ≥ 0, so its bits order like its values: (bits − 1) >> 31 is −1 exactly where u = +0.
            let isZero = (FastMath.bits(u) &- 1) &>> 31
            let power = FastMath.powerOfUnit(u, gamma)
            return loV.addingProduct(span, FastMath.masked(power, keep: ~isZero))
        }
        var n = 0
        while n + 16 <= count {
            let y = curve(UnsafeRawPointer(src + n).loadUnaligned(as: V.self))
            UnsafeMutableRawPointer(dst + n).storeBytes(of: y, as: V.self)
            n += 16
        }
        if n < count {
            var x = V(repeating: src[n])
            for q in 0..<(count - n) { x[q] = src[n + q] }
            let y = curve(x)
            for q in 0..<(count - n) { dst[n + q] = y[q] }
        }
    }

    /// The smallest and largest of `count` values (+∞ and −∞ when there are none but NaNs), NaN ignored (as
    /// `Swift.min`/`max` do when the NaN comes second). Eight running extremes, updated by lane-wise
    /// compare-and-replace: `.<` with `replace(with:where:)` compiles to compare and blend instructions, 8× faster
    /// here than `Swift.min` chains (which LLVM keeps scalar to preserve their NaN order) or `pointwiseMin`.
    @inline(never)
    public static func range(_ p: UnsafePointer<Float>, count: Int) -> (lower: Float, upper: Float) {
        typealias V = SIMD8<Float>
        var lo = V(repeating: .infinity), hi = V(repeating: -.infinity)
        var n = 0
        while n + 8 <= count {
            let x = UnsafeRawPointer(p + n).loadUnaligned(as: V.self)
            lo.replace(with: x, where: x .< lo)
            hi.replace(with: x, where: x .> hi)
            n += 8
        }
        // The lanes are combined by the reductions: reading them one by one after the loop makes LLVM keep the
        // loop's vectors as separate lanes (shuffles instead of minps/maxps, 8× slower).
        var a = lo.min(), b = hi.max()
        while n < count {
            a = min(a, p[n])
            b = max(b, p[n])
            n += 1
        }
        return (a, b)
    }

    /// out[i] = Σ_t weights[t]·rows[t][i] for i in 0..<width, the taps summed in order t = 0, 1, … (0 taps give
    /// 0): one output row of a separable convolution (`PaddedBlur`, `LineDegradation`). Sixty-four columns at a
    /// time in four independent sixteen-lane sums held in registers across all taps (with one or two sums the
    /// loop waits on the latency of each addition instead of issuing a multiply and an add per cycle), then
    /// eight, then one. Every column is the same ordered sum as the scalar loop, so the bits are the same at any
    /// width and level.
    @inline(never)
    public static func weightedRowSum(rows: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<Float>,
                                      taps: Int, width w: Int, out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        var i = 0
        while i + 64 <= w {
            var a0 = V(repeating: 0), a1 = a0, a2 = a0, a3 = a0
            for t in 0..<taps {
                let weight = weights[t], r = UnsafeRawPointer(rows[t] + i)
                a0 += weight * r.loadUnaligned(as: V.self)
                a1 += weight * r.loadUnaligned(fromByteOffset: 64, as: V.self)
                a2 += weight * r.loadUnaligned(fromByteOffset: 128, as: V.self)
                a3 += weight * r.loadUnaligned(fromByteOffset: 192, as: V.self)
            }
            let o = UnsafeMutableRawPointer(out + i)
            o.storeBytes(of: a0, as: V.self)
            o.storeBytes(of: a1, toByteOffset: 64, as: V.self)
            o.storeBytes(of: a2, toByteOffset: 128, as: V.self)
            o.storeBytes(of: a3, toByteOffset: 192, as: V.self)
            i += 64
        }
        while i + 8 <= w {
            var acc = SIMD8<Float>(repeating: 0)
            for t in 0..<taps { acc += weights[t] * UnsafeRawPointer(rows[t] + i).loadUnaligned(as: SIMD8<Float>.self) }
            UnsafeMutableRawPointer(out + i).storeBytes(of: acc, as: SIMD8<Float>.self)
            i += 8
        }
        while i < w {
            var acc: Float = 0
            for t in 0..<taps { acc += weights[t] * rows[t][i] }
            out[i] = acc
            i += 1
        }
    }

    /// Trilinear samples of points i = from, from + 1, … of one output row, eight at a time while eight remain
    /// before `end`; returns the first point not done. Point i reads the source (a grid `width` × `height` × any
    /// depth, x fastest) at v_i = base + Float(i)·step, and every such point must have all eight neighbours inside
    /// the grid (the row's interior run, found by the caller): so ⌊v⌋ is the truncation and no border test is
    /// needed. The operations per point are those of the per-point reference (x lerps, then y, then z).
    @inline(never)
    public static func trilinearInterior(_ src: UnsafePointer<Float>, width: Int, height: Int, base: SIMD3<Float>,
                                         step: SIMD3<Float>, from start: Int, to end: Int,
                                         out: UnsafeMutablePointer<Float>) -> Int {
        let sy = width, sz = width * height
        typealias V = SIMD8<Float>
        let bx = V(repeating: base.x), by = V(repeating: base.y), bz = V(repeating: base.z)
        var i = start
        var fi = V(0, 1, 2, 3, 4, 5, 6, 7) + Float(i)
        while i + 8 <= end {
            let (x0, fx) = floorParts(bx + fi * step.x)
            let (y0, fy) = floorParts(by + fi * step.y)
            let (z0, fz) = floorParts(bz + fi * step.z)
            let index = z0 &* Int32(sz) &+ y0 &* Int32(sy) &+ x0
            @inline(__always) func corner(_ offset: Int) -> V {
                V(src[Int(index[0]) &+ offset], src[Int(index[1]) &+ offset], src[Int(index[2]) &+ offset],
                  src[Int(index[3]) &+ offset], src[Int(index[4]) &+ offset], src[Int(index[5]) &+ offset],
                  src[Int(index[6]) &+ offset], src[Int(index[7]) &+ offset])
            }
            let p000 = corner(0), p100 = corner(1), p010 = corner(sy), p110 = corner(sy + 1)
            let p001 = corner(sz), p101 = corner(sz + 1), p011 = corner(sz + sy), p111 = corner(sz + sy + 1)
            let c00 = p000 + fx * (p100 - p000), c10 = p010 + fx * (p110 - p010)
            let c01 = p001 + fx * (p101 - p001), c11 = p011 + fx * (p111 - p011)
            let c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01)
            UnsafeMutableRawPointer(out + i).storeBytes(of: c0 + fz * (c1 - c0), as: V.self)
            i += 8
            fi += 8
        }
        return i
    }

    /// ⌊v⌋ as integers and v − ⌊v⌋ per lane, for |v| < 2²²: round to nearest by the 1.5·2²³ trick, minus one
    /// where that rounded up (lane-wise arithmetic and shifts only; generic float-to-integer conversions stay
    /// out-of-line lane loops here). The same operations per lane as `Resampler.floorParts`.
    @inline(__always)
    static func floorParts(_ v: SIMD8<Float>) -> (SIMD8<Int32>, SIMD8<Float>) {
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let rounded = v + magic
        let below = v - (rounded - magic)   // negative exactly when rounding went up
        let whole = unsafeBitCast(rounded, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ (unsafeBitCast(below, to: SIMD8<Int32>.self) &>> 31)
        let wholeFloat = unsafeBitCast(whole &+ 0x4B40_0000, to: SIMD8<Float>.self) - magic
        return (whole, v - wholeFloat)
    }
}

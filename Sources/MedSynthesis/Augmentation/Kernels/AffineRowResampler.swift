import MedCore
import MedIO

/// Trilinear resampling of one output row through an affine map, whose source coordinates along the row are
/// v_i = base + Float(i)·step (per axis, in Float, exactly as `VoxelAffineMap.fillRow` writes them).
///
/// Because v_i is monotone in i, the points whose eight neighbours all lie inside the grid form one run of the
/// row, and so do the points that touch the grid at all; outside the second run the output is the fill value.
/// `runs` finds both runs exactly (an estimate widened by the Float rounding error, then trimmed with the very
/// comparisons the per-point code makes), so each voxel gets the value `Resampler.linearPoint` gives it:
/// - fill outside the grid's reach, written without per-voxel tests;
/// - the interior run eight points at a time with the coordinates advanced in registers and no border tests
///   (`VoxelKernels.trilinearInterior` at the CPU's SIMD level: the same operations per point as
///   `linearPoint`'s interior branch);
/// - the few points between the two runs through `linearPoint`.
/// `Resampler.linearRow` on the coordinates of `fillRow` is the reference (tested bit for bit).
enum AffineRowResampler {
    /// The row's runs: points with any neighbour inside (`reach`) and with all eight inside (`interior`,
    /// a sub-run of `reach`).
    struct Runs: Equatable {
        var reach: Range<Int>
        var interior: Range<Int>
    }

    /// The runs of a row of `shape.width` points: estimated from the three axes at once and checked at their
    /// ends (a run [a, b) is exact when the test holds at a and b − 1 and fails at a − 1 and b, since the points
    /// passing it form one interval); `exactRuns` when the check fails or a run looks empty.
    /// With `planar`, z is ignored: the runs of `bilinearRow` on a one-slice grid.
    @inline(__always)
    static func runs(base: SIMD3<Float>, step: SIMD3<Float>, shape: VolumeShape, planar: Bool = false) -> Runs {
        typealias V = SIMD4<Float>
        let w = shape.width
        guard base.x.isFinite, base.y.isFinite, base.z.isFinite, step.x.isFinite, step.y.isFinite, step.z.isFinite,
              max(abs(base.x), abs(base.y), abs(base.z)) < 1e6 else {
            return exactRuns(base: base, step: step, shape: shape, planar: planar)
        }
        let b = V(base.x, base.y, planar ? 0 : base.z, 0), d = V(step.x, step.y, planar ? 0 : step.z, 0)
        let n = V(Float(shape.width), Float(shape.height), planar ? 2 : Float(shape.depth), 2)
        // Lane 3 (and lane 2 when planar) is padding that passes every test.
        let interiorLow = V(0, 0, planar ? -1 : 0, -1), interiorHigh = n - 1, reachLow = V(-1, -1, -1, -1), reachHigh = n
        @inline(__always) func at(_ i: Int) -> V { b + Float(i) * d }
        @inline(__always) func inInterior(_ i: Int) -> Bool { let v = at(i); return all((v .>= interiorLow) .& (v .< interiorHigh)) }
        @inline(__always) func inReach(_ i: Int) -> Bool { let v = at(i); return all((v .> reachLow) .& (v .< reachHigh)) }
        @inline(__always) func estimate(_ low: V, _ high: V) -> Range<Int> {
            var t0 = (low - b) / d, t1 = (high - b) / d
            let negative = d .< 0
            let swapped = t0
            t0.replace(with: t1, where: negative)
            t1.replace(with: swapped, where: negative)
            // Lanes that do not move: always or never inside.
            let still = d .== 0, inside = (b .>= low) .& (b .< high)
            t0.replace(with: V(repeating: -.infinity), where: still .& inside)
            t1.replace(with: V(repeating: .infinity), where: still .& inside)
            t0.replace(with: V(repeating: .infinity), where: still .& .!inside)
            let lo = min(max(t0.max().rounded(.up), -1), Float(w + 1)), hi = min(max(t1.min().rounded(.down), -1), Float(w + 1))
            let a = max(0, Int(lo)), e = min(w, Int(hi) + 1)
            return a..<max(a, e)
        }
        @inline(__always) func checked(_ r: Range<Int>, _ test: (Int) -> Bool) -> Bool {
            !r.isEmpty && test(r.lowerBound) && test(r.upperBound - 1)
                && (r.lowerBound == 0 || !test(r.lowerBound - 1)) && (r.upperBound == w || !test(r.upperBound))
        }
        let interior = estimate(interiorLow, interiorHigh), reach = estimate(reachLow, reachHigh)
        guard checked(interior, inInterior), checked(reach, inReach) else {
            return exactRuns(base: base, step: step, shape: shape, planar: planar)
        }
        return Runs(reach: reach, interior: interior)
    }

    /// The runs from per-axis runs (`run`), exact in every case.
    static func exactRuns(base: SIMD3<Float>, step: SIMD3<Float>, shape: VolumeShape, planar: Bool = false) -> Runs {
        let extents = [shape.width, shape.height, shape.depth]
        var reach = 0..<shape.width, interior = 0..<shape.width
        for axis in 0..<(planar ? 2 : 3) {
            let n = Float(extents[axis])
            // linearPoint: all neighbours inside when 0 ≤ v < n − 1; some inside when −1 < v < n.
            interior = intersect(interior, run(base: base[axis], step: step[axis], count: shape.width,
                                               lower: 0, strictLower: false, upper: n - 1))
            reach = intersect(reach, run(base: base[axis], step: step[axis], count: shape.width,
                                         lower: -1, strictLower: true, upper: n))
        }
        if interior.isEmpty { interior = reach.lowerBound..<reach.lowerBound }
        return Runs(reach: reach, interior: interior)
    }

    private static func intersect(_ a: Range<Int>, _ b: Range<Int>) -> Range<Int> {
        let lo = max(a.lowerBound, b.lowerBound)
        return lo..<max(lo, min(a.upperBound, b.upperBound))
    }

    /// The indices i in 0..<count with lower ≤ v_i < upper (lower < v_i when `strictLower`), v_i = base +
    /// Float(i)·step in Float arithmetic. The set is an interval; it is estimated in Double, widened on both
    /// sides by the largest index error the Float rounding allows, and trimmed with the predicate itself, so it
    /// is exact. Rows whose step is too small for a narrow estimate (or non-finite values) are scanned.
    static func run(base b: Float, step d: Float, count: Int, lower: Float, strictLower: Bool, upper: Float) -> Range<Int> {
        @inline(__always) func holds(_ i: Int) -> Bool {
            let v = b + Float(i) * d
            return (strictLower ? v > lower : v >= lower) && v < upper
        }
        guard count > 0 else { return 0..<0 }
        guard b.isFinite, d.isFinite else { return scan(count: count, holds) }
        if d == 0 { return holds(0) ? 0..<count : 0..<0 }
        // |fl(b + fl(i·d)) − (b + i·d)| ≤ 2⁻²³·(|b| + 2|i·d|); in indices, divided by |d|.
        let magnitude = Double(abs(b)) + 2 * Double(count) * Double(abs(d)) + Double(max(abs(lower), abs(upper)))
        let slack = magnitude * 0x1p-22 / Double(abs(d)) + 2
        guard slack < 16 else { return scan(count: count, holds) }
        var t0 = (Double(lower) - Double(b)) / Double(d), t1 = (Double(upper) - Double(b)) / Double(d)
        if d < 0 { swap(&t0, &t1) }
        let lo = max(0, min(count, Int((t0 - slack).rounded(.down))))
        let hi = max(lo, min(count, Int((t1 + slack).rounded(.up)) + 1))
        // [lo, hi) contains every index where the predicate holds; trim it to them.
        var i0 = lo, i1 = hi
        while i0 < i1 && !holds(i0) { i0 += 1 }
        while i1 > i0 && !holds(i1 - 1) { i1 -= 1 }
        return i0..<i1
    }

    /// The run by testing every index (the predicate holds on an interval).
    private static func scan(count: Int, _ holds: (Int) -> Bool) -> Range<Int> {
        guard let first = (0..<count).first(where: holds) else { return 0..<0 }
        var end = first + 1
        while end < count && holds(end) { end += 1 }
        return first..<end
    }

    /// Trilinear samples of one output row of `shape.width` points (outside the grid: `fill`).
    @inline(__always)
    static func linearRow(_ src: UnsafePointer<Float>, shape: VolumeShape, base: SIMD3<Float>, step: SIMD3<Float>,
                          fill: Float, out: UnsafeMutablePointer<Float>) {
        linearRow(src, shape: shape, base: base, step: step, runs: runs(base: base, step: step, shape: shape), fill: fill, out: out)
    }

    /// Trilinear samples of one output row whose runs are `runs` (computed once per row for all channels).
    @inline(__always)
    static func linearRow(_ src: UnsafePointer<Float>, shape: VolumeShape, base: SIMD3<Float>, step: SIMD3<Float>,
                          runs: Runs, fill: Float, out: UnsafeMutablePointer<Float>) {
        let w = shape.width, reach = runs.reach, inner = runs.interior
        @inline(__always) func point(_ i: Int) -> Float {
            let fi = Float(i)
            return Resampler.linearPoint(src, shape: shape, x: base.x + fi * step.x, y: base.y + fi * step.y,
                                         z: base.z + fi * step.z, fill: fill)
        }
        out.update(repeating: fill, count: reach.lowerBound)
        for i in reach.lowerBound..<inner.lowerBound { out[i] = point(i) }
        var i = SIMDKernels.trilinearInterior(src, width: shape.width, height: shape.height, base: base, step: step,
                                              from: inner.lowerBound, to: inner.upperBound, out: out)
        while i < inner.upperBound { out[i] = point(i); i += 1 }
        for i in inner.upperBound..<reach.upperBound { out[i] = point(i) }
        (out + reach.upperBound).update(repeating: fill, count: w - reach.upperBound)
    }

    /// Bilinear samples of one output row of a one-slice grid (`shape.depth == 1`, z ignored): the values of
    /// `Resampler.bilinearRow` on the coordinates of `fillRow`, by runs as `linearRow`.
    @inline(__always)
    static func bilinearRow(_ src: UnsafePointer<Float>, shape: VolumeShape, base: SIMD3<Float>, step: SIMD3<Float>,
                            fill: Float, out: UnsafeMutablePointer<Float>) {
        let w = shape.width, sy = shape.width
        let runs = runs(base: base, step: step, shape: shape, planar: true)
        let reach = runs.reach, inner = runs.interior
        @inline(__always) func point(_ i: Int) -> Float {
            let fi = Float(i)
            return Resampler.bilinearPoint(src, shape: shape, x: base.x + fi * step.x, y: base.y + fi * step.y, fill: fill)
        }
        out.update(repeating: fill, count: reach.lowerBound)
        for i in reach.lowerBound..<inner.lowerBound { out[i] = point(i) }
        typealias V = SIMD4<Float>
        let bx = V(repeating: base.x), by = V(repeating: base.y)
        var i = inner.lowerBound
        var fi = V(Float(i), Float(i + 1), Float(i + 2), Float(i + 3))
        while i + 4 <= inner.upperBound {
            let (x0, fx) = Resampler.floorParts(bx + fi * step.x)
            let (y0, fy) = Resampler.floorParts(by + fi * step.y)
            let index = y0 &* Int32(sy) &+ x0
            let (o0, o1, o2, o3) = (Int(index[0]), Int(index[1]), Int(index[2]), Int(index[3]))
            @inline(__always) func corner(_ offset: Int) -> V {
                V(src[o0 &+ offset], src[o1 &+ offset], src[o2 &+ offset], src[o3 &+ offset])
            }
            let p00 = corner(0), p10 = corner(1), p01 = corner(sy), p11 = corner(sy + 1)
            let c0 = p00 + fx * (p10 - p00), c1 = p01 + fx * (p11 - p01)
            UnsafeMutableRawPointer(out + i).storeBytes(of: c0 + fy * (c1 - c0), as: V.self)
            i += 4
            fi += 4
        }
        while i < inner.upperBound { out[i] = point(i); i += 1 }
        for i in inner.upperBound..<reach.upperBound { out[i] = point(i) }
        (out + reach.upperBound).update(repeating: fill, count: w - reach.upperBound)
    }
}

import MedCore

/// Summation kernels.
enum Reduce {
    /// Values per block in `sumAll`; fixed so that the result does not depend on the number of threads.
    static let blockSize = 1 << 16

    /// x: [count] -> Σ x, accumulated in Double per block of `blockSize`, blocks added in order.
    static func sumAll(_ x: UnsafePointer<Float>, count: Int) -> Double {
        let blocks = (count + blockSize - 1) / blockSize
        guard blocks > 1 else { return sumRange(x, 0..<count) }
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { p in
            let partials = p
            Parallel.forEachChunk(count: blocks) { r in
                for b in r { partials[b] = sumRange(x, (b * blockSize)..<min(count, (b + 1) * blockSize)) }
            }
        }
        return partials.reduce(0, +)
    }

    @inline(__always)
    private static func sumRange(_ x: UnsafePointer<Float>, _ r: Range<Int>) -> Double {
        sum(x + r.lowerBound, count: r.count)
    }

    /// The values per run in `sum` and `sumOfSquaredDeviations`.
    static let run = 256

    /// x: [count] -> Σ x. Eight Float lanes (one SIMD register) sum each run of 256 values, so the loop
    /// vectorises (Swift never reorders scalar Float additions itself); the run sums are added in Double, so the
    /// rounding error stays that of 32 additions per lane, whatever the count.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + run <= count {
            var lanes = SIMD8<Float>()
            for j in stride(from: i, to: i + run, by: 8) {
                lanes += raw.loadUnaligned(fromByteOffset: j * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
            }
            total += Double(lanes.sum())
            i += run
        }
        var tail: Float = 0
        while i < count { tail += x[i]; i += 1 }
        return total + Double(tail)
    }

    /// x: [count] -> Σ (x − mean)², summed like `sum`.
    @inline(__always)
    static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Double {
        var total = 0.0
        var i = 0
        let raw = UnsafeRawPointer(x)
        let m = SIMD8<Float>(repeating: mean)
        while i + run <= count {
            var lanes = SIMD8<Float>()
            for j in stride(from: i, to: i + run, by: 8) {
                let d = raw.loadUnaligned(fromByteOffset: j * MemoryLayout<Float>.stride, as: SIMD8<Float>.self) - m
                lanes += d * d
            }
            total += Double(lanes.sum())
            i += run
        }
        var tail: Float = 0
        while i < count { let d = x[i] - mean; tail += d * d; i += 1 }
        return total + Double(tail)
    }

    /// x: [outer, n, inner] -> y: [outer, inner], y[o, i] = Σⱼ x[o, j, i].
    static func sumMiddle(_ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                          into y: UnsafeMutablePointer<Float>) {
        let run: (Range<Int>) -> Void = { r in
            for o in r {
                let src = x + o * n * inner
                if inner == 1 {
                    y[o] = Float(sumRange(src, 0..<n))
                } else {
                    let dst = y + o * inner
                    guard n > 0 else { dst.update(repeating: 0, count: inner); continue }
                    dst.update(from: src, count: inner)
                    for j in 1..<n {
                        let row = src + j * inner
                        for i in 0..<inner { dst[i] += row[i] }
                    }
                }
            }
        }
        if outer * n * inner < Elementwise.parallelThreshold || outer == 1 { run(0..<outer) } else {
            Parallel.forEachChunk(count: outer, minimumChunk: max(1, Elementwise.minimumChunk / max(1, n * inner)), run)
        }
    }
}

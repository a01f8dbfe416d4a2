import Foundation
import MedCore

/// Softmax and log-softmax along one axis, viewed as [outer, n, inner] (the axis in the middle), forward and
/// backward.
enum SoftmaxKernel {
    /// The layout: `outer` blocks of `n` × `inner` values; the softmax runs over the n values of each
    /// (outer, inner) pair, `inner` apart in memory.
    struct Geometry: Equatable {
        let outer: Int, n: Int, inner: Int
    }

    /// x -> y = softmax(x) (log: y = log softmax(x)), max-subtracted so that large inputs do not overflow.
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry, log: Bool) {
        forEachLine(g) { o, i in
            let src = x + o * g.n * g.inner + i, dst = y + o * g.n * g.inner + i
            var m = -Float.infinity
            for k in 0..<g.n { m = max(m, src[k * g.inner]) }
            var s = 0.0
            for k in 0..<g.n { s += Double(Foundation.exp(src[k * g.inner] - m)) }
            if log {
                let shift = m + Float(Foundation.log(s))
                for k in 0..<g.n { dst[k * g.inner] = src[k * g.inner] - shift }
            } else {
                let scale = Float(1 / s)
                for k in 0..<g.n { dst[k * g.inner] = Foundation.exp(src[k * g.inner] - m) * scale }
            }
        }
    }

    /// gy, y (the forward output) -> gx. Softmax: gx = y · (gy − Σ gy · y); log-softmax: gx = gy − eʸ · Σ gy.
    static func backward(_ gy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                         _ g: Geometry, log: Bool) {
        forEachLine(g) { o, i in
            let base = o * g.n * g.inner + i
            let (gl, yl, dl) = (gy + base, y + base, gx + base)
            var s = 0.0
            if log {
                for k in 0..<g.n { s += Double(gl[k * g.inner]) }
                for k in 0..<g.n { dl[k * g.inner] = gl[k * g.inner] - Foundation.exp(yl[k * g.inner]) * Float(s) }
            } else {
                for k in 0..<g.n { s += Double(gl[k * g.inner] * yl[k * g.inner]) }
                for k in 0..<g.n { dl[k * g.inner] = yl[k * g.inner] * (gl[k * g.inner] - Float(s)) }
            }
        }
    }

    /// Calls `body(o, i)` for every line, in parallel over `outer` when large.
    private static func forEachLine(_ g: Geometry, _ body: (Int, Int) -> Void) {
        let perOuter = g.n * g.inner
        if g.outer * perOuter < Elementwise.parallelThreshold {
            for o in 0..<g.outer { for i in 0..<g.inner { body(o, i) } }
        } else {
            Parallel.forEachChunk(count: g.outer, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perOuter))) { r in
                for o in r { for i in 0..<g.inner { body(o, i) } }
            }
        }
    }

    // MARK: - Reference

    /// The definition exp(xₖ) / Σⱼ exp(xⱼ) (or its logarithm) in Double without max subtraction; the test oracle
    /// for moderate inputs.
    static func reference(_ x: [Float], _ g: Geometry, log: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for o in 0..<g.outer { for i in 0..<g.inner {
            let idx = (0..<g.n).map { (o * g.n + $0) * g.inner + i }
            let total = idx.reduce(0.0) { $0 + Foundation.exp(Double(x[$1])) }
            for k in idx { y[k] = Float(log ? Double(x[k]) - Foundation.log(total) : Foundation.exp(Double(x[k])) / total) }
        } }
        return y
    }
}

import Foundation
import MedCore

// Elementwise kernels. The per-element function is a small struct conforming to `UnaryFunction` or
// `BinaryFunction`; the generic loops below are specialised for each struct at compile time (whole-module
// optimisation), so the inner loops contain the arithmetic itself, not a closure call.

/// A function of one Float, applied elementwise.
protocol UnaryFunction {
    /// The value at one element.
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two Floats, applied elementwise.
protocol BinaryFunction {
    /// The value at one element.
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// Loops that apply `UnaryFunction`s and `BinaryFunction`s over whole tensors.
enum Elementwise {
    /// Below this many elements a loop runs on the calling thread.
    static let parallelThreshold = 1 << 17
    /// The smallest chunk handed to a worker.
    static let minimumChunk = 1 << 15

    /// Runs `body` over `0..<count`, split across workers when `count` is large.
    @inline(__always)
    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < parallelThreshold { body(0..<count) } else {
            Parallel.forEachChunk(count: count, minimumChunk: minimumChunk, body)
        }
    }

    /// x: [*] -> y: [*], y[i] = f(x[i]).
    static func map<F: UnaryFunction>(_ x: Tensor, _ f: F) -> Tensor {
        let y = Tensor(uninitializedShape: x.shape)
        let xp = x.storage.pointer, yp = y.storage.pointer
        forEachChunk(x.count) { r in
            for i in r { yp[i] = f(xp[i]) }
        }
        return withExtendedLifetime(x) { y }
    }

    /// a: [*], b: [*] (same shape) -> y: [*], y[i] = f(a[i], b[i]).
    static func zip<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
        precondition(a.shape == b.shape, "elementwise op needs equal shapes, got \(a.shape) and \(b.shape)")
        let y = Tensor(uninitializedShape: a.shape)
        let ap = a.storage.pointer, bp = b.storage.pointer, yp = y.storage.pointer
        forEachChunk(a.count) { r in
            for i in r { yp[i] = f(ap[i], bp[i]) }
        }
        return withExtendedLifetime((a, b)) { y }
    }

    /// The shape two operands broadcast to (NumPy rules: align from the right; extents must match or be 1).
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for d in 0..<rank {
            let ea = d < rank - a.count ? 1 : a[d - (rank - a.count)]
            let eb = d < rank - b.count ? 1 : b[d - (rank - b.count)]
            precondition(ea == eb || ea == 1 || eb == 1, "shapes \(a) and \(b) do not broadcast (dimension \(d))")
            out[d] = ea == 1 ? eb : ea
        }
        return out
    }

    /// Strides that read a contiguous tensor of `shape` as if it had shape `out` (0 along broadcast dimensions).
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
        let own = Tensor.contiguousStrides(shape)
        let offset = out.count - shape.count
        return (0..<out.count).map { d in
            d < offset || shape[d - offset] == 1 ? 0 : own[d - offset]
        }
    }

    /// Merges neighbouring dimensions that every operand walks contiguously relative to each other, so that
    /// inner loops are as long as possible; drops extent-1 dimensions. Returns at least one dimension.
    static func coalesce(_ shape: [Int], _ strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        var outShape: [Int] = []
        var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = outShape.last,
               strides.indices.allSatisfy({ strides[$0][d] * shape[d] == outStrides[$0].last! }) {
                outShape[outShape.count - 1] = last * shape[d]
                for k in strides.indices { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
            } else {
                outShape.append(shape[d])
                for k in strides.indices { outStrides[k].append(strides[k][d]) }
            }
        }
        if outShape.isEmpty { return ([1], strides.map { _ in [0] }) }
        return (outShape, outStrides)
    }

    /// a: [A…], b: [B…] -> y: broadcastShape(A, B), y = f(a, b) with NumPy broadcasting.
    static func broadcast<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
        if a.shape == b.shape { return zip(a, b, f) }
        let outShape = broadcastShape(a.shape, b.shape)
        let y = Tensor(uninitializedShape: outShape)
        let (shape, strides) = coalesce(outShape, [broadcastStrides(a.shape, to: outShape),
                                                   broadcastStrides(b.shape, to: outShape)])
        let inner = shape[shape.count - 1], sa = strides[0].last!, sb = strides[1].last!
        let outerShape = Array(shape.dropLast())
        let outerA = Array(strides[0].dropLast()), outerB = Array(strides[1].dropLast())
        let rows = Tensor.elementCount(outerShape)
        let ap = a.storage.pointer, bp = b.storage.pointer, yp = y.storage.pointer
        let rowsPerChunk = max(1, minimumChunk / max(1, inner))
        let run: (Range<Int>) -> Void = { rowRange in
            for row in rowRange {
                // Offsets of this row in a and b, from the row's multi-index over the outer dimensions.
                var rem = row, offA = 0, offB = 0
                for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
                    let i = rem % outerShape[d]
                    rem /= outerShape[d]
                    offA += i * outerA[d]
                    offB += i * outerB[d]
                }
                let pa = ap + offA, pb = bp + offB, py = yp + row * inner
                switch (sa, sb) {
                case (1, 1): for i in 0..<inner { py[i] = f(pa[i], pb[i]) }
                case (1, 0): let v = pb[0]; for i in 0..<inner { py[i] = f(pa[i], v) }
                case (0, 1): let v = pa[0]; for i in 0..<inner { py[i] = f(v, pb[i]) }
                default: for i in 0..<inner { py[i] = f(pa[i * sa], pb[i * sb]) }
                }
            }
        }
        if rows * inner < parallelThreshold { run(0..<rows) } else {
            Parallel.forEachChunk(count: rows, minimumChunk: rowsPerChunk, run)
        }
        return withExtendedLifetime((a, b)) { y }
    }

    /// src read through `strides` as a tensor of `shape` -> dst: contiguous [shape].
    /// Used by permute (permuted strides) and broadcasting expansion (zero strides).
    static func gather(_ src: UnsafePointer<Float>, strides srcStrides: [Int], shape outShape: [Int],
                       into dst: UnsafeMutablePointer<Float>) {
        let (shape, strides) = coalesce(outShape, [srcStrides, Tensor.contiguousStrides(outShape)])
        let inner = shape[shape.count - 1], s = strides[0].last!
        let outerShape = Array(shape.dropLast()), outerStrides = Array(strides[0].dropLast())
        let rows = Tensor.elementCount(outerShape)
        let run: (Range<Int>) -> Void = { rowRange in
            for row in rowRange {
                var rem = row, off = 0
                for d in stride(from: outerShape.count - 1, through: 0, by: -1) {
                    off += (rem % outerShape[d]) * outerStrides[d]
                    rem /= outerShape[d]
                }
                let p = src + off, q = dst + row * inner
                switch s {
                case 1: q.update(from: p, count: inner)
                case 0: q.update(repeating: p[0], count: inner)
                default: for i in 0..<inner { q[i] = p[i * s] }
                }
            }
        }
        if rows * inner < parallelThreshold { run(0..<rows) } else {
            Parallel.forEachChunk(count: rows, minimumChunk: max(1, minimumChunk / max(1, inner)), run)
        }
    }
}

// MARK: - Element functions

struct Negate: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
/// scale · x + shift (scalar add, subtract, multiply).
struct Affine: UnaryFunction {
    let scale: Float, shift: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { scale * x + shift }
}
/// numerator / x.
struct ScalarOver: UnaryFunction {
    let numerator: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { numerator / x }
}
struct Exp: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.exp(x) } }
struct Log: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
struct Sqrt: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct Abs: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct Square: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
struct Power: UnaryFunction {
    let exponent: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, exponent) }
}
struct Relu: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
struct LeakyRelu: UnaryFunction {
    let slope: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : slope * x }
}
struct Tanh: UnaryFunction { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) } }
struct Sigmoid: UnaryFunction {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}

struct Add: BinaryFunction { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct Subtract: BinaryFunction { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct Multiply: BinaryFunction { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct Divide: BinaryFunction { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
/// −a·b.
struct NegMultiply: BinaryFunction { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { -a * b } }

// Backward rules: (g = dL/dy, saved forward value) -> dL/dx.

/// g where x > 0, else 0.
struct ReluGrad: BinaryFunction { @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : 0 } }
struct LeakyReluGrad: BinaryFunction {
    let slope: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : slope * g }
}
/// g · (1 − y²) with y = tanh(x).
struct TanhGrad: BinaryFunction { @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) } }
/// g · y · (1 − y) with y = sigmoid(x).
struct SigmoidGrad: BinaryFunction { @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) } }
/// g / (2y) with y = sqrt(x).
struct SqrtGrad: BinaryFunction { @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * 0.5 / y } }
/// g · sign(x), with sign(0) = 0 as in PyTorch.
struct AbsGrad: BinaryFunction {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
}
/// g · p · x^(p−1).
struct PowerGrad: BinaryFunction {
    let exponent: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float {
        g * exponent * Foundation.pow(x, exponent - 1)
    }
}
/// −g · c / x² (derivative of c / x).
struct ScalarOverGrad: BinaryFunction {
    let numerator: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { -g * numerator / (x * x) }
}

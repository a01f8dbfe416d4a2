import MedCore

/// An n-dimensional array of Float32 values in contiguous row-major order, with optional reverse-mode
/// autodiff.
///
/// `Tensor` is a value type with copy-on-write storage: `let b = a` shares `a`'s buffer, and writing to `b`
/// copies it first, so `a` never changes. Shapes are `[Int]`, outermost first; images are NCHW
/// (`[batch, channels, height, width]`). A rank-0 tensor (`shape == []`) holds one value.
///
/// Autodiff: a tensor made with `requiringGrad()` is a *leaf*; every differentiable op applied to it while grad
/// tracking is on (see `withNoGrad(_:)`) records its backward rule, and `backward()` on a scalar result fills
/// the leaves' `grad`. See `Autodiff.swift`.
///
/// Shape mismatches in ops are programmer errors and stop with a `precondition` that quotes both shapes.
public struct Tensor {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The values; shared among copies until one of them writes.
    var storage: TensorStorage
    /// The autodiff record: a leaf's gradient slot, or the op that made this tensor. `nil` when untracked.
    var node: GradNode?

    /// Wraps existing storage (internal: ops build their results this way).
    init(shape: [Int], storage: TensorStorage) {
        precondition(Tensor.elementCount(shape) == storage.count,
                     "shape \(shape) needs \(Tensor.elementCount(shape)) values, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.node = nil
    }

    /// An uninitialised tensor whose every value the caller writes before the tensor escapes.
    init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Tensor.elementCount(shape)))
    }

    /// A tensor holding `values` in row-major order.
    /// - Parameters:
    ///   - values: the values, last dimension fastest.
    ///   - shape: the dimensions; their product must equal `values.count`.
    public init(_ values: [Float], shape: [Int]) {
        Tensor.checkShape(shape)
        precondition(values.count == Tensor.elementCount(shape),
                     "\(values.count) values do not fill shape \(shape) (\(Tensor.elementCount(shape)) needed)")
        self.init(shape: shape, storage: TensorStorage(copying: values))
    }

    /// A one-dimensional tensor holding `values`.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A rank-0 tensor holding one value.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// A tensor of the given shape with every value equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        Tensor.checkShape(shape)
        self.init(shape: shape, storage: TensorStorage(count: Tensor.elementCount(shape), repeating: value))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// A tensor with every value equal to `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor { Tensor(shape: shape, repeating: value) }

    /// A tensor of zeros with the shape of `other` (never tracked).
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }

    /// A tensor of ones with the shape of `other` (never tracked).
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape) }

    // MARK: - Shape and values

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The number of values (1 for a rank-0 tensor).
    public var count: Int { storage.count }

    /// The values as an array, row-major.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return storage.pointer[0]
    }

    /// The value at a multi-index (one index per dimension, each in range).
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[flatIndex(index)] }
        set {
            let i = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[i] = newValue }
        }
    }

    /// Calls `body` with read access to the values (valid only inside `body`).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }
    }

    /// Calls `body` with write access to the values, copying the storage first if another tensor shares it.
    ///
    /// Writing to a leaf (a parameter) is how optimizers update it; its `grad` is kept. Writing to a tensor that
    /// an op produced while tracking would silently invalidate the recorded graph, so it is a programmer error:
    /// call `detached()` first.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        precondition(node == nil || node!.isLeaf,
                     "cannot write into a tensor recorded by '\(node!.opName)' in an autodiff graph; use detached()")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// True when `self` and `other` share their value buffer (used by tests of copy-on-write).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    // MARK: - Shape arithmetic

    /// The number of values a shape holds.
    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of a shape, in elements.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = s
            s *= shape[d]
        }
        return strides
    }

    /// Stops on negative extents.
    static func checkShape(_ shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "shape \(shape) has a negative extent")
    }

    /// `axis` with negative values counted from the end, checked against `rank`.
    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) is out of range for shape \(shape)")
        return a
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) has \(index.count) components, shape \(shape) has \(rank)")
        var flat = 0
        for d in 0..<rank {
            precondition(index[d] >= 0 && index[d] < shape[d], "index \(index) is out of range for shape \(shape)")
            flat = flat * shape[d] + index[d]
        }
        return flat
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first 8 values, e.g. `Tensor[2, 3](0.0, 1.0, …)`.
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(count > 8 ? ", …" : ""))"
    }
}

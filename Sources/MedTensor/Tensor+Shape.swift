// Shape ops with their backward rules: reshape (free, shares storage), permute (materialising), slicing and
// concatenation along one axis.

extension Tensor {
    /// The same values with a new shape (row-major order is kept; no copy).
    /// - Parameter newShape: the dimensions; at most one may be −1, meaning "whatever makes the count match".
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let free = target.firstIndex(of: -1) {
            precondition(target.filter { $0 == -1 }.count == 1, "reshape to \(newShape): only one −1 allowed")
            let known = target.enumerated().filter { $0.offset != free }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[free] = count / known
        }
        Tensor.checkShape(target)
        precondition(Tensor.elementCount(target) == count, "cannot reshape \(shape) (\(count) values) to \(newShape)")
        if target == shape { return self }
        let inputShape = shape
        return Tensor(shape: target, storage: storage).recordedDifferentiably("reshape", from: [self]) { g, _ in
            [g.reshaped(inputShape)]
        }
    }

    /// The dimensions reordered: result dimension i is this tensor's dimension `axes[i]` (values are copied).
    /// - Parameter axes: a permutation of `0..<rank`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permutation \(axes) does not fit rank \(rank) (shape \(shape))")
        if axes == Array(0..<rank) { return self }
        let ownStrides = Tensor.contiguousStrides(shape)
        let outShape = axes.map { shape[$0] }
        let y = Tensor(uninitializedShape: outShape)
        Elementwise.gather(storage.pointer, strides: axes.map { ownStrides[$0] }, shape: outShape, into: y.storage.pointer)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return withExtendedLifetime(self) { y }.recorded("permute", from: [self]) { g in [g.permuted(inverse)] }
    }

    /// The matrix transpose of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed() needs a matrix, shape is \(shape)")
        return permuted([1, 0])
    }

    /// The part of this tensor with indices in `range` along `axis` (values are copied).
    /// - Parameters:
    ///   - axis: the dimension to cut (negative counts from the end).
    ///   - range: the kept indices, within `0..<shape[axis]`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) is out of bounds for axis \(a) of shape \(shape)")
        var outShape = shape
        outShape[a] = range.count
        let y = Tensor(uninitializedShape: outShape)
        Tensor.copyBlocks(from: storage.pointer, axisExtent: shape[a], start: range.lowerBound,
                          to: y.storage.pointer, axisExtent: range.count, start: 0,
                          copying: range.count, outer: shape[..<a].reduce(1, *), inner: shape[(a + 1)...].reduce(1, *))
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("slice", from: [self]) { g in
            let gx = Tensor.zeros(inputShape)
            Tensor.copyBlocks(from: g.storage.pointer, axisExtent: range.count, start: 0,
                              to: gx.storage.pointer, axisExtent: inputShape[a], start: range.lowerBound,
                              copying: range.count, outer: inputShape[..<a].reduce(1, *),
                              inner: inputShape[(a + 1)...].reduce(1, *))
            return [withExtendedLifetime(g) { gx }]
        }
    }

    /// The tensors joined along `axis`; all other extents must agree.
    /// - Parameters:
    ///   - tensors: at least one tensor, all of the same rank.
    ///   - axis: the joining dimension (negative counts from the end).
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let a = first.normalizedAxis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "cannot concatenate shapes \(tensors.map(\.shape)) along axis \(a)")
        }
        let extents = tensors.map { $0.shape[a] }
        var outShape = first.shape
        outShape[a] = extents.reduce(0, +)
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        let y = Tensor(uninitializedShape: outShape)
        var start = 0
        for t in tensors {
            copyBlocks(from: t.storage.pointer, axisExtent: t.shape[a], start: 0,
                       to: y.storage.pointer, axisExtent: outShape[a], start: start,
                       copying: t.shape[a], outer: outer, inner: inner)
            start += t.shape[a]
        }
        return withExtendedLifetime(tensors) { y }.recorded("concatenate", from: tensors) { g in
            var offset = 0
            return extents.map { e in
                defer { offset += e }
                return g.sliced(axis: a, offset..<(offset + e))
            }
        }
    }

    /// src: [outer, srcExtent, inner] rows start..<start+n -> dst: [outer, dstExtent, inner] rows from dstStart.
    static func copyBlocks(from src: UnsafePointer<Float>, axisExtent srcExtent: Int, start srcStart: Int,
                           to dst: UnsafeMutablePointer<Float>, axisExtent dstExtent: Int, start dstStart: Int,
                           copying n: Int, outer: Int, inner: Int) {
        let block = n * inner
        guard block > 0 else { return }
        for o in 0..<outer {
            (dst + (o * dstExtent + dstStart) * inner).update(from: src + (o * srcExtent + srcStart) * inner, count: block)
        }
    }
}

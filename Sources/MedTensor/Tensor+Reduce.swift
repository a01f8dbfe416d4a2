// Sums and means, over all values or over axes, with their backward rules (broadcasting the gradient back),
// and the broadcast expansion that is their adjoint. Kernels: Kernels/ReduceKernels.swift.

extension Tensor {
    /// The sum of all values, as a rank-0 tensor.
    public func sum() -> Tensor {
        let y = Tensor(scalar: Float(Reduce.sumAll(storage.pointer, count: count)))
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recordedDifferentiably("sum", from: [self]) { g, _ in
            [g.broadcast(to: inputShape)]
        }
    }

    /// The mean of all values, as a rank-0 tensor.
    public func mean() -> Tensor {
        precondition(count > 0, "mean of an empty tensor, shape \(shape)")
        return sum() * (1 / Float(count))
    }

    /// Sums over `axes`.
    /// - Parameters:
    ///   - axes: the dimensions to sum over (negative values count from the end); duplicates are not allowed.
    ///   - keepDims: keep the summed dimensions with extent 1, so the result broadcasts against `self`.
    /// - Returns: the sums, shape `self.shape` without (or with extent 1 at) `axes`.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let normalized = axes.map(normalizedAxis).sorted()
        precondition(Set(normalized).count == normalized.count, "axes \(axes) repeat a dimension")
        var keptShape = shape
        for a in normalized { keptShape[a] = 1 }
        let outShape = keepDims ? keptShape : shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
        let inputShape = shape
        let y = sumKeepingDims(normalized).reshaped(outShape)
        return y.recordedDifferentiably("sum_axes", from: [self]) { g, _ in
            [g.reshaped(keptShape).broadcast(to: inputShape)]
        }
    }

    /// The mean over `axes` (see `sum(axes:keepDims:)`).
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalizedAxis($0)] }.reduce(1, *)
        precondition(n > 0, "mean over empty axes \(axes) of shape \(shape)")
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(n))
    }

    /// This tensor repeated along its extent-1 (and missing leading) dimensions to `shape` (NumPy broadcasting).
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(Elementwise.broadcastShape(shape, target) == target, "shape \(shape) does not broadcast to \(target)")
        let y = Tensor(uninitializedShape: target)
        Elementwise.gather(storage.pointer, strides: Elementwise.broadcastStrides(shape, to: target), shape: target,
                           into: y.storage.pointer)
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recordedDifferentiably("broadcast", from: [self]) { g, _ in
            [g.sum(toShape: inputShape)]
        }
    }

    /// The sum of this (broadcast) tensor down to `target`, a shape that broadcasts to `self.shape`: the adjoint
    /// of `broadcast(to:)`, used by the backward rules of broadcasting ops.
    func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let leading = rank - target.count
        precondition(leading >= 0, "cannot sum shape \(shape) down to the larger rank of \(target)")
        var axes = Array(0..<leading)
        for d in 0..<target.count where target[d] == 1 && shape[leading + d] != 1 { axes.append(leading + d) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }

    /// Untracked sums over sorted, distinct `axes`, keeping them with extent 1. Each run of neighbouring axes is
    /// one pass over [outer, n, inner].
    private func sumKeepingDims(_ axes: [Int]) -> Tensor {
        var current = self.detached()
        var i = 0
        while i < axes.count {
            var j = i
            while j + 1 < axes.count && axes[j + 1] == axes[j] + 1 { j += 1 }
            let lo = axes[i], hi = axes[j]
            let outer = current.shape[..<lo].reduce(1, *)
            let n = current.shape[lo...hi].reduce(1, *)
            let inner = current.shape[(hi + 1)...].reduce(1, *)
            var outShape = current.shape
            for a in lo...hi { outShape[a] = 1 }
            let y = Tensor(uninitializedShape: outShape)
            Reduce.sumMiddle(current.storage.pointer, outer: outer, n: n, inner: inner, into: y.storage.pointer)
            current = withExtendedLifetime(current) { y }
            i = j + 1
        }
        return current
    }
}

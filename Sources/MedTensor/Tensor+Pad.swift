extension Tensor {
    /// This tensor with its last two dimensions (height, width of NCHW) padded.
    /// - Parameters:
    ///   - top: rows added above.
    ///   - bottom: rows added below.
    ///   - left: columns added on the left.
    ///   - right: columns added on the right.
    ///   - mode: how the new pixels are filled; `.reflect` needs every pad smaller than the extent it pads.
    /// - Returns: shape `[…, H + top + bottom, W + left + right]`.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, mode: PaddingMode = .zero) -> Tensor {
        precondition(rank >= 2, "padding needs at least 2 dimensions, shape is \(shape)")
        precondition(min(top, bottom, left, right) >= 0,
                     "padding (\(top), \(bottom), \(left), \(right)) must not be negative")
        let h = shape[rank - 2], w = shape[rank - 1]
        if mode == .reflect {
            precondition(max(top, bottom) < h && max(left, right) < w,
                         "reflection padding (\(top), \(bottom), \(left), \(right)) must be smaller than the image \(h)×\(w)")
        }
        if mode == .replicate {
            precondition(h > 0 && w > 0 || top + bottom + left + right == 0, "cannot replicate the edge of an empty image \(shape)")
        }
        let geometry = PadKernel.Geometry(planes: count / max(1, h * w), height: h, width: w,
                                          top: top, bottom: bottom, left: left, right: right, mode: mode)
        var outShape = shape
        outShape[rank - 2] = geometry.outHeight
        outShape[rank - 1] = geometry.outWidth
        let y = Tensor(uninitializedShape: outShape)
        if h * w > 0 { PadKernel.forward(storage.pointer, y.storage.pointer, geometry) }
        else { y.storage.pointer.update(repeating: 0, count: y.count) }
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("pad", from: [self]) { g in
            let gx = Tensor(uninitializedShape: inputShape)
            if h * w > 0 { PadKernel.backward(g.storage.pointer, gx.storage.pointer, geometry) }
            return [withExtendedLifetime(g) { gx }]
        }
    }

    /// This tensor with `amount` pixels added on all four sides of its last two dimensions.
    public func padded(_ amount: Int, mode: PaddingMode = .zero) -> Tensor {
        padded(top: amount, bottom: amount, left: amount, right: amount, mode: mode)
    }
}

extension Tensor {
    /// This tensor with its last three dimensions (depth, height, width of NCDHW) padded.
    ///
    /// Composed of two planar paddings: the last two dimensions first, then the depth, viewing each slice as one
    /// row of a [D, H·W] plane (the padding rules are the same per dimension), so the gradient comes for free.
    /// - Parameters:
    ///   - front: slices added before the first.
    ///   - back: slices added after the last.
    ///   - top: rows added above.
    ///   - bottom: rows added below.
    ///   - left: columns added on the left.
    ///   - right: columns added on the right.
    ///   - mode: how the new voxels are filled; `.reflect` needs every pad smaller than the extent it pads.
    /// - Returns: shape `[…, D + front + back, H + top + bottom, W + left + right]`.
    public func padded(front: Int, back: Int, top: Int, bottom: Int, left: Int, right: Int,
                       mode: PaddingMode = .zero) -> Tensor {
        precondition(rank >= 3, "3-D padding needs at least 3 dimensions, shape is \(shape)")
        let d = shape[rank - 3]
        precondition(mode != .reflect || max(front, back) < d,
                     "reflection padding (\(front), \(back)) of the depth must be smaller than the depth \(d)")
        let planar = padded(top: top, bottom: bottom, left: left, right: right, mode: mode)
        let (h, w) = (planar.shape[rank - 2], planar.shape[rank - 1])
        let leading = Array(shape.dropLast(3))
        let slices = planar.reshaped([leading.reduce(1, *), d, h * w])
            .padded(top: front, bottom: back, left: 0, right: 0, mode: mode)
        return slices.reshaped(leading + [d + front + back, h, w])
    }

    /// This tensor with `amount` voxels added on all six sides of its last three dimensions.
    public func padded3d(_ amount: Int, mode: PaddingMode = .zero) -> Tensor {
        padded(front: amount, back: amount, top: amount, bottom: amount, left: amount, right: amount, mode: mode)
    }
}

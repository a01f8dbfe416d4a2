// Nearest and bilinear resizing of NCHW batches (upsampling and downsampling) with their backward rules.
// Kernels: Kernels/ResizeKernels.swift.

extension Tensor {
    /// Checks resize arguments and returns the geometry for [N, C, H, W] input.
    private func resizeGeometry(_ op: String, height: Int, width: Int) -> ResizeKernel.Geometry {
        precondition(rank == 4, "\(op) needs [N, C, H, W], got \(shape)")
        precondition(height >= 1 && width >= 1 && shape[2] >= 1 && shape[3] >= 1,
                     "\(op) from \(shape[2])×\(shape[3]) to \(height)×\(width): sizes must be ≥ 1")
        return ResizeKernel.Geometry(planes: shape[0] * shape[1], height: shape[2], width: shape[3],
                                     outHeight: height, outWidth: width)
    }

    /// Each spatial plane resized to height × width by nearest-neighbour sampling (PyTorch's
    /// `F.interpolate(mode="nearest")`): output pixel (r, q) copies source pixel (⌊r·H/height⌋, ⌊q·W/width⌋).
    /// For an integer upsampling factor k pass height = k·H, width = k·W.
    /// - Returns: [N, C, height, width].
    public func resizedNearest(height: Int, width: Int) -> Tensor {
        let g = resizeGeometry("resizedNearest", height: height, width: width)
        let y = Tensor(uninitializedShape: [shape[0], shape[1], height, width])
        ResizeKernel.nearestForward(storage.pointer, y.storage.pointer, g)
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("resize_nearest", from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            ResizeKernel.nearestBackward(gy.storage.pointer, gx.storage.pointer, g)
            return [withExtendedLifetime(gy) { gx }]
        }
    }

    /// Each spatial plane resized to height × width by bilinear interpolation (PyTorch's
    /// `F.interpolate(mode="bilinear", align_corners=…)`, without antialiasing).
    /// - Parameters:
    ///   - height: output rows.
    ///   - width: output columns.
    ///   - alignCorners: map corner pixel centres onto each other; false (PyTorch's default) maps pixel edges.
    /// - Returns: [N, C, height, width].
    public func resizedBilinear(height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
        let g = resizeGeometry("resizedBilinear", height: height, width: width)
        let y = Tensor(uninitializedShape: [shape[0], shape[1], height, width])
        ResizeKernel.bilinearForward(storage.pointer, y.storage.pointer, g, alignCorners: alignCorners)
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("resize_bilinear", from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            ResizeKernel.bilinearBackward(gy.storage.pointer, gx.storage.pointer, g, alignCorners: alignCorners)
            return [withExtendedLifetime(gy) { gx }]
        }
    }
}

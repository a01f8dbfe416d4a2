// Nearest and (bi/tri)linear resizing of NCHW and NCDHW batches (upsampling and downsampling) with their
// backward rules. Kernels: Kernels/ResizeKernels.swift.

extension Tensor {
    /// Each spatial plane resized to height × width by nearest-neighbour sampling (PyTorch's
    /// `F.interpolate(mode="nearest")`): output pixel (r, q) copies source pixel (⌊r·H/height⌋, ⌊q·W/width⌋).
    /// For an integer upsampling factor k pass height = k·H, width = k·W.
    /// - Returns: [N, C, height, width].
    public func resizedNearest(height: Int, width: Int) -> Tensor {
        resized("resizedNearest", [height, width], linear: false, alignCorners: false)
    }

    /// Each volume of an NCDHW batch resized to depth × height × width by nearest-neighbour sampling (see
    /// `resizedNearest(height:width:)`).
    /// - Returns: [N, C, depth, height, width].
    public func resizedNearest(depth: Int, height: Int, width: Int) -> Tensor {
        resized("resizedNearest", [depth, height, width], linear: false, alignCorners: false)
    }

    /// Each spatial plane resized to height × width by bilinear interpolation (PyTorch's
    /// `F.interpolate(mode="bilinear", align_corners=…)`, without antialiasing).
    /// - Parameters:
    ///   - height: output rows.
    ///   - width: output columns.
    ///   - alignCorners: map corner pixel centres onto each other; false (PyTorch's default) maps pixel edges.
    /// - Returns: [N, C, height, width].
    public func resizedBilinear(height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
        resized("resizedBilinear", [height, width], linear: true, alignCorners: alignCorners)
    }

    /// Each volume of an NCDHW batch resized to depth × height × width by trilinear interpolation (PyTorch's
    /// `F.interpolate(mode="trilinear", align_corners=…)`); see `resizedBilinear(height:width:alignCorners:)`.
    /// - Returns: [N, C, depth, height, width].
    public func resizedTrilinear(depth: Int, height: Int, width: Int, alignCorners: Bool = false) -> Tensor {
        resized("resizedTrilinear", [depth, height, width], linear: true, alignCorners: alignCorners)
    }

    /// The shared implementation: `size` lists the 2 or 3 output spatial extents.
    private func resized(_ op: String, _ size: [Int], linear: Bool, alignCorners: Bool) -> Tensor {
        precondition(rank == size.count + 2, "\(op) to \(size) needs [N, C, spatial×\(size.count)], got \(shape)")
        precondition(size.allSatisfy { $0 >= 1 } && shape[2...].allSatisfy { $0 >= 1 },
                     "\(op) from \(Array(shape[2...])) to \(size): sizes must be ≥ 1")
        let is3D = size.count == 3
        let g = ResizeKernel.Geometry(planes: shape[0] * shape[1], depth: is3D ? shape[2] : 1, height: shape[rank - 2],
                                      width: shape[rank - 1], outDepth: is3D ? size[0] : 1,
                                      outHeight: size[size.count - 2], outWidth: size[size.count - 1])
        let y = Tensor(uninitializedShape: [shape[0], shape[1]] + size)
        if linear { ResizeKernel.linearForward(storage.pointer, y.storage.pointer, g, alignCorners: alignCorners) }
        else { ResizeKernel.nearestForward(storage.pointer, y.storage.pointer, g) }
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded(op, from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            if linear { ResizeKernel.linearBackward(gy.storage.pointer, gx.storage.pointer, g, alignCorners: alignCorners) }
            else { ResizeKernel.nearestBackward(gy.storage.pointer, gx.storage.pointer, g) }
            return [withExtendedLifetime(gy) { gx }]
        }
    }
}

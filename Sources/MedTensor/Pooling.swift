// Max and average pooling over NCHW and NCDHW batches with their backward rules (2-D is depth 1).
// Kernels: Kernels/PoolKernels.swift.

extension Tensor {
    /// The maximum over each kernel × kernel window (PyTorch's `MaxPool2d`, floor mode, dilation 1); padding
    /// positions never win. The gradient goes to the first maximal value of each window.
    /// - Parameters:
    ///   - kernel: the window size.
    ///   - stride: the step, the kernel size when nil.
    ///   - padding: ignored positions added on every side, at most kernel / 2.
    /// - Returns: [N, C, OH, OW] with OH = (H + 2·padding − kernel) / stride + 1.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        maxPool("maxPool2d", poolGeometry("maxPool2d", spatialRank: 2, kernel: kernel, stride: stride, padding: padding))
    }

    /// The maximum over each kernel³ window of an NCDHW batch (PyTorch's `MaxPool3d`); see `maxPool2d`.
    /// - Returns: [N, C, OD, OH, OW].
    public func maxPool3d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        maxPool("maxPool3d", poolGeometry("maxPool3d", spatialRank: 3, kernel: kernel, stride: stride, padding: padding))
    }

    /// The mean over each kernel × kernel window (PyTorch's `AvgPool2d`, floor mode).
    /// - Parameters:
    ///   - kernel: the window size.
    ///   - stride: the step, the kernel size when nil.
    ///   - padding: zeros added on every side, at most kernel / 2.
    ///   - countIncludePad: divide by the whole window (PyTorch's default) rather than by its part inside the image.
    /// - Returns: [N, C, OH, OW] with OH = (H + 2·padding − kernel) / stride + 1.
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
        averagePool("avgPool2d", poolGeometry("avgPool2d", spatialRank: 2, kernel: kernel, stride: stride, padding: padding),
                    countIncludePad: countIncludePad)
    }

    /// The mean over each kernel³ window of an NCDHW batch (PyTorch's `AvgPool3d`); see `avgPool2d`.
    /// - Returns: [N, C, OD, OH, OW].
    public func avgPool3d(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
        averagePool("avgPool3d", poolGeometry("avgPool3d", spatialRank: 3, kernel: kernel, stride: stride, padding: padding),
                    countIncludePad: countIncludePad)
    }

    // MARK: - Shared implementation

    /// Checks pooling arguments and returns the geometry for [N, C, spatial…] input.
    private func poolGeometry(_ op: String, spatialRank: Int, kernel: Int, stride: Int?, padding: Int) -> PoolGeometry {
        precondition(rank == spatialRank + 2, "\(op) needs [N, C, spatial×\(spatialRank)], got \(shape)")
        let s = stride ?? kernel
        precondition(kernel >= 1 && s >= 1, "\(op) kernel \(kernel) and stride \(s) must be ≥ 1")
        precondition(padding >= 0 && 2 * padding <= kernel,
                     "\(op) padding \(padding) must be between 0 and half the kernel size \(kernel)")
        precondition(shape[2...].allSatisfy { $0 + 2 * padding >= kernel },
                     "\(op) kernel \(kernel) is larger than the padded input \(shape)")
        let is3D = spatialRank == 3
        return PoolGeometry(planes: shape[0] * shape[1], depth: is3D ? shape[2] : 1, height: shape[rank - 2],
                            width: shape[rank - 1], kernelD: is3D ? kernel : 1, kernelH: kernel, kernelW: kernel,
                            strideD: is3D ? s : 1, strideH: s, strideW: s, padD: is3D ? padding : 0,
                            padH: padding, padW: padding)
    }

    /// The output shape of pooling with geometry `g`.
    private func pooledShape(_ g: PoolGeometry) -> [Int] {
        [shape[0], shape[1]] + (rank == 5 ? [g.outDepth] : []) + [g.outHeight, g.outWidth]
    }

    private func maxPool(_ op: String, _ g: PoolGeometry) -> Tensor {
        let y = Tensor(uninitializedShape: pooledShape(g))
        var argmax = [Int32](repeating: 0, count: y.count)
        argmax.withUnsafeMutableBufferPointer { PoolKernel.maxForward(storage.pointer, y.storage.pointer, argmax: $0.baseAddress!, g) }
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded(op, from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            argmax.withUnsafeBufferPointer { PoolKernel.maxBackward(gy.storage.pointer, argmax: $0.baseAddress!, gx.storage.pointer, g) }
            return [withExtendedLifetime(gy) { gx }]
        }
    }

    private func averagePool(_ op: String, _ g: PoolGeometry, countIncludePad: Bool) -> Tensor {
        let y = Tensor(uninitializedShape: pooledShape(g))
        PoolKernel.averageForward(storage.pointer, y.storage.pointer, g, countIncludePad: countIncludePad)
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded(op, from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            PoolKernel.averageBackward(gy.storage.pointer, gx.storage.pointer, g, countIncludePad: countIncludePad)
            return [withExtendedLifetime(gy) { gx }]
        }
    }
}

// Max and average pooling over NCHW batches with their backward rules. Kernels: Kernels/PoolKernels.swift.

extension Tensor {
    /// Checks pooling arguments and returns the geometry for [N, C, H, W] input.
    private func poolGeometry(_ op: String, kernel: Int, stride: Int?, padding: Int) -> PoolGeometry {
        precondition(rank == 4, "\(op) needs [N, C, H, W], got \(shape)")
        let s = stride ?? kernel
        precondition(kernel >= 1 && s >= 1, "\(op) kernel \(kernel) and stride \(s) must be ≥ 1")
        precondition(padding >= 0 && 2 * padding <= kernel,
                     "\(op) padding \(padding) must be between 0 and half the kernel size \(kernel)")
        precondition(shape[2] + 2 * padding >= kernel && shape[3] + 2 * padding >= kernel,
                     "\(op) kernel \(kernel) is larger than the padded input \(shape)")
        return PoolGeometry(planes: shape[0] * shape[1], height: shape[2], width: shape[3], kernelH: kernel,
                            kernelW: kernel, strideH: s, strideW: s, padH: padding, padW: padding)
    }

    /// The maximum over each kernel × kernel window (PyTorch's `MaxPool2d`, floor mode, dilation 1); padding
    /// positions never win. The gradient goes to the first maximal value of each window.
    /// - Parameters:
    ///   - kernel: the window size.
    ///   - stride: the step, the kernel size when nil.
    ///   - padding: ignored positions added on every side, at most kernel / 2.
    /// - Returns: [N, C, OH, OW] with OH = (H + 2·padding − kernel) / stride + 1.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let g = poolGeometry("maxPool2d", kernel: kernel, stride: stride, padding: padding)
        let y = Tensor(uninitializedShape: [shape[0], shape[1], g.outHeight, g.outWidth])
        var argmax = [Int32](repeating: 0, count: y.count)
        argmax.withUnsafeMutableBufferPointer { PoolKernel.maxForward(storage.pointer, y.storage.pointer, argmax: $0.baseAddress!, g) }
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("max_pool2d", from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            argmax.withUnsafeBufferPointer { PoolKernel.maxBackward(gy.storage.pointer, argmax: $0.baseAddress!, gx.storage.pointer, g) }
            return [withExtendedLifetime(gy) { gx }]
        }
    }

    /// The mean over each kernel × kernel window (PyTorch's `AvgPool2d`, floor mode).
    /// - Parameters:
    ///   - kernel: the window size.
    ///   - stride: the step, the kernel size when nil.
    ///   - padding: zeros added on every side, at most kernel / 2.
    ///   - countIncludePad: divide by the whole window (PyTorch's default) rather than by its part inside the image.
    /// - Returns: [N, C, OH, OW] with OH = (H + 2·padding − kernel) / stride + 1.
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) -> Tensor {
        let g = poolGeometry("avgPool2d", kernel: kernel, stride: stride, padding: padding)
        let y = Tensor(uninitializedShape: [shape[0], shape[1], g.outHeight, g.outWidth])
        PoolKernel.averageForward(storage.pointer, y.storage.pointer, g, countIncludePad: countIncludePad)
        let inputShape = shape
        return withExtendedLifetime(self) { y }.recorded("avg_pool2d", from: [self]) { gy in
            let gx = Tensor(uninitializedShape: inputShape)
            PoolKernel.averageBackward(gy.storage.pointer, gx.storage.pointer, g, countIncludePad: countIncludePad)
            return [withExtendedLifetime(gy) { gx }]
        }
    }
}

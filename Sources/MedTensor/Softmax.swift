// Softmax and log-softmax along an axis with their backward rules. Kernel: Kernels/SoftmaxKernel.swift.

extension Tensor {
    /// exp(x) / Σ exp(x) along `axis`, computed stably (the maximum is subtracted first).
    /// - Parameter axis: the dimension that sums to 1 (negative counts from the end).
    public func softmax(axis: Int) -> Tensor { softmax(axis: axis, log: false) }

    /// log softmax(x) along `axis`, computed stably as x − max − log Σ exp(x − max).
    /// - Parameter axis: the dimension normalised (negative counts from the end).
    public func logSoftmax(axis: Int) -> Tensor { softmax(axis: axis, log: true) }

    private func softmax(axis: Int, log: Bool) -> Tensor {
        let a = normalizedAxis(axis)
        let g = SoftmaxKernel.Geometry(outer: shape[..<a].reduce(1, *), n: shape[a], inner: shape[(a + 1)...].reduce(1, *))
        let y = Tensor(uninitializedShape: shape)
        SoftmaxKernel.forward(storage.pointer, y.storage.pointer, g, log: log)
        let ySaved = y.detached()
        return withExtendedLifetime(self) { y }.recorded(log ? "log_softmax" : "softmax", from: [self]) { gy in
            let gx = Tensor(uninitializedShape: ySaved.shape)
            SoftmaxKernel.backward(gy.storage.pointer, ySaved.storage.pointer, gx.storage.pointer, g, log: log)
            return [withExtendedLifetime((gy, ySaved)) { gx }]
        }
    }
}

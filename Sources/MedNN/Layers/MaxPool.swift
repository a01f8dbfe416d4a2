import MedTensor

/// Max pooling of images or volumes (PyTorch's `MaxPool2d` / `MaxPool3d`, floor mode).
public final class MaxPool: Module, UnaryLayer {
    /// 2 or 3.
    public let spatialRank: Int
    /// The window extent.
    public let kernelSize: Int
    /// The step.
    public let stride: Int

    /// Creates a max-pooling layer.
    /// - Parameters:
    ///   - spatialRank: 2 or 3.
    ///   - kernelSize: the window extent.
    ///   - stride: the step; the kernel size when nil.
    public init(spatialRank: Int = 2, kernelSize: Int, stride: Int? = nil) {
        precondition(spatialRank == 2 || spatialRank == 3, "MaxPool spatialRank must be 2 or 3, got \(spatialRank)")
        self.spatialRank = spatialRank
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    /// x [N, C, spatial…] -> the window maxima.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        spatialRank == 2 ? x.maxPool2d(kernel: kernelSize, stride: stride) : x.maxPool3d(kernel: kernelSize, stride: stride)
    }
}

import MedCore
import MedTensor

/// A 2-D or 3-D convolution layer (PyTorch's `Conv2d` / `Conv3d`; dilation 1, groups 1).
///
/// State: `weight` [out, in, k, k(, k)] and `bias` [out] when enabled, initialised as PyTorch does by default,
/// U(−1/√fan_in, 1/√fan_in) with fan_in = in · k^rank.
public final class Conv: Module, WeightedLayer {
    /// The kernel, [out, in, k…].
    public let weight: Parameter
    /// The bias, [out], or nil.
    public let bias: Parameter?
    /// 2 for images (NCHW), 3 for volumes (NCDHW).
    public let spatialRank: Int
    /// The window step in every spatial direction.
    public let stride: Int
    /// Zeros added on every side.
    public let padding: Int

    /// Creates a convolution with PyTorch's default initialisation.
    /// - Parameters:
    ///   - spatialRank: 2 (`Conv2d`) or 3 (`Conv3d`).
    ///   - inputChannels: channels of the input.
    ///   - outputChannels: channels of the output.
    ///   - kernelSize: the cubic kernel's extent.
    ///   - stride: the window step, ≥ 1.
    ///   - padding: zeros added on every side, ≥ 0.
    ///   - bias: whether to add a learned bias.
    ///   - generator: the source of the initial values.
    public init(spatialRank: Int = 2, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true, generator: inout SeededGenerator) {
        precondition(spatialRank == 2 || spatialRank == 3, "Conv spatialRank must be 2 or 3, got \(spatialRank)")
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv needs positive channels and kernel size, got \(inputChannels)→\(outputChannels), k \(kernelSize)")
        let shape = [outputChannels, inputChannels] + [Int](repeating: kernelSize, count: spatialRank)
        weight = Parameter(Initializers.defaultUniform(shape, weightShape: shape, using: &generator))
        self.bias = bias ? Parameter(Initializers.defaultUniform([outputChannels], weightShape: shape, using: &generator)) : nil
        self.spatialRank = spatialRank
        self.stride = stride
        self.padding = padding
    }

    /// x [N, in, spatial…] -> [N, out, (S + 2·padding − k) / stride + 1 …].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        checkInput("Conv", x, spatialRank: spatialRank, channels: weight.shape[1])
        return spatialRank == 2
            ? x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
            : x.conv3d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }
}

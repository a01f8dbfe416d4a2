import MedCore
import MedTensor

/// A 2-D or 3-D transposed convolution layer (PyTorch's `ConvTranspose2d` / `ConvTranspose3d`; dilation 1,
/// groups 1), the adjoint of `Conv` with the same geometry, used for learned upsampling.
///
/// State: `weight` [in, out, k, k(, k)] (PyTorch's layout) and `bias` [out] when enabled, initialised as PyTorch
/// does by default, U(−1/√fan_in, 1/√fan_in) with PyTorch's fan_in = out · k^rank for this layout.
public final class ConvTranspose: Module, WeightedLayer {
    /// The kernel, [in, out, k…].
    public let weight: Parameter
    /// The bias, [out], or nil.
    public let bias: Parameter?
    /// 2 for images, 3 for volumes.
    public let spatialRank: Int
    /// The upsampling step.
    public let stride: Int
    /// Removed from every side of the full output.
    public let padding: Int
    /// Added at the far end of each spatial dimension (< stride).
    public let outputPadding: Int

    /// Creates a transposed convolution with PyTorch's default initialisation.
    /// - Parameters:
    ///   - spatialRank: 2 or 3.
    ///   - inputChannels: channels of the input.
    ///   - outputChannels: channels of the output.
    ///   - kernelSize: the cubic kernel's extent.
    ///   - stride: the upsampling step, ≥ 1.
    ///   - padding: removed from every side of the full output.
    ///   - outputPadding: added at the far end, 0 ≤ outputPadding < stride.
    ///   - bias: whether to add a learned bias.
    ///   - generator: the source of the initial values.
    public init(spatialRank: Int = 2, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, outputPadding: Int = 0, bias: Bool = true, generator: inout SeededGenerator) {
        precondition(spatialRank == 2 || spatialRank == 3, "ConvTranspose spatialRank must be 2 or 3, got \(spatialRank)")
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "ConvTranspose needs positive channels and kernel size, got \(inputChannels)→\(outputChannels), k \(kernelSize)")
        let shape = [inputChannels, outputChannels] + [Int](repeating: kernelSize, count: spatialRank)
        weight = Parameter(Initializers.defaultUniform(shape, weightShape: shape, using: &generator))
        self.bias = bias ? Parameter(Initializers.defaultUniform([outputChannels], weightShape: shape, using: &generator)) : nil
        self.spatialRank = spatialRank
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// x [N, in, spatial…] -> [N, out, (S − 1)·stride − 2·padding + k + outputPadding …].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        checkInput("ConvTranspose", x, spatialRank: spatialRank, channels: weight.shape[0])
        return spatialRank == 2
            ? x.convTranspose2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                                outputPadding: outputPadding)
            : x.convTranspose3d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                                outputPadding: outputPadding)
    }
}

import MedCore
import MedTensor

/// One level of the reference U-Net generator (`UnetSkipConnectionBlock` in pytorch-CycleGAN-and-pix2pix):
/// a stride-2 4×4 convolution down, the next level (`submodule`), a stride-2 4×4 transposed convolution up, and
/// the skip connection concatenating the level's input with its output.
///
/// `model` is a `Sequential` with the reference's indices:
///
///     outermost: 0 Conv in→inner   1 submodule   2 ReLU   3 ConvTranspose 2·inner→outer (bias)   4 Tanh
///     innermost: 0 LeakyReLU(0.2)  1 Conv outer→inner   2 ReLU   3 ConvTranspose inner→outer   4 norm
///     otherwise: 0 LeakyReLU(0.2)  1 Conv outer→inner   2 norm   3 submodule   4 ReLU
///                5 ConvTranspose 2·inner→outer   6 norm   (7 Dropout 0.5)
///
/// Convolutions have biases only with instance norm, except the outermost transposed convolution, which always
/// has one. The skip connection concatenates the input *after* the leading LeakyReLU: the reference's
/// LeakyReLU runs in place and overwrites the tensor that `torch.cat([x, self.model(x)], 1)` then reads, so the
/// exchangeable (and PyTorch-identical) function is cat(lrelu(x), rest(lrelu(x))).
public final class UnetSkipConnectionBlock: Module, UnaryLayer {
    /// The level's layers, indexed as in the reference.
    public let model: Sequential
    /// True for the outermost level (no skip connection; tanh output).
    public let outermost: Bool

    /// Creates one level.
    /// - Parameters:
    ///   - outerChannels: channels of this level's output (and of its input, unless `inputChannels` is given).
    ///   - innerChannels: channels after the down convolution.
    ///   - inputChannels: channels of the input when they differ from `outerChannels` (the outermost level).
    ///   - submodule: the next level; nil for the innermost one.
    ///   - outermost: build the outermost level.
    ///   - norm: the normalisation.
    ///   - useDropout: add dropout 0.5 (intermediate levels only, as in the reference).
    ///   - generator: the source of initial values and dropout streams.
    public init(outerChannels: Int, innerChannels: Int, inputChannels: Int? = nil, submodule: UnetSkipConnectionBlock?,
                outermost: Bool = false, norm: NormalizationKind, useDropout: Bool = false,
                generator: inout SeededGenerator) {
        let bias = norm.convolutionsUseBias
        let input = inputChannels ?? outerChannels
        let down = Conv(inputChannels: input, outputChannels: innerChannels, kernelSize: 4, stride: 2, padding: 1,
                        bias: bias, generator: &generator)
        var layers: [any UnaryLayer]
        if outermost {
            guard let submodule else { preconditionFailure("the outermost U-Net level needs a submodule") }
            let up = ConvTranspose(inputChannels: innerChannels * 2, outputChannels: outerChannels, kernelSize: 4,
                                   stride: 2, padding: 1, generator: &generator)
            layers = [down, submodule, ReLU(), up, Tanh()]
        } else if let submodule {
            let up = ConvTranspose(inputChannels: innerChannels * 2, outputChannels: outerChannels, kernelSize: 4,
                                   stride: 2, padding: 1, bias: bias, generator: &generator)
            layers = [LeakyReLU(negativeSlope: 0.2), down, norm.layer(channels: innerChannels), submodule, ReLU(), up,
                      norm.layer(channels: outerChannels)]
            if useDropout { layers.append(Dropout(probability: 0.5, generator: &generator)) }
        } else {
            let up = ConvTranspose(inputChannels: innerChannels, outputChannels: outerChannels, kernelSize: 4,
                                   stride: 2, padding: 1, bias: bias, generator: &generator)
            layers = [LeakyReLU(negativeSlope: 0.2), down, ReLU(), up, norm.layer(channels: outerChannels)]
        }
        model = Sequential(layers)
        self.outermost = outermost
    }

    /// Outermost: model(x), [N, out, H, W]. Otherwise cat(lrelu(x), model(lrelu(x))) along channels,
    /// [N, 2·outer, H, W].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if outermost { return model(x) }
        let activated = model.layers[0](x)
        return Tensor.concatenate([activated, model(activated, from: 1)], axis: 1)
    }
}

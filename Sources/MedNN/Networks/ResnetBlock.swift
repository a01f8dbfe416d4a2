import MedCore
import MedTensor

/// The residual block of the reference ResNet generator (`ResnetBlock` in pytorch-CycleGAN-and-pix2pix):
/// y = x + conv_block(x), conv_block = [pad, conv 3×3, norm, ReLU, (dropout 0.5), pad, conv 3×3, norm].
///
/// Keys (reflect padding, no dropout): `conv_block.1.weight`, `conv_block.1.bias`, `conv_block.5.weight`,
/// `conv_block.5.bias`, plus `conv_block.2.*`/`conv_block.6.*` with batch norm. With zero padding there is no
/// pad layer (the convolutions pad by 1 themselves): `conv_block.0`, `conv_block.3` (`conv_block.4` with dropout).
public final class ResnetBlock: Module, UnaryLayer {
    /// The residual branch.
    public let convBlock: Sequential

    /// PyTorch's name for the branch.
    public override var stateKeyNames: [String: String] { ["convBlock": "conv_block"] }

    /// Creates a block of `channels` channels.
    /// - Parameters:
    ///   - channels: input and output channels.
    ///   - paddingMode: `.reflect` (reference default), `.replicate` or `.zero`.
    ///   - norm: the normalisation.
    ///   - useDropout: add dropout 0.5 after the first ReLU.
    ///   - useBias: whether the convolutions have biases.
    ///   - generator: the source of initial values and of the dropout stream.
    public init(channels: Int, paddingMode: PaddingMode, norm: NormalizationKind, useDropout: Bool, useBias: Bool,
                generator: inout SeededGenerator) {
        var layers: [any UnaryLayer] = []
        for half in 0..<2 {
            let convPadding = paddingMode == .zero ? 1 : 0
            if paddingMode != .zero { layers.append(Pad2d(1, mode: paddingMode)) }
            layers.append(Conv(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: convPadding,
                               bias: useBias, generator: &generator))
            layers.append(norm.layer(channels: channels))
            if half == 0 {
                layers.append(ReLU())
                if useDropout { layers.append(Dropout(probability: 0.5, generator: &generator)) }
            }
        }
        convBlock = Sequential(layers)
    }

    /// x + conv_block(x).
    public func callAsFunction(_ x: Tensor) -> Tensor { x + convBlock(x) }
}

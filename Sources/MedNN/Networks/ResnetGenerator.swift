import MedCore
import MedTensor

/// The options of the reference ResNet generator (`resnet_9blocks` / `resnet_6blocks`).
public struct ResnetGeneratorConfig: Codable, Equatable, Sendable {
    /// Channels of the input image.
    public var inputChannels: Int
    /// Channels of the output image.
    public var outputChannels: Int
    /// Filters of the first convolution (`ngf`, 64).
    public var filters: Int
    /// The normalisation (instance, the CycleGAN default).
    public var norm: NormalizationKind
    /// Dropout 0.5 in the residual blocks (false; the reference's `--no_dropout` is set for CycleGAN).
    public var useDropout: Bool
    /// Residual blocks: 9 (`resnet_9blocks`, the default) or 6 (`resnet_6blocks`).
    public var blocks: Int
    /// Padding inside the residual blocks (reflect).
    public var paddingMode: PaddingMode

    /// Creates a configuration with the reference defaults.
    public init(inputChannels: Int, outputChannels: Int, filters: Int = 64, norm: NormalizationKind = .instance,
                useDropout: Bool = false, blocks: Int = 9, paddingMode: PaddingMode = .reflect) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.filters = filters
        self.norm = norm
        self.useDropout = useDropout
        self.blocks = blocks
        self.paddingMode = paddingMode
    }
}

/// The reference CycleGAN ResNet generator (`ResnetGenerator` in pytorch-CycleGAN-and-pix2pix, Johnson et al.):
/// a 7×7 convolution, two stride-2 downsamplings, residual blocks, two stride-2 transposed-convolution
/// upsamplings and a 7×7 convolution to the output channels with tanh.
///
/// `model` is a `Sequential` with the reference's exact indices (6 blocks):
///
///     0 ReflectionPad2d(3)   1 Conv 7×7 in→ngf        2 norm   3 ReLU
///     4 Conv 3×3/2 ngf→2ngf  5 norm  6 ReLU           7 Conv 3×3/2 2ngf→4ngf  8 norm  9 ReLU
///     10…15 ResnetBlock(4ngf)
///     16 ConvTranspose 3×3/2 (padding 1, output padding 1) 4ngf→2ngf  17 norm  18 ReLU
///     19 ConvTranspose 4ngf/2→ngf  20 norm  21 ReLU   22 ReflectionPad2d(3)  23 Conv 7×7 ngf→out (bias)  24 Tanh
///
/// With 9 blocks the blocks are 10…18 and the tail starts at 19. The convolutions before a normalisation have
/// biases only with instance norm (see `NormalizationKind.convolutionsUseBias`). Input height and width must be
/// multiples of 4 for the output to have the input's size.
public final class ResnetGenerator: Module, UnaryLayer {
    /// The layers, indexed as in the reference.
    public let model: Sequential
    /// The options it was built with.
    public let config: ResnetGeneratorConfig

    /// Builds the generator and initialises it.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - initialization: the weight initialisation applied after building (the reference: N(0, 0.02²)).
    ///   - generator: the source of the initial values (and of the dropout streams).
    public init(_ config: ResnetGeneratorConfig, initialization: WeightInitialization = .reference,
                generator: inout SeededGenerator) {
        precondition(config.inputChannels > 0 && config.outputChannels > 0 && config.filters > 0 && config.blocks >= 0,
                     "ResnetGenerator needs positive channels and filters and blocks ≥ 0, got \(config)")
        let (ngf, norm, bias) = (config.filters, config.norm, config.norm.convolutionsUseBias)
        var layers: [any UnaryLayer] = [
            Pad2d(3, mode: .reflect),
            Conv(inputChannels: config.inputChannels, outputChannels: ngf, kernelSize: 7, bias: bias, generator: &generator),
            norm.layer(channels: ngf), ReLU(),
        ]
        for i in 0..<2 {
            let mult = 1 << i
            layers += [Conv(inputChannels: ngf * mult, outputChannels: ngf * mult * 2, kernelSize: 3, stride: 2,
                            padding: 1, bias: bias, generator: &generator),
                       norm.layer(channels: ngf * mult * 2), ReLU()]
        }
        for _ in 0..<config.blocks {
            layers.append(ResnetBlock(channels: ngf * 4, paddingMode: config.paddingMode, norm: norm,
                                      useDropout: config.useDropout, useBias: bias, generator: &generator))
        }
        for i in 0..<2 {
            let mult = 1 << (2 - i)
            layers += [ConvTranspose(inputChannels: ngf * mult, outputChannels: ngf * mult / 2, kernelSize: 3, stride: 2,
                                     padding: 1, outputPadding: 1, bias: bias, generator: &generator),
                       norm.layer(channels: ngf * mult / 2), ReLU()]
        }
        layers += [Pad2d(3, mode: .reflect),
                   Conv(inputChannels: ngf, outputChannels: config.outputChannels, kernelSize: 7, generator: &generator),
                   Tanh()]
        model = Sequential(layers)
        self.config = config
        super.init()
        initialization.apply(to: self, using: &generator)
    }

    /// x [N, in, H, W] -> [N, out, H, W] in (−1, 1).
    public func callAsFunction(_ x: Tensor) -> Tensor { model(x) }
}

import MedCore
import MedTensor

/// The options of the reference PatchGAN discriminator (`basic` = 3 layers, the 70×70 PatchGAN; `n_layers`).
public struct NLayerDiscriminatorConfig: Codable, Equatable, Sendable {
    /// Channels of the input image (pix2pix: input and output channels together).
    public var inputChannels: Int
    /// Filters of the first convolution (`ndf`, 64).
    public var filters: Int
    /// Stride-2 convolution layers (`n_layers_D`, 3).
    public var layers: Int
    /// The normalisation (instance, the CycleGAN default).
    public var norm: NormalizationKind

    /// Creates a configuration with the reference defaults.
    public init(inputChannels: Int, filters: Int = 64, layers: Int = 3, norm: NormalizationKind = .instance) {
        self.inputChannels = inputChannels
        self.filters = filters
        self.layers = layers
        self.norm = norm
    }
}

/// The reference PatchGAN discriminator (`NLayerDiscriminator` in pytorch-CycleGAN-and-pix2pix): 4×4
/// convolutions with padding 1 and LeakyReLU(0.2), classifying overlapping patches as real or fake.
///
/// `model` indices for 3 layers: 0 Conv in→ndf /2 (bias), 1 LeakyReLU; 2 Conv ndf→2ndf /2, 3 norm, 4 LeakyReLU;
/// 5 Conv 2ndf→4ndf /2, 6 norm, 7 LeakyReLU; 8 Conv 4ndf→8ndf /1, 9 norm, 10 LeakyReLU; 11 Conv 8ndf→1 /1 (bias).
/// Filter multipliers are min(2ⁿ, 8). Output: [N, 1, H', W'] raw scores (30×30 for 256×256 input).
public final class NLayerDiscriminator: Module, UnaryLayer {
    /// The layers, indexed as in the reference.
    public let model: Sequential
    /// The options it was built with.
    public let config: NLayerDiscriminatorConfig

    /// Builds the discriminator and initialises it.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - initialization: the weight initialisation applied after building (the reference: N(0, 0.02²)).
    ///   - generator: the source of the initial values.
    public init(_ config: NLayerDiscriminatorConfig, initialization: WeightInitialization = .reference,
                generator: inout SeededGenerator) {
        precondition(config.inputChannels > 0 && config.filters > 0 && config.layers >= 1,
                     "NLayerDiscriminator needs positive channels and filters and ≥ 1 layer, got \(config)")
        let (ndf, norm, bias) = (config.filters, config.norm, config.norm.convolutionsUseBias)
        var layers: [any UnaryLayer] = [
            Conv(inputChannels: config.inputChannels, outputChannels: ndf, kernelSize: 4, stride: 2, padding: 1,
                 generator: &generator),
            LeakyReLU(negativeSlope: 0.2),
        ]
        var mult = 1
        for n in 1..<config.layers {
            let previous = mult
            mult = min(1 << n, 8)
            layers += [Conv(inputChannels: ndf * previous, outputChannels: ndf * mult, kernelSize: 4, stride: 2,
                            padding: 1, bias: bias, generator: &generator),
                       norm.layer(channels: ndf * mult), LeakyReLU(negativeSlope: 0.2)]
        }
        let previous = mult
        mult = min(1 << config.layers, 8)
        layers += [Conv(inputChannels: ndf * previous, outputChannels: ndf * mult, kernelSize: 4, stride: 1, padding: 1,
                        bias: bias, generator: &generator),
                   norm.layer(channels: ndf * mult), LeakyReLU(negativeSlope: 0.2),
                   Conv(inputChannels: ndf * mult, outputChannels: 1, kernelSize: 4, stride: 1, padding: 1,
                        generator: &generator)]
        model = Sequential(layers)
        self.config = config
        super.init()
        initialization.apply(to: self, using: &generator)
    }

    /// x [N, in, H, W] -> patch scores [N, 1, H', W'].
    public func callAsFunction(_ x: Tensor) -> Tensor { model(x) }
}

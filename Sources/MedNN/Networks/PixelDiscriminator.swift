import MedCore
import MedTensor

/// The reference 1×1 PatchGAN (`PixelDiscriminator` in pytorch-CycleGAN-and-pix2pix): classifies every pixel
/// on its own with 1×1 convolutions.
///
/// `net` indices: 0 Conv in→ndf (bias), 1 LeakyReLU(0.2), 2 Conv ndf→2ndf, 3 norm, 4 LeakyReLU(0.2),
/// 5 Conv 2ndf→1. Both later convolutions have biases only with instance norm (as in the reference).
public final class PixelDiscriminator: Module, UnaryLayer {
    /// The layers, indexed as in the reference.
    public let net: Sequential

    /// Builds the discriminator and initialises it.
    /// - Parameters:
    ///   - inputChannels: channels of the input.
    ///   - filters: `ndf`, 64.
    ///   - norm: the normalisation.
    ///   - initialization: the weight initialisation applied after building.
    ///   - generator: the source of the initial values.
    public init(inputChannels: Int, filters: Int = 64, norm: NormalizationKind = .instance,
                initialization: WeightInitialization = .reference, generator: inout SeededGenerator) {
        let bias = norm.convolutionsUseBias
        net = Sequential([
            Conv(inputChannels: inputChannels, outputChannels: filters, kernelSize: 1, generator: &generator),
            LeakyReLU(negativeSlope: 0.2),
            Conv(inputChannels: filters, outputChannels: filters * 2, kernelSize: 1, bias: bias, generator: &generator),
            norm.layer(channels: filters * 2),
            LeakyReLU(negativeSlope: 0.2),
            Conv(inputChannels: filters * 2, outputChannels: 1, kernelSize: 1, bias: bias, generator: &generator),
        ])
        super.init()
        initialization.apply(to: self, using: &generator)
    }

    /// x [N, in, H, W] -> per-pixel scores [N, 1, H, W].
    public func callAsFunction(_ x: Tensor) -> Tensor { net(x) }
}

import MedCore
import MedTensor

/// The options of the reference U-Net generator (`unet_128`: 7 downsamplings, `unet_256`: 8).
public struct UnetGeneratorConfig: Codable, Equatable, Sendable {
    /// Channels of the input image.
    public var inputChannels: Int
    /// Channels of the output image.
    public var outputChannels: Int
    /// Downsamplings (`num_downs`, ≥ 5); the input size must be a multiple of 2^downsamplings.
    public var downsamplings: Int
    /// Filters of the outermost level (`ngf`, 64).
    public var filters: Int
    /// The normalisation (instance, the options' default; pix2pix uses batch).
    public var norm: NormalizationKind
    /// Dropout 0.5 in the innermost ngf·8 intermediate levels.
    public var useDropout: Bool

    /// Creates a configuration with the reference defaults.
    public init(inputChannels: Int, outputChannels: Int, downsamplings: Int = 8, filters: Int = 64,
                norm: NormalizationKind = .instance, useDropout: Bool = false) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.downsamplings = downsamplings
        self.filters = filters
        self.norm = norm
        self.useDropout = useDropout
    }
}

/// The reference U-Net generator (`UnetGenerator` in pytorch-CycleGAN-and-pix2pix, the pix2pix generator):
/// `downsamplings` nested `UnetSkipConnectionBlock`s, built from the innermost out:
/// innermost (ngf·8, ngf·8), downsamplings − 5 levels (ngf·8, ngf·8, dropout), then (ngf·4, ngf·8),
/// (ngf·2, ngf·4), (ngf, ngf·2) and the outermost (out, ngf, input in).
///
/// Keys nest as in PyTorch: `model.model.0.weight` (outermost down convolution), `model.model.1.model.1.weight`
/// (the next level's down convolution), `model.model.3.weight` (outermost up convolution), and so on.
public final class UnetGenerator: Module, UnaryLayer {
    /// The outermost level.
    public let model: UnetSkipConnectionBlock
    /// The options it was built with.
    public let config: UnetGeneratorConfig

    /// Builds the generator and initialises it.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - initialization: the weight initialisation applied after building (the reference: N(0, 0.02²)).
    ///   - generator: the source of the initial values (and of the dropout streams).
    public init(_ config: UnetGeneratorConfig, initialization: WeightInitialization = .reference,
                generator: inout SeededGenerator) {
        precondition(config.downsamplings >= 5 && config.filters > 0 && config.inputChannels > 0 && config.outputChannels > 0,
                     "UnetGenerator needs ≥ 5 downsamplings and positive channels, got \(config)")
        let (ngf, norm) = (config.filters, config.norm)
        var block = UnetSkipConnectionBlock(outerChannels: ngf * 8, innerChannels: ngf * 8, submodule: nil, norm: norm,
                                            generator: &generator)
        for _ in 0..<(config.downsamplings - 5) {
            block = UnetSkipConnectionBlock(outerChannels: ngf * 8, innerChannels: ngf * 8, submodule: block, norm: norm,
                                            useDropout: config.useDropout, generator: &generator)
        }
        block = UnetSkipConnectionBlock(outerChannels: ngf * 4, innerChannels: ngf * 8, submodule: block, norm: norm,
                                        generator: &generator)
        block = UnetSkipConnectionBlock(outerChannels: ngf * 2, innerChannels: ngf * 4, submodule: block, norm: norm,
                                        generator: &generator)
        block = UnetSkipConnectionBlock(outerChannels: ngf, innerChannels: ngf * 2, submodule: block, norm: norm,
                                        generator: &generator)
        model = UnetSkipConnectionBlock(outerChannels: config.outputChannels, innerChannels: ngf,
                                        inputChannels: config.inputChannels, submodule: block, outermost: true,
                                        norm: norm, generator: &generator)
        self.config = config
        super.init()
        initialization.apply(to: self, using: &generator)
    }

    /// x [N, in, H, W] -> [N, out, H, W] in (−1, 1); H and W multiples of 2^downsamplings.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let factor = 1 << config.downsamplings
        precondition(x.rank == 4 && x.shape[2] % factor == 0 && x.shape[3] % factor == 0,
                     "UnetGenerator with \(config.downsamplings) downsamplings needs [N, C, H, W] with H, W multiples of \(factor), got \(x.shape)")
        return model(x)
    }
}

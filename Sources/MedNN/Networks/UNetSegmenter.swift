import MedCore
import MedTensor

/// The options of the U-Net segmenter.
public struct UNetSegmenterConfig: Codable, Equatable, Sendable {
    /// 2 for images, 3 for volumes.
    public var spatialRank: Int
    /// Channels of the input (modalities).
    public var inputChannels: Int
    /// Classes of the output (background included).
    public var classes: Int
    /// Poolings; spatial extents must be multiples of 2^depth.
    public var depth: Int
    /// Channels of the first level; level i has baseWidth · 2^i.
    public var baseWidth: Int
    /// The normalisation after each convolution (`.none` gives convolutions with biases).
    public var norm: NormalizationKind

    /// Creates a configuration.
    public init(spatialRank: Int = 2, inputChannels: Int, classes: Int, depth: Int = 4, baseWidth: Int = 32,
                norm: NormalizationKind = .instance) {
        self.spatialRank = spatialRank
        self.inputChannels = inputChannels
        self.classes = classes
        self.depth = depth
        self.baseWidth = baseWidth
        self.norm = norm
    }
}

/// A U-Net for segmentation in 2-D or 3-D (Ronneberger et al.; one class for both through `spatialRank`).
///
/// Each level applies two 3×3(×3) convolutions, each followed by the normalisation and ReLU; the encoder
/// max-pools by 2 between levels; the decoder upsamples with a 2×2(×2) stride-2 transposed convolution,
/// concatenates the encoder's features of the same level (skip connection) and applies two convolutions again;
/// a 1×1 convolution maps to class logits.
///
/// Keys: `encoders.i.{0,3}.weight` (level i, i < depth; `encoders.i.{1,4}.*` with batch norm),
/// `bottleneck.{0,3}.weight`, `upsamplers.i.weight|bias` (level i+1 → i), `decoders.i.{0,3}.weight`,
/// `head.weight|bias`.
public final class UNetSegmenter: Module, UnaryLayer {
    /// The encoder levels, finest first.
    public let encoders: [Sequential]
    /// The deepest level.
    public let bottleneck: Sequential
    /// The transposed convolutions; `upsamplers[i]` maps level i + 1 to level i.
    public let upsamplers: [ConvTranspose]
    /// The decoder levels, finest first.
    public let decoders: [Sequential]
    /// The 1×1 convolution to class logits.
    public let head: Conv
    /// The pooling between encoder levels.
    public let pool: MaxPool
    /// The options it was built with.
    public let config: UNetSegmenterConfig

    /// Builds the segmenter and initialises it.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - initialization: the weight initialisation applied after building (Kaiming normal, suited to ReLU).
    ///   - generator: the source of the initial values.
    public init(_ config: UNetSegmenterConfig, initialization: WeightInitialization = .kaiming,
                generator: inout SeededGenerator) {
        precondition(config.spatialRank == 2 || config.spatialRank == 3, "UNetSegmenter spatialRank must be 2 or 3, got \(config.spatialRank)")
        precondition(config.inputChannels > 0 && config.classes > 0 && config.depth >= 0 && config.baseWidth > 0,
                     "UNetSegmenter needs positive channels, classes and width and depth ≥ 0, got \(config)")
        let rank = config.spatialRank
        func width(_ level: Int) -> Int { config.baseWidth << level }
        func doubleConv(_ input: Int, _ output: Int, _ generator: inout SeededGenerator) -> Sequential {
            let bias = config.norm == .none
            return Sequential([
                Conv(spatialRank: rank, inputChannels: input, outputChannels: output, kernelSize: 3, padding: 1,
                     bias: bias, generator: &generator),
                config.norm.layer(channels: output, spatialRank: rank), ReLU(),
                Conv(spatialRank: rank, inputChannels: output, outputChannels: output, kernelSize: 3, padding: 1,
                     bias: bias, generator: &generator),
                config.norm.layer(channels: output, spatialRank: rank), ReLU(),
            ])
        }
        var encoders: [Sequential] = []
        for level in 0..<config.depth {
            encoders.append(doubleConv(level == 0 ? config.inputChannels : width(level - 1), width(level), &generator))
        }
        bottleneck = doubleConv(config.depth == 0 ? config.inputChannels : width(config.depth - 1), width(config.depth),
                                &generator)
        var upsamplers: [ConvTranspose] = [], decoders: [Sequential] = []
        for level in 0..<config.depth {
            upsamplers.append(ConvTranspose(spatialRank: rank, inputChannels: width(level + 1), outputChannels: width(level),
                                            kernelSize: 2, stride: 2, generator: &generator))
            decoders.append(doubleConv(2 * width(level), width(level), &generator))
        }
        head = Conv(spatialRank: rank, inputChannels: width(0), outputChannels: config.classes, kernelSize: 1,
                    generator: &generator)
        self.encoders = encoders
        self.upsamplers = upsamplers
        self.decoders = decoders
        pool = MaxPool(spatialRank: rank, kernelSize: 2)
        self.config = config
        super.init()
        initialization.apply(to: self, using: &generator)
    }

    /// x [N, in, spatial…] -> class logits [N, classes, spatial…]; spatial extents multiples of 2^depth.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let factor = 1 << config.depth
        precondition(x.rank == config.spatialRank + 2 && x.shape[1] == config.inputChannels
                     && x.shape[2...].allSatisfy { $0 % factor == 0 },
                     "UNetSegmenter expects [N, \(config.inputChannels), spatial×\(config.spatialRank)] with extents multiples of \(factor), got \(x.shape)")
        var skips: [Tensor] = []
        var y = x
        for encoder in encoders {
            y = encoder(y)
            skips.append(y)
            y = pool(y)
        }
        y = bottleneck(y)
        for level in stride(from: config.depth - 1, through: 0, by: -1) {
            y = upsamplers[level](y)
            y = decoders[level](Tensor.concatenate([skips[level], y], axis: 1))
        }
        return head(y)
    }
}

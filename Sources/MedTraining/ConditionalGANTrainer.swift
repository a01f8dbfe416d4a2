// A conditional GAN for CT→PET (the pix2pix objective of Isola et al. 2017 with an explicit noise input, as in
// Mirza & Osindero's conditional GAN): the generator G sees the CT slice plus `noiseChannels` channels of
// Gaussian noise z ~ N(0, σ²) and outputs PET; a PatchGAN D conditioned on the CT judges concat(CT, PET) along
// channels (CT + PET channels; the noise is not shown to D). Batches are `PairedBatch`es with A = CT and
// B = PET, both scaled to [−1, 1] by the data layer; losses and visuals use pix2pix's names (G_GAN, G_L1,
// D_real, D_fake; real_A = CT, fake_B = synthetic PET, real_B = PET).
//
// One step, as pix2pix's (Pix2PixTrainer): draw z, fake_B = G(CT, z); D takes one Adam step on
// 0.5·(GAN(D(CT, fake_B.detach()), fake) + GAN(D(CT, PET), real)); then G one Adam step on
// GAN(D(CT, fake_B), real) + λ_L1·mean|fake_B − PET| with D frozen (lesion-weighted with `lesionL1Weight` > 0,
// as pix2pix's).
//
// Defaults and why: LSGAN (more stable gradients than the cross-entropy GAN on the nearly flat, low-contrast
// background of PET); λ_L1 100, pix2pix's weight — the L1 term anchors the SUV map voxel by voxel, and the
// adversarial term sharpens the uptake texture that L1 alone blurs; σ 1 (standard normal noise, one channel);
// U-Net generator with 8 downsamplings (`unet_256`, the reference default for paired translation; 7 for
// 128-pixel slices) or the ResNet generator (9 blocks); no dropout (z is the noise source, whereas pix2pix uses
// dropout instead); instance norm, the reference's general default: with batches of one slice it gives the
// same result in training and in translation, where batch norm's running statistics would not; 70×70
// PatchGAN; no image pool; Adam lr 2e-4, β (0.5, 0.999); weights N(0, 0.02²).
//
// Reproducibility: z is drawn every step from the trainer's own `noiseGenerator` (split from the seed, apart
// from the weights' stream), so two runs with the same seed and batches are bit-identical, and a run resumes
// exactly when the networks' state, both optimizers' states, `noiseGenerator` (a Codable `SeededGenerator`)
// and, if used, `fakePool` and the dropout layers' generators are restored.
import MedCore
import MedNN
import MedTensor

/// The hyperparameters of the CT→PET conditional GAN (see ConditionalGANTrainer.swift's header for why these
/// defaults).
public struct ConditionalGANOptions: GANOptions {
    /// The generator's architecture.
    public enum GeneratorArchitecture: String, Codable, Sendable, CaseIterable {
        /// The reference U-Net (`UnetGenerator`, `downsamplings` levels).
        case unet
        /// The reference ResNet generator (`ResnetGenerator`, `residualBlocks` blocks).
        case resnet
    }

    /// Channels of the conditioning images (CT, 1).
    public var inputChannels: Int = 1
    /// Channels of the generated images (PET, 1).
    public var outputChannels: Int = 1
    /// Channels of Gaussian noise appended to the generator's input (1; 0: a deterministic generator).
    public var noiseChannels: Int = 1
    /// Standard deviation σ of the noise (1).
    public var noiseStd: Float = 1
    /// The generator (U-Net).
    public var generatorArchitecture: GeneratorArchitecture = .unet
    /// Generator filters (`ngf`, 64).
    public var generatorFilters: Int = 64
    /// Discriminator filters (`ndf`, 64).
    public var discriminatorFilters: Int = 64
    /// Downsamplings of the U-Net (8: `unet_256`; 7: `unet_128`; ≥ 5); image sides must be multiples of
    /// 2^downsamplings.
    public var downsamplings: Int = 8
    /// Residual blocks of the ResNet generator (9; image sides must be multiples of 4).
    public var residualBlocks: Int = 9
    /// Dropout 0.5 in the generator (false: the noise channels are the source of randomness).
    public var useDropout: Bool = false
    /// Strided layers of the PatchGAN (3: the 70×70 PatchGAN).
    public var discriminatorLayers: Int = 3
    /// The normalisation of both networks (instance).
    public var norm: NormalizationKind = .instance
    /// The adversarial objective (LSGAN).
    public var ganMode: GANLoss.Mode = .lsgan
    /// Weight of the WGAN-GP gradient penalty (λ_GP, 10: the reference's `cal_gradient_penalty` default), added
    /// to the discriminator loss when `ganMode` is wgangp; ignored otherwise.
    public var lambdaGP: Float = 10
    /// Weight of the L1 term (λ_L1, 100 as in pix2pix).
    public var lambdaL1: Float = 100
    /// Extra L1 weight w of lesion voxels, as pix2pix's (0, the default: plain L1; > 0 needs label maps).
    public var lesionL1Weight: Float = 0
    /// The label values that `lesionL1Weight` weights (the phantom's lesion labels 10, 11, 12, 13).
    public var lesionLabels: [Int] = LesionWeightedL1.phantomLesionLabels
    /// (CT, fake PET) pairs kept in the pool shown to D (0: none).
    public var poolSize: Int = 0
    /// Adam learning rate (2e-4).
    public var learningRate: Float = 2e-4
    /// Adam β1 (0.5).
    public var beta1: Float = 0.5
    /// Adam β2 (0.999).
    public var beta2: Float = 0.999

    /// The defaults.
    public init() {}

    /// Checks every value against its allowed range.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    public func validate() throws {
        try validateShared()
        try TrainingOptionCheck.range("noiseChannels", noiseChannels, 0...64)
        try TrainingOptionCheck.nonNegative("noiseStd", noiseStd)
        try TrainingOptionCheck.range("downsamplings", downsamplings, 5...12)
        try TrainingOptionCheck.range("residualBlocks", residualBlocks, 0...64)
        try TrainingOptionCheck.nonNegative("lambdaL1", lambdaL1)
        try lesionL1.validate()
    }
}

extension ConditionalGANOptions: TranslatorOptions, LesionL1Settings {
    public static var kind: TranslationModelKind { .cgan }
    public func makeTrainer(seed: UInt64) throws -> any TranslatorTrainer { try ConditionalGANTrainer(options: self, seed: seed) }
}

/// A conditional GAN for CT→PET: G(CT, z) → PET with Gaussian noise z, a PatchGAN conditioned on the CT, and
/// pix2pix's step and L1 term (see the file's header).
public final class ConditionalGANTrainer: Trainer {
    public let options: ConditionalGANOptions
    /// (CT, z) → PET: an `UnetGenerator` or a `ResnetGenerator` with inputChannels + noiseChannels inputs.
    public let generator: any UnaryLayer
    /// The conditional PatchGAN: judges concat(CT, PET) ([N, C_CT + C_PET, H, W]).
    public let discriminator: NLayerDiscriminator
    /// Adam over G.
    public let optimizerG: Optimizer<Adam>
    /// Adam over D.
    public let optimizerD: Optimizer<Adam>
    /// The source of the training noise z, advanced by one normal draw per noise value per step; save and
    /// restore it (with the networks and optimizers) to resume a run exactly.
    public var noiseGenerator: SeededGenerator
    /// History of (CT, fake PET) pairs shown to D (capacity 0 by default).
    public var fakePool: ImagePool
    private let gan: GANLoss
    /// The L1 term (lesion-weighted when `options.lesionL1Weight` > 0).
    private let l1: LesionWeightedL1
    /// The WGAN-GP penalty (nil unless `ganMode` is wgangp).
    private let penalty: GradientPenalty?
    /// The stream of the penalty's interpolation weights α.
    public var penaltyGenerator: SeededGenerator

    private var batch: PairedBatch?
    private var visuals: [String: Tensor] = [:]
    private var losses: [String: Float] = [:]

    /// The losses each step reports (D_GP, the gradient penalty, with WGAN-GP only).
    public var lossNames: [String] { ["G_GAN", "G_L1", "D_real", "D_fake"] + (penalty == nil ? [] : ["D_GP"]) }
    public let visualNames = ["real_A", "fake_B", "real_B"]
    public var networks: [(name: String, module: Module)] { [("G", generator), ("D", discriminator)] }

    /// Builds and initialises both networks (normal(0, 0.02)) from `seed`; the noise stream is split from the
    /// same seed.
    /// - Throws: `MedSynthError(.invalidArgument)` when an option is out of range
    ///   (`ConditionalGANOptions.validate()`).
    public init(options: ConditionalGANOptions = ConditionalGANOptions(), seed: UInt64) throws {
        try options.validate()
        self.options = options
        let root = SeededGenerator(seed: seed)
        var g = root.split(1)
        let generatorInputs = options.inputChannels + options.noiseChannels
        switch options.generatorArchitecture {
        case .unet:
            generator = UnetGenerator(UnetGeneratorConfig(inputChannels: generatorInputs,
                                                          outputChannels: options.outputChannels,
                                                          downsamplings: options.downsamplings,
                                                          filters: options.generatorFilters, norm: options.norm,
                                                          useDropout: options.useDropout),
                                      generator: &g)
        case .resnet:
            generator = ResnetGenerator(ResnetGeneratorConfig(inputChannels: generatorInputs,
                                                              outputChannels: options.outputChannels,
                                                              filters: options.generatorFilters, norm: options.norm,
                                                              useDropout: options.useDropout,
                                                              blocks: options.residualBlocks),
                                        generator: &g)
        }
        discriminator = options.patchGAN(inputChannels: options.inputChannels + options.outputChannels, generator: &g)
        optimizerG = options.adam(generator.namedParameters(prefix: "G"))
        optimizerD = options.adam(discriminator.namedParameters(prefix: "D"))
        fakePool = ImagePool(capacity: options.poolSize, generator: root.split(2))
        noiseGenerator = root.split(3)
        penalty = options.gradientPenalty
        penaltyGenerator = root.split(4)
        gan = GANLoss(mode: options.ganMode)
        l1 = options.lesionL1
    }

    /// Stores the (CT, PET) pair the next step trains on.
    /// - Precondition: CT is [N, inputChannels, H, W] and PET [N, outputChannels, H, W] with the same N, H, W;
    ///   with a lesion weight > 0 the batch carries its label maps [N, 1, H, W].
    public func setInput(_ batch: PairedBatch) {
        let (a, b) = (batch.realA.shape, batch.realB.shape)
        precondition(a.count == 4 && b.count == 4 && a[1] == options.inputChannels && b[1] == options.outputChannels
                     && a[0] == b[0] && a[2...] == b[2...],
                     "the conditional GAN needs CT [N, \(options.inputChannels), H, W] and PET [N, \(options.outputChannels), H, W], got \(a) and \(b)")
        precondition(!l1.isWeighted || batch.labels?.shape == [a[0], 1, a[2], a[3]],
                     "the conditional GAN with lesionL1Weight \(l1.weight) needs label maps [\(a[0]), 1, \(a[2]), \(a[3])], got \(batch.labels?.shape.description ?? "none")")
        self.batch = batch
    }

    public func optimizeParameters() {
        guard let batch else { preconditionFailure("ConditionalGANTrainer.optimizeParameters() before setInput(_:)") }
        let fakePET = generator(generatorInput(batch.realA, noiseGenerator: &noiseGenerator))
        (losses, visuals) = pairedStep(realA: batch.realA, realB: batch.realB, fakeB: fakePET, discriminator: discriminator,
                                       gan: gan, pool: &fakePool, penalty: penalty, penaltyGenerator: &penaltyGenerator,
                                       optimizerG: optimizerG, optimizerD: optimizerD, l1: l1, labels: batch.labels,
                                       lambdaL1: options.lambdaL1)
    }

    public func currentLosses() -> [String: Float] { losses }
    public func currentVisuals() -> [String: Tensor] { visuals }

    /// The generator's input: concat(CT, z) along channels with z ~ N(0, noiseStd²), [N, noiseChannels, H, W],
    /// drawn from `noiseGenerator` in row-major order (just CT when noiseChannels is 0).
    public func generatorInput(_ ct: Tensor, noiseGenerator: inout SeededGenerator) -> Tensor {
        guard options.noiseChannels > 0 else { return ct }
        precondition(ct.rank == 4, "the conditional GAN's CT must be [N, C, H, W], got \(ct.shape)")
        let noise = Tensor.randn([ct.shape[0], options.noiseChannels, ct.shape[2], ct.shape[3]], std: options.noiseStd,
                                 using: &noiseGenerator)
        return Tensor.concatenate([ct, noise], axis: 1)
    }

    /// G(CT, z) in evaluation mode (no dropout; batch norm, if chosen, with its running statistics) without
    /// recording gradients, z drawn from `noiseGenerator` — the caller's, so that translating never moves the
    /// training stream. The generator's mode is restored afterwards; no state changes.
    public func translate(_ ct: Tensor, noiseGenerator: inout SeededGenerator) -> Tensor {
        let input = generatorInput(ct, noiseGenerator: &noiseGenerator)
        let wasTraining = generator.isTraining
        generator.eval()
        defer { generator.setTraining(wasTraining) }
        return withNoGrad { generator(input) }
    }
}

// pix2pix (Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks") as the
// reference implementation's `pix2pix_model.py` trains it: paired images A (input) and B (target); a U-Net
// generator G: A → B and a conditional PatchGAN D that judges the pair concat(A, B) along channels, so the
// discriminator sees the input it must be consistent with (in + out channels). Names map to the paper as
// G = G, D = D, G_L1 = λ·L_L1(G), G_GAN = the generator's part of L_cGAN(G, D).
//
// One step, in the reference's order (D first, then G, both from the same forward pass fake_B = G(A)):
//   D:  0.5·(GAN(D(A, fake_B.detach()), fake) + GAN(D(A, B), real)), one Adam step over D;
//   G:  GAN(D(A, fake_B), real) + λ_L1·mean|fake_B − B| with D frozen (no D gradient is computed; D is the one
//       just updated), one Adam step over G. With `lesionL1Weight` w > 0 the L1 term is the lesion-weighted one,
//       mean((1 + w·[label ∈ lesionLabels])·|fake_B − B|) (LesionWeightedL1.swift), from the batch's label maps;
//       w = 0 (the default) is the reference's term, bit for bit.
// Defaults are the reference's pix2pix defaults (options/*.py and `Pix2PixModel.modify_commandline_options`):
// unet_256 (8 downsamplings), ngf = ndf = 64, basic 70×70 PatchGAN (3 layers), batch norm, dropout 0.5 in the
// generator's innermost ngf·8 levels (the reference sets `--no_dropout` only for CycleGAN), vanilla GAN loss,
// λ_L1 100, no image pool, Adam lr 2e-4, β (0.5, 0.999), weights N(0, 0.02²). Batch norm and dropout run in
// training mode during steps, as in the reference; statistics are per call of D (fake, real, then the G step's
// fake), so D's running statistics move three times per step, as PyTorch's do.
//
// Randomness: the initial weights and the dropout masks come from the seed (each Dropout layer owns a stream,
// `Dropout.generator`); the optional image pool has its own stream (`fakePool.generator`). Saving those and the
// optimizer states resumes a run exactly. `Tests/MedTrainingTests/Pix2PixStepInteropTests.swift` checks three
// steps against PyTorch (fixture: scripts/make_pix2pix_step_fixture.py).
import MedCore
import MedNN
import MedTensor

/// The hyperparameters of pix2pix training (defaults: the reference implementation's pix2pix `train` options).
public struct Pix2PixOptions: GANOptions {
    /// Channels of the input images A.
    public var inputChannels: Int = 1
    /// Channels of the target images B.
    public var outputChannels: Int = 1
    /// Generator filters (`ngf`, 64).
    public var generatorFilters: Int = 64
    /// Discriminator filters (`ndf`, 64).
    public var discriminatorFilters: Int = 64
    /// Downsamplings of the U-Net generator (8: `unet_256`; 7: `unet_128`; ≥ 5). Image sides must be multiples
    /// of 2^downsamplings.
    public var downsamplings: Int = 8
    /// Dropout 0.5 in the U-Net's innermost ngf·8 levels (true: pix2pix's only source of noise; those levels
    /// exist only with ≥ 6 downsamplings).
    public var useDropout: Bool = true
    /// Strided layers of the PatchGAN (3: the 70×70 PatchGAN, `basic`).
    public var discriminatorLayers: Int = 3
    /// The normalisation of both networks (batch, the pix2pix default).
    public var norm: NormalizationKind = .batch
    /// The adversarial objective (vanilla: cross-entropy, the pix2pix default; lsgan; wgangp: the Wasserstein
    /// critic loss with the gradient penalty on D, weighted by `lambdaGP`).
    public var ganMode: GANLoss.Mode = .vanilla
    /// Weight of the WGAN-GP gradient penalty (λ_GP, 10: the reference's `cal_gradient_penalty` default), added
    /// to the discriminator loss when `ganMode` is wgangp; ignored otherwise.
    public var lambdaGP: Float = 10
    /// Weight of the L1 term (λ_L1, 100).
    public var lambdaL1: Float = 100
    /// Extra L1 weight w of lesion voxels: each voxel's |fake − real| counts 1 + w·[label ∈ `lesionLabels`] times
    /// (0, the default: the reference's plain L1; > 0 needs label maps in the data).
    public var lesionL1Weight: Float = 0
    /// The label values that `lesionL1Weight` weights (the phantom's lesion labels 10, 11, 12, 13).
    public var lesionLabels: [Int] = LesionWeightedL1.phantomLesionLabels
    /// (A, fake B) pairs kept in the pool shown to D (0: none, the pix2pix default).
    public var poolSize: Int = 0
    /// Adam learning rate (2e-4).
    public var learningRate: Float = 2e-4
    /// Adam β1 (0.5).
    public var beta1: Float = 0.5
    /// Adam β2 (0.999).
    public var beta2: Float = 0.999

    /// The reference defaults.
    public init() {}

    /// Checks every value against its allowed range (the shared ones: `GANOptions.validateShared`).
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    public func validate() throws {
        try validateShared()
        try TrainingOptionCheck.range("downsamplings", downsamplings, 5...12)
        try TrainingOptionCheck.nonNegative("lambdaL1", lambdaL1)
        try lesionL1.validate()
    }
}

extension Pix2PixOptions: TranslatorOptions, LesionL1Settings {
    public static var kind: TranslationModelKind { .pix2pix }
    public func makeTrainer(seed: UInt64) throws -> any TranslatorTrainer { try Pix2PixTrainer(options: self, seed: seed) }
}

/// pix2pix as the reference implementation trains it: per step, D takes one Adam step on
/// 0.5·(GAN(D(A, G(A)), fake) + GAN(D(A, B), real)), then G one Adam step on GAN(D(A, G(A)), real) +
/// λ_L1·L1(G(A), B) with D frozen (see the file's header for the details and the defaults).
public final class Pix2PixTrainer: Trainer {
    public let options: Pix2PixOptions
    /// A→B, the U-Net.
    public let generator: UnetGenerator
    /// The conditional PatchGAN: judges concat(A, B) ([N, C_A + C_B, H, W]).
    public let discriminator: NLayerDiscriminator
    /// Adam over G.
    public let optimizerG: Optimizer<Adam>
    /// Adam over D.
    public let optimizerD: Optimizer<Adam>
    /// History of (A, fake B) pairs shown to D (capacity 0 by default: D sees this step's pair).
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

    /// Builds and initialises both networks (normal(0, 0.02), as the reference) from `seed`.
    /// - Throws: `MedSynthError(.invalidArgument)` when an option is out of range (`Pix2PixOptions.validate()`).
    public init(options: Pix2PixOptions = Pix2PixOptions(), seed: UInt64) throws {
        try options.validate()
        self.options = options
        let root = SeededGenerator(seed: seed)
        var g = root.split(1)
        generator = UnetGenerator(UnetGeneratorConfig(inputChannels: options.inputChannels,
                                                      outputChannels: options.outputChannels,
                                                      downsamplings: options.downsamplings,
                                                      filters: options.generatorFilters, norm: options.norm,
                                                      useDropout: options.useDropout),
                                  generator: &g)
        discriminator = options.patchGAN(inputChannels: options.inputChannels + options.outputChannels, generator: &g)
        optimizerG = options.adam(generator.namedParameters(prefix: "G"))
        optimizerD = options.adam(discriminator.namedParameters(prefix: "D"))
        fakePool = ImagePool(capacity: options.poolSize, generator: root.split(2))
        gan = GANLoss(mode: options.ganMode)
        l1 = options.lesionL1
        penalty = options.gradientPenalty
        penaltyGenerator = root.split(3)
    }

    /// Stores the pair the next step trains on.
    /// - Precondition: A is [N, inputChannels, H, W] and B [N, outputChannels, H, W] with the same N, H, W; with
    ///   a lesion weight > 0 the batch carries its label maps [N, 1, H, W].
    public func setInput(_ batch: PairedBatch) {
        let (a, b) = (batch.realA.shape, batch.realB.shape)
        precondition(a.count == 4 && b.count == 4 && a[1] == options.inputChannels && b[1] == options.outputChannels
                     && a[0] == b[0] && a[2...] == b[2...],
                     "pix2pix needs A [N, \(options.inputChannels), H, W] and B [N, \(options.outputChannels), H, W], got \(a) and \(b)")
        precondition(!l1.isWeighted || batch.labels?.shape == [a[0], 1, a[2], a[3]],
                     "pix2pix with lesionL1Weight \(l1.weight) needs label maps [\(a[0]), 1, \(a[2]), \(a[3])], got \(batch.labels?.shape.description ?? "none")")
        self.batch = batch
    }

    public func optimizeParameters() {
        guard let batch else { preconditionFailure("Pix2PixTrainer.optimizeParameters() before setInput(_:)") }
        let fakeB = generator(batch.realA)
        (losses, visuals) = pairedStep(realA: batch.realA, realB: batch.realB, fakeB: fakeB, discriminator: discriminator,
                                       gan: gan, pool: &fakePool, penalty: penalty, penaltyGenerator: &penaltyGenerator,
                                       optimizerG: optimizerG, optimizerD: optimizerD, l1: l1, labels: batch.labels,
                                       lambdaL1: options.lambdaL1)
    }

    public func currentLosses() -> [String: Float] { losses }
    public func currentVisuals() -> [String: Tensor] { visuals }

    /// G applied in evaluation mode (batch norm's running statistics, no dropout; the reference's test script
    /// with `--eval`) without recording gradients; the generator's mode is restored afterwards. Translating
    /// therefore changes no state: neither running statistics nor dropout streams, so validating during a run
    /// does not change the run.
    public func translate(_ a: Tensor) -> Tensor {
        let wasTraining = generator.isTraining
        generator.eval()
        defer { generator.setTraining(wasTraining) }
        return withNoGrad { generator(a) }
    }
}

/// The rest of a pix2pix or conditional-GAN step once G has made `fakeB` from `realA` (the reference's
/// `optimize_parameters`): D one Adam step on 0.5·(GAN(D(A, pooled fake B), fake) + GAN(D(A, B), real)) (+ the
/// penalty), then G one Adam step on GAN(D(A, fake B), real) + λ_L1·L1(fake B, B) with D frozen (its weight
/// gradients are not computed) and already updated. L1 is `l1` over the pair's `labels`: mean|fake B − B| when
/// its weight is 0, the lesion-weighted mean otherwise.
/// - Returns: the step's losses (G_GAN, G_L1, D_real, D_fake, and D_GP with a penalty) and visuals.
func pairedStep(realA: Tensor, realB: Tensor, fakeB: Tensor, discriminator: NLayerDiscriminator, gan: GANLoss,
                pool: inout ImagePool, penalty: GradientPenalty?, penaltyGenerator: inout SeededGenerator,
                optimizerG: Optimizer<Adam>, optimizerD: Optimizer<Adam>, l1: LesionWeightedL1, labels: Tensor?,
                lambdaL1: Float)
    -> (losses: [String: Float], visuals: [String: Tensor]) {
    let fakeAB = Tensor.concatenate([realA, fakeB], axis: 1)

    // Discriminator, on this step's (or the pool's) fake pair and the real pair.
    optimizerD.zeroGrad()
    let d = conditionalDiscriminatorBackward(discriminator, gan: gan, fake: pool.query(fakeAB),
                                             real: Tensor.concatenate([realA, realB], axis: 1),
                                             penalty: penalty, generator: &penaltyGenerator)
    optimizerD.step()

    // Generator, with D frozen and already updated.
    discriminator.setRequiresGrad(false)
    optimizerG.zeroGrad()
    let lossGAN = gan(discriminator(fakeAB), targetIsReal: true)
    let lossL1 = l1(fakeB, realB, labels: labels) * lambdaL1
    (lossGAN + lossL1).backward()
    optimizerG.step()
    discriminator.setRequiresGrad(true)

    var losses = ["G_GAN": lossGAN.item, "G_L1": lossL1.item, "D_real": d.real, "D_fake": d.fake]
    if penalty != nil { losses["D_GP"] = d.penalty }
    return (losses, ["real_A": realA, "fake_B": fakeB.detached(), "real_B": realB])
}

/// The discriminator half of a conditional-GAN step, shared by pix2pix and the conditional GAN: back-propagates
/// 0.5·(GAN(D(fake pair), fake) + GAN(D(real pair), real)) into D, the fake pair evaluated first (the
/// reference's order, which batch norm's running statistics see), plus, with WGAN-GP, the gradient penalty
/// between the real and the fake pair (D evaluated a third time, on the interpolated pair).
/// - Returns: the two unhalved terms, as the reference's `loss_D_fake` and `loss_D_real`, and the penalty (0
///   without one).
func conditionalDiscriminatorBackward(_ discriminator: NLayerDiscriminator, gan: GANLoss, fake: Tensor, real: Tensor,
                                      penalty: GradientPenalty?, generator: inout SeededGenerator)
    -> (fake: Float, real: Float, penalty: Float) {
    let lossFake = gan(discriminator(fake.detached()), targetIsReal: false)
    let lossReal = gan(discriminator(real), targetIsReal: true)
    let total = addingPenalty(penalty, to: (lossFake + lossReal) * 0.5, discriminator, real: real, fake: fake,
                              generator: &generator)
    total.loss.backward()
    return (lossFake.item, lossReal.item, total.penalty)
}

/// `loss` plus, when `penalty` is given, the WGAN-GP penalty of `discriminator` between `real` and `fake` (α
/// drawn from `generator`); also the penalty's value (0 without one). Shared by the three GAN trainers.
func addingPenalty(_ penalty: GradientPenalty?, to loss: Tensor, _ discriminator: NLayerDiscriminator, real: Tensor,
                   fake: Tensor, generator: inout SeededGenerator) -> (loss: Tensor, penalty: Float) {
    guard let penalty else { return (loss, 0) }
    let term = penalty({ discriminator($0) }, real: real, fake: fake, generator: &generator)
    return (loss + term, term.item)
}

import MedCore
import MedNN
import MedTensor

/// The hyperparameters of CycleGAN training (defaults: the reference implementation's `train` options).
public struct CycleGANOptions: GANOptions {
    /// Channels of domain A's images.
    public var inputChannels: Int = 1
    /// Channels of domain B's images.
    public var outputChannels: Int = 1
    /// Generator filters (`ngf`, 64).
    public var generatorFilters: Int = 64
    /// Discriminator filters (`ndf`, 64).
    public var discriminatorFilters: Int = 64
    /// Residual blocks of the ResNet generators (9: `resnet_9blocks`).
    public var residualBlocks: Int = 9
    /// Strided layers of the PatchGAN (3: the 70×70 PatchGAN).
    public var discriminatorLayers: Int = 3
    /// The normalisation of every network (instance).
    public var norm: NormalizationKind = .instance
    /// The adversarial objective (LSGAN).
    public var ganMode: GANLoss.Mode = .lsgan
    /// Weight of the WGAN-GP gradient penalty (λ_GP, 10: the reference's `cal_gradient_penalty` default), added
    /// to the discriminator loss when `ganMode` is wgangp; ignored otherwise.
    public var lambdaGP: Float = 10
    /// Weight of the A→B→A cycle loss (λ_A, 10).
    public var lambdaA: Float = 10
    /// Weight of the B→A→B cycle loss (λ_B, 10).
    public var lambdaB: Float = 10
    /// Weight of the identity loss relative to the cycle weights (0.5).
    public var lambdaIdentity: Float = 0.5
    /// Images kept in each fake pool (50; 0 disables the pools).
    public var poolSize: Int = 50
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
        try TrainingOptionCheck.range("residualBlocks", residualBlocks, 0...64)
        try TrainingOptionCheck.nonNegative("lambdaA", lambdaA)
        try TrainingOptionCheck.nonNegative("lambdaB", lambdaB)
        try TrainingOptionCheck.nonNegative("lambdaIdentity", lambdaIdentity)
    }
}

extension CycleGANOptions: TranslatorOptions {
    public static var kind: TranslationModelKind { .cyclegan }
    /// Unweighted: CycleGAN has no paired L1 term to weight.
    public var lesionL1: LesionWeightedL1 { .unweighted }

    public func makeTrainer(seed: UInt64) throws -> any TranslatorTrainer {
        try validate()
        return CycleGANTrainer(options: self, seed: seed)
    }
}

/// CycleGAN (Zhu et al. 2017) as the reference implementation trains it: generators G_A: A→B and G_B: B→A,
/// discriminators D_A (judges B) and D_B (judges A); per step, the generators take one Adam step on
/// GAN + cycle + identity losses with the discriminators frozen, then the discriminators one Adam step on
/// 0.5·(GAN(real, 1) + GAN(pooled fake, 0)), plus the gradient penalty between real and pooled fake with WGAN-GP.
public final class CycleGANTrainer: Trainer {
    public let options: CycleGANOptions
    /// A→B.
    public let generatorA: ResnetGenerator
    /// B→A.
    public let generatorB: ResnetGenerator
    /// Judges domain B (real B vs G_A's fakes).
    public let discriminatorA: NLayerDiscriminator
    /// Judges domain A.
    public let discriminatorB: NLayerDiscriminator
    /// Adam over G_A and G_B.
    public let optimizerG: Optimizer<Adam>
    /// Adam over D_A and D_B.
    public let optimizerD: Optimizer<Adam>
    /// History of G_A's fakes shown to D_A.
    public var fakeBPool: ImagePool
    /// History of G_B's fakes shown to D_B.
    public var fakeAPool: ImagePool
    private let gan: GANLoss
    /// The WGAN-GP penalty (nil unless `ganMode` is wgangp).
    private let penalty: GradientPenalty?
    /// The stream of the penalty's interpolation weights α.
    public var penaltyGenerator: SeededGenerator

    private var batch: UnpairedBatch?
    private var visuals: [String: Tensor] = [:]
    private var losses: [String: Float] = [:]

    /// The losses each step reports; D_A and D_B are the whole discriminator objectives, GP_A and GP_B (WGAN-GP
    /// only) their gradient-penalty parts.
    public var lossNames: [String] {
        ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"] + (penalty == nil ? [] : ["GP_A", "GP_B"])
    }
    public let visualNames = ["real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B"]
    public var networks: [(name: String, module: Module)] {
        [("G_A", generatorA), ("G_B", generatorB), ("D_A", discriminatorA), ("D_B", discriminatorB)]
    }

    /// Builds and initialises the four networks (normal(0, 0.02), as the reference) from `seed`.
    public init(options: CycleGANOptions = CycleGANOptions(), seed: UInt64) {
        self.options = options
        let root = SeededGenerator(seed: seed)
        var g = root.split(1)
        let gConfigA = ResnetGeneratorConfig(inputChannels: options.inputChannels, outputChannels: options.outputChannels,
                                             filters: options.generatorFilters, norm: options.norm,
                                             blocks: options.residualBlocks)
        var gConfigB = gConfigA
        (gConfigB.inputChannels, gConfigB.outputChannels) = (options.outputChannels, options.inputChannels)
        generatorA = ResnetGenerator(gConfigA, generator: &g)
        generatorB = ResnetGenerator(gConfigB, generator: &g)
        discriminatorA = options.patchGAN(inputChannels: options.outputChannels, generator: &g)
        discriminatorB = options.patchGAN(inputChannels: options.inputChannels, generator: &g)
        optimizerG = options.adam(generatorA.namedParameters(prefix: "G_A") + generatorB.namedParameters(prefix: "G_B"))
        optimizerD = options.adam(discriminatorA.namedParameters(prefix: "D_A") + discriminatorB.namedParameters(prefix: "D_B"))
        fakeBPool = ImagePool(capacity: options.poolSize, generator: root.split(2))
        fakeAPool = ImagePool(capacity: options.poolSize, generator: root.split(3))
        gan = GANLoss(mode: options.ganMode)
        penalty = options.gradientPenalty
        penaltyGenerator = root.split(4)
    }

    public func setInput(_ batch: UnpairedBatch) {
        self.batch = batch
    }

    public func optimizeParameters() {
        guard let batch else { preconditionFailure("CycleGANTrainer.optimizeParameters() before setInput(_:)") }
        let (realA, realB) = (batch.realA, batch.realB)
        // Forward: both translations and both cycles.
        let fakeB = generatorA(realA), recA = generatorB(fakeB)
        let fakeA = generatorB(realB), recB = generatorA(fakeA)

        // Generators, with the discriminators frozen (their weight gradients are not computed).
        discriminatorA.setRequiresGrad(false)
        discriminatorB.setRequiresGrad(false)
        optimizerG.zeroGrad()
        let (lambdaA, lambdaB, lambdaIdt) = (options.lambdaA, options.lambdaB, options.lambdaIdentity)
        var lossG = Tensor(scalar: 0)
        var idtA = Float(0), idtB = Float(0)
        if lambdaIdt > 0 {
            let lossIdtA = l1Loss(generatorA(realB), realB) * (lambdaB * lambdaIdt)
            let lossIdtB = l1Loss(generatorB(realA), realA) * (lambdaA * lambdaIdt)
            lossG = lossIdtA + lossIdtB
            (idtA, idtB) = (lossIdtA.item, lossIdtB.item)
        }
        let lossGA = gan(discriminatorA(fakeB), targetIsReal: true)
        let lossGB = gan(discriminatorB(fakeA), targetIsReal: true)
        let lossCycleA = l1Loss(recA, realA) * lambdaA
        let lossCycleB = l1Loss(recB, realB) * lambdaB
        lossG = lossG + lossGA + lossGB + lossCycleA + lossCycleB
        lossG.backward()
        optimizerG.step()

        // Discriminators.
        discriminatorA.setRequiresGrad(true)
        discriminatorB.setRequiresGrad(true)
        optimizerD.zeroGrad()
        let lossDA = discriminatorLoss(discriminatorA, real: realB, fake: fakeBPool.query(fakeB))
        let lossDB = discriminatorLoss(discriminatorB, real: realA, fake: fakeAPool.query(fakeA))
        optimizerD.step()

        losses = ["D_A": lossDA.loss, "G_A": lossGA.item, "cycle_A": lossCycleA.item, "idt_A": idtA,
                  "D_B": lossDB.loss, "G_B": lossGB.item, "cycle_B": lossCycleB.item, "idt_B": idtB]
        if penalty != nil { (losses["GP_A"], losses["GP_B"]) = (lossDA.penalty, lossDB.penalty) }
        visuals = ["real_A": realA, "fake_B": fakeB.detached(), "rec_A": recA.detached(),
                   "real_B": realB, "fake_A": fakeA.detached(), "rec_B": recB.detached()]
    }

    /// 0.5·(GAN(D(real), real) + GAN(D(fake), fake)) (+ the gradient penalty with WGAN-GP), back-propagated
    /// into D; returns its value and the penalty's (0 without one).
    private func discriminatorLoss(_ d: NLayerDiscriminator, real: Tensor, fake: Tensor) -> (loss: Float, penalty: Float) {
        let critic = (gan(d(real), targetIsReal: true) + gan(d(fake.detached()), targetIsReal: false)) * 0.5
        let total = addingPenalty(penalty, to: critic, d, real: real, fake: fake, generator: &penaltyGenerator)
        total.loss.backward()
        return (total.loss.item, total.penalty)
    }

    public func currentLosses() -> [String: Float] { losses }
    public func currentVisuals() -> [String: Tensor] { visuals }

    /// G_A (A→B) or G_B (B→A) applied without recording gradients.
    public func translate(_ x: Tensor, aToB: Bool = true) -> Tensor {
        withNoGrad { aToB ? generatorA(x) : generatorB(x) }
    }
}

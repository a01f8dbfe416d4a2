// Paired translation as plain regression: a U-Net generator G: A → B trained with the L1 loss alone, no
// discriminator — what the top SynthRAD 2023 entries train (U-Nets with voxel losses), and the control that shows
// what pix2pix's adversarial term adds. With `lesionL1Weight` w > 0 the loss is the lesion-weighted L1
// (LesionWeightedL1.swift), so the rare lesion voxels are not averaged away.
//
// One step: fake_B = G(A); loss G_L1 = L1_w(fake_B, B) = mean((1 + w·[label ∈ lesionLabels])·|fake_B − B|)
// (plain mean|fake_B − B| with w = 0); one Adam step over G. There is no λ: with one term and Adam the scale of
// the loss does not change the steps (up to Adam's ε).
//
// Defaults and why: pix2pix's U-Net (`unet_256`, 8 downsamplings; 7 for 128-pixel slices), ngf 64; instance
// norm, as the conditional GAN: with batches of one slice it gives the same result in training and in translation,
// where batch norm's running statistics would not; no dropout (pix2pix uses dropout as the GAN's noise source; a
// regression needs none); Adam lr 2e-4 with the standard β (0.9, 0.999) — pix2pix's β1 = 0.5 damps momentum
// for the adversarial game, which a regression does not play; weights N(0, 0.02²) as the reference's `init_weights`.
//
// Randomness: the initial weights come from the seed (the same stream, so the same initial G, as a pix2pix
// trainer with the same generator options); dropout, if turned on, has its layers' own streams. Saving the
// network, Adam's state and those streams resumes a run exactly (`ResumeTests`).
import MedCore
import MedNN
import MedTensor

/// The hyperparameters of U-Net regression (see RegressionTrainer.swift's header for why these defaults).
public struct RegressionOptions: Codable, Equatable, Sendable {
    /// Channels of the input images A.
    public var inputChannels: Int = 1
    /// Channels of the target images B.
    public var outputChannels: Int = 1
    /// Generator filters (`ngf`, 64).
    public var generatorFilters: Int = 64
    /// Downsamplings of the U-Net (8: `unet_256`; 7: `unet_128`; ≥ 5). Image sides must be multiples of
    /// 2^downsamplings.
    public var downsamplings: Int = 8
    /// Dropout 0.5 in the U-Net's innermost ngf·8 levels (false).
    public var useDropout: Bool = false
    /// The generator's normalisation (instance).
    public var norm: NormalizationKind = .instance
    /// Extra L1 weight w of lesion voxels: each voxel's |fake − real| counts 1 + w·[label ∈ `lesionLabels`] times
    /// (0, the default: plain L1; > 0 needs label maps in the data).
    public var lesionL1Weight: Float = 0
    /// The label values that `lesionL1Weight` weights (the phantom's lesion labels 10, 11, 12, 13).
    public var lesionLabels: [Int] = LesionWeightedL1.phantomLesionLabels
    /// Adam learning rate (2e-4).
    public var learningRate: Float = 2e-4
    /// Adam β1 (0.9).
    public var beta1: Float = 0.9
    /// Adam β2 (0.999).
    public var beta2: Float = 0.999

    /// The defaults.
    public init() {}

    /// Checks every value against its allowed range.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    public func validate() throws {
        try TrainingOptionCheck.positive("inputChannels", inputChannels)
        try TrainingOptionCheck.positive("outputChannels", outputChannels)
        try TrainingOptionCheck.positive("generatorFilters", generatorFilters)
        try TrainingOptionCheck.range("downsamplings", downsamplings, 5...12)
        try TrainingOptionCheck.adam(learningRate: learningRate, beta1: beta1, beta2: beta2)
        try lesionL1.validate()
    }
}

extension RegressionOptions: TranslatorOptions, LesionL1Settings {
    public static var kind: TranslationModelKind { .regression }
    public func makeTrainer(seed: UInt64) throws -> any TranslatorTrainer { try RegressionTrainer(options: self, seed: seed) }
}

/// A U-Net G: A → B trained on paired images with the (lesion-weighted) L1 loss alone: per step one Adam step
/// over G on L1_w(G(A), B) (see the file's header).
public final class RegressionTrainer: Trainer {
    /// The options it was built with.
    public let options: RegressionOptions
    /// A→B, the U-Net.
    public let generator: UnetGenerator
    /// Adam over G.
    public let optimizerG: Optimizer<Adam>
    /// The loss (lesion-weighted when `options.lesionL1Weight` > 0).
    private let l1: LesionWeightedL1

    private var batch: PairedBatch?
    private var visuals: [String: Tensor] = [:]
    private var losses: [String: Float] = [:]

    /// The one loss: the (lesion-weighted) L1 of G.
    public let lossNames = ["G_L1"]
    public let visualNames = ["real_A", "fake_B", "real_B"]
    public var networks: [(name: String, module: Module)] { [("G", generator)] }

    /// Builds and initialises the U-Net (normal(0, 0.02), as the reference) from `seed`.
    /// - Throws: `MedSynthError(.invalidArgument)` when an option is out of range (`RegressionOptions.validate()`).
    public init(options: RegressionOptions = RegressionOptions(), seed: UInt64) throws {
        try options.validate()
        self.options = options
        var g = SeededGenerator(seed: seed).split(1)
        generator = UnetGenerator(UnetGeneratorConfig(inputChannels: options.inputChannels,
                                                      outputChannels: options.outputChannels,
                                                      downsamplings: options.downsamplings,
                                                      filters: options.generatorFilters, norm: options.norm,
                                                      useDropout: options.useDropout),
                                  generator: &g)
        optimizerG = Optimizer(generator.namedParameters(prefix: "G"), learningRate: options.learningRate,
                               rule: Adam(beta1: options.beta1, beta2: options.beta2))
        l1 = options.lesionL1
    }

    /// Stores the pair the next step trains on.
    /// - Precondition: A is [N, inputChannels, H, W] and B [N, outputChannels, H, W] with the same N, H, W; with
    ///   a lesion weight > 0 the batch carries its label maps [N, 1, H, W].
    public func setInput(_ batch: PairedBatch) {
        let (a, b) = (batch.realA.shape, batch.realB.shape)
        precondition(a.count == 4 && b.count == 4 && a[1] == options.inputChannels && b[1] == options.outputChannels
                     && a[0] == b[0] && a[2...] == b[2...],
                     "regression needs A [N, \(options.inputChannels), H, W] and B [N, \(options.outputChannels), H, W], got \(a) and \(b)")
        precondition(!l1.isWeighted || batch.labels?.shape == [a[0], 1, a[2], a[3]],
                     "regression with lesionL1Weight \(l1.weight) needs label maps [\(a[0]), 1, \(a[2]), \(a[3])], got \(batch.labels?.shape.description ?? "none")")
        self.batch = batch
    }

    public func optimizeParameters() {
        guard let batch else { preconditionFailure("RegressionTrainer.optimizeParameters() before setInput(_:)") }
        optimizerG.zeroGrad()
        let fakeB = generator(batch.realA)
        let loss = l1(fakeB, batch.realB, labels: batch.labels)
        loss.backward()
        optimizerG.step()
        losses = ["G_L1": loss.item]
        visuals = ["real_A": batch.realA, "fake_B": fakeB.detached(), "real_B": batch.realB]
    }

    public func currentLosses() -> [String: Float] { losses }
    public func currentVisuals() -> [String: Tensor] { visuals }

    /// G applied in evaluation mode (no dropout; batch norm, if chosen, with its running statistics) without
    /// recording gradients; the generator's mode is restored afterwards, so translating changes no state.
    public func translate(_ a: Tensor) -> Tensor {
        let wasTraining = generator.isTraining
        generator.eval()
        defer { generator.setTraining(wasTraining) }
        return withNoGrad { generator(a) }
    }
}

import MedCore
import MedNN
import MedTensor

/// What a training run needs of a translator trainer beyond `ResumableTrainer`: one step on a slice batch,
/// deterministic A→B translation for validation, the learning rate of every optimizer, and what
/// `medsynth translate` must know (generator names, input noise, size multiple).
public protocol TranslatorTrainer: ResumableTrainer {
    /// Sets the batch and takes one optimisation step of every network.
    func trainStep(_ batch: SliceBatch)
    /// A→B on [N, C_A, H, W] in [−1, 1] without gradients and without changing any state (batch norm and
    /// dropout in evaluation mode; the conditional GAN's noise drawn from `noise`, not the training stream).
    func translateAToB(_ a: Tensor, noise: inout SeededGenerator) -> Tensor
    /// The checkpoint network of each direction ("AtoB", "BtoA").
    var generatorNames: [String: String] { get }
    /// Noise channels appended to the generator's input, and their standard deviation.
    var inputNoise: (channels: Int, std: Float) { get }
    /// Image sides must be multiples of this.
    var sideMultiple: Int { get }
}

extension CycleGANTrainer: TranslatorTrainer {
    public func trainStep(_ batch: SliceBatch) {
        setInput(batch.unpaired)
        optimizeParameters()
    }

    public func translateAToB(_ a: Tensor, noise: inout SeededGenerator) -> Tensor { translate(a, aToB: true) }
    public var generatorNames: [String: String] { ["AtoB": "G_A", "BtoA": "G_B"] }
    public var inputNoise: (channels: Int, std: Float) { (0, 0) }
    /// Two stride-2 downsamplings.
    public var sideMultiple: Int { 4 }
}

/// A translator trained on paired slices with one generator "G" (pix2pix, the conditional GAN, regression): a
/// step is `setInput(batch.paired)` then `optimizeParameters()`, and no noise is appended unless it says so.
public protocol PairedTranslatorTrainer: TranslatorTrainer {
    func setInput(_ batch: PairedBatch)
    func optimizeParameters()
}

extension PairedTranslatorTrainer {
    public func trainStep(_ batch: SliceBatch) {
        setInput(batch.paired)
        optimizeParameters()
    }

    public var generatorNames: [String: String] { ["AtoB": "G"] }
    public var inputNoise: (channels: Int, std: Float) { (0, 0) }
}

extension Pix2PixTrainer: PairedTranslatorTrainer {
    public func translateAToB(_ a: Tensor, noise: inout SeededGenerator) -> Tensor { translate(a) }
    public var sideMultiple: Int { 1 << options.downsamplings }
}

extension ConditionalGANTrainer: PairedTranslatorTrainer {
    public func translateAToB(_ a: Tensor, noise: inout SeededGenerator) -> Tensor { translate(a, noiseGenerator: &noise) }
    public var inputNoise: (channels: Int, std: Float) { (options.noiseChannels, options.noiseStd) }
    public var sideMultiple: Int {
        options.generatorArchitecture == .unet ? 1 << options.downsamplings : 4
    }
}

extension RegressionTrainer: PairedTranslatorTrainer {
    public func translateAToB(_ a: Tensor, noise: inout SeededGenerator) -> Tensor { translate(a) }
    public var sideMultiple: Int { 1 << options.downsamplings }
}

import MedCore
import MedNN
import MedTensor

/// The options every GAN trainer has (CycleGAN, pix2pix, the conditional GAN): channels, network widths, the
/// PatchGAN, the normalisation, the adversarial objective and its penalty, the image pool and Adam. Each options
/// type checks its own values in its `validate()`, starting with `validateShared()`.
public protocol GANOptions: Codable, Equatable, Sendable {
    /// Channels of the input images A.
    var inputChannels: Int { get }
    /// Channels of the output images B.
    var outputChannels: Int { get }
    /// Generator filters (`ngf`).
    var generatorFilters: Int { get }
    /// Discriminator filters (`ndf`).
    var discriminatorFilters: Int { get }
    /// Strided layers of the PatchGAN.
    var discriminatorLayers: Int { get }
    /// The normalisation of the networks.
    var norm: NormalizationKind { get }
    /// The adversarial objective.
    var ganMode: GANLoss.Mode { get }
    /// Weight of the WGAN-GP gradient penalty (with `ganMode` wgangp).
    var lambdaGP: Float { get }
    /// Fakes kept in the pool shown to the discriminator (0: none).
    var poolSize: Int { get }
    /// Adam's learning rate before the schedule.
    var learningRate: Float { get }
    /// Adam β1.
    var beta1: Float { get }
    /// Adam β2.
    var beta2: Float { get }

    /// The reference defaults.
    init()
    /// Checks every value against its allowed range.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    func validate() throws
}

extension GANOptions {
    /// Checks the shared options.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    public func validateShared() throws {
        try TrainingOptionCheck.positive("inputChannels", inputChannels)
        try TrainingOptionCheck.positive("outputChannels", outputChannels)
        try TrainingOptionCheck.positive("generatorFilters", generatorFilters)
        try TrainingOptionCheck.positive("discriminatorFilters", discriminatorFilters)
        try TrainingOptionCheck.range("discriminatorLayers", discriminatorLayers, 1...8)
        try TrainingOptionCheck.nonNegative("lambdaGP", lambdaGP)
        try TrainingOptionCheck.range("poolSize", poolSize, 0...10_000)
        try TrainingOptionCheck.adam(learningRate: learningRate, beta1: beta1, beta2: beta2)
    }

    /// Adam with these options' learning rate and betas, over `parameters`.
    func adam(_ parameters: [(key: String, parameter: Parameter)]) -> Optimizer<Adam> {
        Optimizer(parameters, learningRate: learningRate, rule: Adam(beta1: beta1, beta2: beta2))
    }

    /// A PatchGAN of these options judging `inputChannels` channels, initialised from `generator`.
    func patchGAN(inputChannels: Int, generator: inout SeededGenerator) -> NLayerDiscriminator {
        NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: inputChannels, filters: discriminatorFilters,
                                                      layers: discriminatorLayers, norm: norm),
                            generator: &generator)
    }

    /// The WGAN-GP penalty, nil unless `ganMode` is wgangp.
    var gradientPenalty: GradientPenalty? { ganMode == .wgangp ? GradientPenalty(weight: lambdaGP) : nil }
}

/// Range checks for trainer options, each throwing `MedSynthError(.invalidArgument)` that names the option,
/// quotes the value and says what is allowed.
enum TrainingOptionCheck {
    /// `value` > 0.
    static func positive(_ name: String, _ value: Int) throws {
        guard value > 0 else { throw MedSynthError(.invalidArgument, name, "must be a positive integer, got \(value)") }
    }

    /// `value` in `allowed`.
    static func range(_ name: String, _ value: Int, _ allowed: ClosedRange<Int>) throws {
        guard allowed.contains(value) else {
            throw MedSynthError(.invalidArgument, name, "must be in \(allowed.lowerBound)…\(allowed.upperBound), got \(value)")
        }
    }

    /// `value` finite and ≥ 0.
    static func nonNegative(_ name: String, _ value: Float) throws {
        guard value.isFinite && value >= 0 else {
            throw MedSynthError(.invalidArgument, name, "must be finite and ≥ 0, got \(value)")
        }
    }

    /// Adam's learning rate in (0, ∞) and β1, β2 in [0, 1).
    static func adam(learningRate: Float, beta1: Float, beta2: Float) throws {
        guard learningRate.isFinite && learningRate > 0 else {
            throw MedSynthError(.invalidArgument, "learningRate", "must be finite and > 0, got \(learningRate)")
        }
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw MedSynthError(.invalidArgument, name, "must be in [0, 1), got \(beta)")
        }
    }
}

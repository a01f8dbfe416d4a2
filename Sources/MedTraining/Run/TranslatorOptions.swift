import MedCore

/// The options of one translator kind, as the `network` section of a `TranslationRunConfig`; the kind's trainer
/// is built beside its options. The GAN kinds' options are also `GANOptions`; `RegressionOptions` has no
/// discriminator.
public protocol TranslatorOptions: Codable, Equatable, Sendable {
    /// The trainer these options configure.
    static var kind: TranslationModelKind { get }
    /// Adam's learning rate before the schedule.
    var learningRate: Float { get }
    /// The L1 term's lesion weighting (`network.lesionL1Weight`, `network.lesionLabels`); with a weight > 0 the
    /// run's batches carry label maps. Kinds without a paired L1 term (CycleGAN) return
    /// `LesionWeightedL1.unweighted`.
    var lesionL1: LesionWeightedL1 { get }

    /// The defaults.
    init()
    /// Checks every value against its allowed range.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first offending option, its value and the range.
    func validate() throws
    /// The trainer, initialised from `seed`.
    /// - Throws: the options' checks.
    func makeTrainer(seed: UInt64) throws -> any TranslatorTrainer
}

extension TranslationModelKind {
    /// The options type of this kind: the one place that maps a `model` to its trainer (`medsynth train`, the
    /// validation experiment's translators). Call a generic function with it to work on the kind's types.
    public var optionsType: any TranslatorOptions.Type {
        switch self {
        case .cyclegan: return CycleGANOptions.self
        case .pix2pix: return Pix2PixOptions.self
        case .cgan: return ConditionalGANOptions.self
        case .regression: return RegressionOptions.self
        }
    }
}

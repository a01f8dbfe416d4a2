import Foundation
import MedCore
import MedIO
import MedNN
import Yams

/// Which way a translator runs.
public enum TranslationDirection: String, Codable, Sendable, CaseIterable {
    /// Modality A → modality B (CT → T1 for `cyclegan-ct2t1`).
    case aToB = "AtoB"
    /// Modality B → modality A (CycleGAN only).
    case bToA = "BtoA"
}

/// Everything `medsynth translate` needs besides the generator weights: which modalities a checkpoint translates,
/// how inputs are normalised, how outputs go back to physical units, and which network does each direction.
/// A training run saves it in every checkpoint's `TrainingState` under `TranslatorDescription.stateKey` (JSON),
/// so a checkpoint file alone is enough to translate.
///
/// - Inputs are normalised with the input modality's rule (`normalizationA` / `normalizationB`): a fixed window
///   (CT in HU, PET in SUV) or a window fitted to each input volume (MR percentiles or z-score), exactly as in
///   training.
/// - Outputs are mapped back with the output modality's `outputMappingA` / `outputMappingB`: the fixed window, or
///   for a per-volume rule the typical window of the training volumes (`SliceDataset.typicalMapping`).
public struct TranslatorDescription: Codable, Equatable, Sendable {
    /// The `TrainingState` JSON key.
    public static let stateKey = "translator"

    /// The trainer: `cyclegan`, `pix2pix`, `cgan` or `regression`.
    public var model: TranslationModelKind
    /// Domain A's modality (the input of A→B).
    public var modalityA: Modality
    /// Domain B's modality.
    public var modalityB: Modality
    /// How A images were normalised in training (resolved: never "standard").
    public var normalizationA: IntensityNormalization
    /// How B images were normalised in training.
    public var normalizationB: IntensityNormalization
    /// The window that maps a generated A image back to physical units.
    public var outputMappingA: IntensityMapping
    /// The window that maps a generated B image back to physical units.
    public var outputMappingB: IntensityMapping
    /// The checkpoint network that runs each direction ("AtoB": "G_A", "BtoA": "G_B" for CycleGAN; "AtoB": "G"
    /// for pix2pix, the conditional GAN and regression).
    public var generators: [String: String]
    /// Gaussian noise channels appended to the input (the conditional GAN; 0 otherwise).
    public var noiseChannels: Int
    /// The noise's standard deviation.
    public var noiseStd: Float
    /// Image sides must be multiples of this (2^downsamplings for a U-Net, 4 for the ResNet generator); inputs are
    /// padded up to it (reflect) and the output cropped back.
    public var sideMultiple: Int
    /// The training step the weights come from.
    public var step: Int

    /// Creates a description.
    public init(model: TranslationModelKind, modalityA: Modality, modalityB: Modality,
                normalizationA: IntensityNormalization, normalizationB: IntensityNormalization,
                outputMappingA: IntensityMapping, outputMappingB: IntensityMapping, generators: [String: String],
                noiseChannels: Int, noiseStd: Float, sideMultiple: Int, step: Int) {
        self.model = model
        self.modalityA = modalityA
        self.modalityB = modalityB
        self.normalizationA = normalizationA
        self.normalizationB = normalizationB
        self.outputMappingA = outputMappingA
        self.outputMappingB = outputMappingB
        self.generators = generators
        self.noiseChannels = noiseChannels
        self.noiseStd = noiseStd
        self.sideMultiple = sideMultiple
        self.step = step
    }

    /// The directions this checkpoint can translate.
    public var directions: [TranslationDirection] {
        TranslationDirection.allCases.filter { generators[$0.rawValue] != nil }
    }

    /// The network name for `direction`.
    /// - Throws: `MedSynthError(.invalidArgument)` when the checkpoint has no generator for it.
    public func generatorName(_ direction: TranslationDirection) throws -> String {
        guard let name = generators[direction.rawValue] else {
            let available = directions.map(\.rawValue).joined(separator: ", ")
            throw MedSynthError(.invalidArgument, "direction",
                                "is \(direction.rawValue), but this \(model.rawValue) checkpoint translates only \(available)")
        }
        return name
    }

    /// (input modality, its normalisation, output modality, output mapping) of a direction.
    public func roles(_ direction: TranslationDirection)
        -> (input: Modality, inputNormalization: IntensityNormalization, output: Modality, outputMapping: IntensityMapping) {
        direction == .aToB
            ? (modalityA, normalizationA, modalityB, outputMappingB)
            : (modalityB, normalizationB, modalityA, outputMappingA)
    }

    /// Reads the description from a checkpoint's training state.
    /// - Throws: `MedSynthError(.notFound)` naming `source` when the checkpoint holds none (a checkpoint not
    ///   written by `medsynth train`), or a decoding error.
    public static func read(from state: TrainingState, source: String) throws -> TranslatorDescription {
        guard state.strings[stateKey] != nil else {
            throw MedSynthError(.notFound, source,
                                "holds no translator description (training-state key '\(stateKey)'); expected a checkpoint written by `medsynth train`")
        }
        return try state.decodeJSON(TranslatorDescription.self, named: stateKey)
    }
}

/// The four translators.
public enum TranslationModelKind: String, Codable, Sendable, CaseIterable {
    /// Unpaired CycleGAN (`CycleGANTrainer`).
    case cyclegan
    /// Paired pix2pix (`Pix2PixTrainer`).
    case pix2pix
    /// Conditional GAN with a noise input (`ConditionalGANTrainer`).
    case cgan
    /// Paired U-Net regression with the (lesion-weighted) L1 loss alone, no discriminator (`RegressionTrainer`).
    case regression
}

extension TranslationModelKind {
    /// The `model` of a run configuration file, or of a `model=…` override (the last wins); cyclegan when
    /// neither says. `medsynth train` picks the configuration type with it before loading the file strictly.
    /// - Throws: `MedSynthError` naming the file: `.notFound` when it cannot be read, `.invalidArgument` for an
    ///   unknown model.
    public static func of(configFile file: String, overrides: [String]) throws -> TranslationModelKind {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw MedSynthError(.notFound, file, "cannot be read; expected a YAML run configuration")
        }
        var value: String? = nil
        if let node = try? Yams.compose(yaml: String(decoding: data, as: UTF8.self)), let m = node["model"]?.string {
            value = m
        }
        for o in overrides where o.hasPrefix("model=") { value = String(o.dropFirst("model=".count)) }
        guard let text = value else { return .cyclegan }
        guard let kind = TranslationModelKind(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
            throw MedSynthError(.invalidArgument, "\(file): model",
                                "is '\(text)'; expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }
}

import MedCore
import MedIO

/// Where a run's images come from.
public struct TranslationDataConfig: Codable, Equatable, Sendable {
    /// MedSynth HDF5 datasets (paths relative to the working directory). Empty (the default): the built-in
    /// phantom, generated once as `phantom` says and cached under `Outputs/datasets/`.
    public var files: [String] = []
    /// The built-in phantom used when `files` is empty.
    public var phantom = PhantomDataConfig()
    /// Which slices are drawn and how (modalities, pairing, normalisation, split, crop, batch size).
    public var slices = SliceDatasetOptions()

    /// The defaults.
    public init() {}

    /// Checks every value.
    public func validate() throws {
        try phantom.validate()
        try slices.validate()
        for f in files where f.isEmpty {
            throw MedSynthError(.invalidArgument, "data.files", "has an empty path; expected MedSynth HDF5 dataset paths, or no files for the built-in phantom")
        }
    }
}

/// The built-in phantom dataset of a run without `data.files` (`medsynth phantom` with these settings).
public struct PhantomDataConfig: Codable, Equatable, Sendable {
    /// Cases (volumes) to generate.
    public var cases: Int = 10
    /// Volume shape [depth, height, width] in voxels.
    public var shape: [Int] = [48, 128, 128]
    /// The phantom seed.
    public var seed: UInt64 = 1
    /// Synthetic lesions per case (0: healthy).
    public var lesions: Int = 1

    /// The defaults.
    public init() {}

    /// Checks every value.
    public func validate() throws {
        guard (2...10_000).contains(cases) else {
            throw MedSynthError(.invalidArgument, "data.phantom.cases", "is \(cases); expected 2...10000 (at least one training and one validation case)")
        }
        guard shape.count == 3, shape.allSatisfy({ (16...1024).contains($0) }) else {
            throw MedSynthError(.invalidArgument, "data.phantom.shape", "is \(shape); expected [depth, height, width], each 16...1024 voxels")
        }
        guard (0...20).contains(lesions) else {
            throw MedSynthError(.invalidArgument, "data.phantom.lesions", "is \(lesions); expected 0...20 lesions per case")
        }
    }
}

/// The loop: how long, how the learning rate moves, and how often the run logs, validates and saves.
public struct TrainingLoopConfig: Codable, Equatable, Sendable {
    /// Optimisation steps (one batch each).
    public var steps: Int = 2000
    /// The share of `steps` at the end over which the learning rate decays linearly towards 0 (the reference's
    /// `n_epochs_decay`, counted in steps; 0.5 = the reference's 100 + 100 epochs).
    public var decayFraction: Double = 0.5
    /// Loss rows in `losses.csv` every this many steps (the mean over those steps).
    public var logEvery: Int = 10
    /// Validation (PSNR, SSIM, MAE on the held-out slices), a sample grid and a report every this many steps
    /// (and at the last step).
    public var validateEvery: Int = 250
    /// A numbered checkpoint every this many steps (0: only latest and best). `latest.h5` is rewritten at every
    /// validation and at the end.
    public var checkpointEvery: Int = 1000
    /// Slices per validation batch.
    public var validationBatchSize: Int = 4
    /// Rows of the sample grid (validation slices, evenly spaced).
    public var sampleRows: Int = 3

    /// The defaults.
    public init() {}

    /// Checks every value.
    public func validate() throws {
        try validateCadence()
        for (key, value) in [("validationBatchSize", validationBatchSize), ("sampleRows", sampleRows)] where value < 1 {
            throw MedSynthError(.invalidArgument, "training.\(key)", "is \(value); expected at least 1")
        }
        guard decayFraction.isFinite, (0...1).contains(decayFraction) else {
            throw MedSynthError(.invalidArgument, "training.decayFraction", "is \(decayFraction); expected a fraction in 0...1")
        }
    }

    /// The learning-rate factor before step `step` (0-based): 1 for the first (1 − decayFraction)·steps steps,
    /// then falling linearly, as the reference's `lambda_rule` (1 − max(0, t − n_constant) / (n_decay + 1)).
    public func learningRateFactor(step: Int) -> Float {
        let decaySteps = Int((Double(steps) * decayFraction).rounded())
        let constant = steps - decaySteps
        guard step >= constant, decaySteps > 0 else { return 1 }
        return Float(1 - Double(step - constant + 1) / Double(decaySteps + 1))
    }
}

/// A translator training run (`medsynth train --config FILE`): the model kind, the seed, the data, the network
/// and trainer options, and the loop.
///
/// ```yaml
/// model: cyclegan
/// seed: 0
/// data: { slices: { modalityA: CT, modalityB: T1, pairing: unpaired, cropSize: 128 } }
/// network: { generatorFilters: 32, residualBlocks: 6 }
/// training: { steps: 3000, validateEvery: 250 }
/// ```
public struct TranslationRunConfig<Network: TranslatorOptions>: RunConfiguration, Equatable {
    /// The trainer (must be `Network.kind`; `medsynth train` picks the type from it).
    public var model: TranslationModelKind = Network.kind
    /// The seed of the weights, the sampling and every random stream of the run.
    public var seed: UInt64 = 0
    /// Dataset files or the built-in phantom, and the slice options.
    public var data = TranslationDataConfig()
    /// Network and trainer options (the reference defaults unless set).
    public var network = Network()
    /// Loop length, schedule and cadence.
    public var training = TrainingLoopConfig()

    /// The defaults.
    public init() {}

    public func validate() throws {
        guard model == Network.kind else {
            throw MedSynthError(.invalidArgument, "model", "is \(model.rawValue), but this configuration holds \(Network.kind.rawValue) network options")
        }
        try data.validate()
        do {
            try network.validate()
        } catch let e as MedSynthError where !(e.subject ?? "").hasPrefix("network.") {
            throw MedSynthError(e.kind, "network.\(e.subject ?? "")", e.message)
        }
        try training.validate()
        switch Network.kind {
        case .cyclegan:
            break
        case .pix2pix, .cgan, .regression:
            guard data.slices.pairing == .paired else {
                throw MedSynthError(.invalidArgument, "data.slices.pairing",
                                    "is \(data.slices.pairing.rawValue), but \(Network.kind.rawValue) learns from co-registered pairs; expected paired")
            }
        }
    }
}

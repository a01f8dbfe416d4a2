import MedCore
import MedNN
import MedTensor

/// A trainer whose whole state can be checkpointed and restored, so that an interrupted run resumed from its
/// checkpoint takes exactly the steps an uninterrupted run takes: the networks (parameters and buffers) and the
/// optimizers go into the checkpoint's network and optimizer groups, everything else that decides the next
/// steps — image pools, noise streams, dropout streams — into its `TrainingState`.
public protocol ResumableTrainer: Trainer {
    /// The optimizers by name (`G`, `D`), in a fixed order.
    var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { get }
    /// Writes the state that is neither a network nor an optimizer into `state`.
    func saveState(into state: inout TrainingState)
    /// Restores what `saveState(into:)` wrote.
    /// - Throws: `MedSynthError` when a value is missing or does not fit this trainer.
    func restoreState(from state: TrainingState) throws
}

extension ResumableTrainer {
    /// A checkpoint over this trainer's networks and optimizers.
    public func checkpoint(hyperparameters: String = "{}") -> Checkpoint {
        Checkpoint(networks: networks, optimizers: optimizers, hyperparameters: hyperparameters)
    }

    /// Every dropout layer of the trainer's networks with a key naming it (`G.model.…`).
    func dropoutLayers() -> [(key: String, layer: Dropout)] {
        networks.flatMap { network in
            network.module.namedModules(prefix: network.name).compactMap { entry in
                (entry.module as? Dropout).map { (entry.key, $0) }
            }
        }
    }

    /// Saves each dropout layer's generator under `dropout.<key>`.
    func saveDropoutStreams(into state: inout TrainingState) {
        for (key, layer) in dropoutLayers() { state.setGenerator(layer.generator, named: "dropout.\(key)") }
    }

    /// Restores the dropout generators saved by `saveDropoutStreams(into:)`.
    /// Nothing changes when one is missing.
    func restoreDropoutStreams(from state: TrainingState) throws {
        let layers = dropoutLayers()
        let generators = try layers.map { try state.generator(named: "dropout.\($0.key)") }
        for (entry, generator) in zip(layers, generators) { entry.layer.generator = generator }
    }
}

/// The gradient penalty's α stream from `state`: required with WGAN-GP; checkpoints written before the penalty
/// existed (never WGAN-GP runs) may lack it, and then `current` is kept.
func restoredPenaltyGenerator(from state: TrainingState, ganMode: GANLoss.Mode,
                              current: SeededGenerator) throws -> SeededGenerator {
    if ganMode == .wgangp { return try state.generator(named: "gradient_penalty") }
    return (try? state.generator(named: "gradient_penalty")) ?? current
}

extension ImagePool {
    /// Writes the stored images (as one [k, C, H, W] tensor; k may be 0) and the generator under `name`.
    func save(into state: inout TrainingState, named name: String) {
        state.setGenerator(generator, named: "\(name).generator")
        state.integers["\(name).count"] = images.count
        if !images.isEmpty { state.tensors["\(name).images"] = Tensor.concatenate(images, axis: 0) }
    }

    /// The pool saved by `save(into:named:)`, with this pool's capacity.
    func restored(from state: TrainingState, named name: String) throws -> ImagePool {
        let generator = try state.generator(named: "\(name).generator")
        guard let count = state.integers["\(name).count"], count >= 0, count <= capacity else {
            throw MedSynthError(.corrupt, "training state", "image pool '\(name)': no image count, or more than its capacity \(capacity)")
        }
        var images: [Tensor] = []
        if count > 0 {
            guard let all = state.tensors["\(name).images"], all.rank == 4, all.shape[0] == count else {
                throw MedSynthError(.corrupt, "training state", "image pool '\(name)': expected \(count) images [\(count), C, H, W]")
            }
            images = (0..<count).map { all.sliced(axis: 0, $0..<($0 + 1)) }
        }
        return ImagePool(capacity: capacity, images: images, generator: generator)
    }
}

extension CycleGANTrainer: ResumableTrainer {
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { [("G", optimizerG), ("D", optimizerD)] }

    public func saveState(into state: inout TrainingState) {
        fakeAPool.save(into: &state, named: "fake_A_pool")
        fakeBPool.save(into: &state, named: "fake_B_pool")
        state.setGenerator(penaltyGenerator, named: "gradient_penalty")
        saveDropoutStreams(into: &state)
    }

    public func restoreState(from state: TrainingState) throws {
        let a = try fakeAPool.restored(from: state, named: "fake_A_pool")
        let b = try fakeBPool.restored(from: state, named: "fake_B_pool")
        let penalty = try restoredPenaltyGenerator(from: state, ganMode: options.ganMode, current: penaltyGenerator)
        try restoreDropoutStreams(from: state)
        (fakeAPool, fakeBPool, penaltyGenerator) = (a, b, penalty)
    }
}

extension Pix2PixTrainer: ResumableTrainer {
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { [("G", optimizerG), ("D", optimizerD)] }

    public func saveState(into state: inout TrainingState) {
        fakePool.save(into: &state, named: "fake_pool")
        state.setGenerator(penaltyGenerator, named: "gradient_penalty")
        saveDropoutStreams(into: &state)
    }

    public func restoreState(from state: TrainingState) throws {
        let pool = try fakePool.restored(from: state, named: "fake_pool")
        let penalty = try restoredPenaltyGenerator(from: state, ganMode: options.ganMode, current: penaltyGenerator)
        try restoreDropoutStreams(from: state)
        (fakePool, penaltyGenerator) = (pool, penalty)
    }
}

extension ConditionalGANTrainer: ResumableTrainer {
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { [("G", optimizerG), ("D", optimizerD)] }

    public func saveState(into state: inout TrainingState) {
        fakePool.save(into: &state, named: "fake_pool")
        state.setGenerator(noiseGenerator, named: "noise")
        state.setGenerator(penaltyGenerator, named: "gradient_penalty")
        saveDropoutStreams(into: &state)
    }

    public func restoreState(from state: TrainingState) throws {
        let pool = try fakePool.restored(from: state, named: "fake_pool")
        let noise = try state.generator(named: "noise")
        let penalty = try restoredPenaltyGenerator(from: state, ganMode: options.ganMode, current: penaltyGenerator)
        try restoreDropoutStreams(from: state)
        (fakePool, noiseGenerator, penaltyGenerator) = (pool, noise, penalty)
    }
}

extension RegressionTrainer: ResumableTrainer {
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { [("G", optimizerG)] }

    /// Only dropout streams (when dropout is on): the trainer draws nothing else.
    public func saveState(into state: inout TrainingState) {
        saveDropoutStreams(into: &state)
    }

    public func restoreState(from state: TrainingState) throws {
        try restoreDropoutStreams(from: state)
    }
}

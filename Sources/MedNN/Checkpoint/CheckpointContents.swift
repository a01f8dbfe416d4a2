import Foundation
import MedCore
import MedTensor

/// Everything a checkpoint file holds, in memory: the tensors of one or more networks by dotted key, their
/// architectures, optimizer states, hyperparameters and the training state (layout: docs/CHECKPOINT_FORMAT.md).
///
/// `read(from:)` and `write(to:)` (in `CheckpointContents+Read.swift` / `+Write.swift`) convert between this
/// and the HDF5 file; `Checkpoint` fills it from live modules and optimizers and loads it back into them.
/// Reading it directly serves tools that build the network from the file, such as translation:
///
/// ```swift
/// let contents = try CheckpointContents.read(from: url)
/// var generator = SeededGenerator(seed: 0)
/// let netG = try contents.makeNetwork("G_A", generator: &generator)   // weights loaded, eval mode
/// ```
public struct CheckpointContents {
    /// One parameter or buffer.
    public struct Entry {
        /// The full dotted key: `<network>.<module key>` in a multi-network checkpoint, else the module key.
        public var key: String
        /// The values (a rank-0 tensor for `num_batches_tracked`).
        public var value: Tensor
        /// True for parameters (`/parameters`), false for buffers (`/buffers`).
        public var isParameter: Bool

        /// Creates an entry.
        public init(key: String, value: Tensor, isParameter: Bool) {
            self.key = key
            self.value = value
            self.isParameter = isParameter
        }
    }

    /// The format identifier every checkpoint carries in its `format` attribute.
    public static let format = "medsynth-checkpoint-1"

    /// The name of the optimizer stored as `/optimizer` (the single-optimizer form the converter reads and
    /// writes); other names are stored as `/optimizers/<name>`.
    public static let defaultOptimizerName = "optimizer"

    /// The networks in order. `[""]` for a single-network checkpoint (keys without a prefix, as the converter
    /// writes them); otherwise names such as `["G_A", "G_B", "D_A", "D_B"]` that prefix every key.
    public var networkNames: [String]
    /// The architecture of each network, by name.
    public var architectures: [String: NetworkArchitecture]
    /// The `hyperparameters` attribute: a JSON object (`{}` when there are none).
    public var hyperparameters: String
    /// The version of MedSynth (or of the converter's MedSynth checkout) that wrote the file.
    public var medsynthVersion: String
    /// The `.pth` file a converted checkpoint came from, if any.
    public var convertedFrom: String?
    /// Every parameter and buffer, in `state_dict` order (networks in `networkNames` order).
    public var entries: [Entry]
    /// Optimizer states by name (`defaultOptimizerName` for `/optimizer`).
    public var optimizers: [String: SavedOptimizer]
    /// The trainer's state for an exact resume (empty when the file has none).
    public var trainingState: TrainingState
    /// The path of the file these contents were read from, or "checkpoint": the subject of errors.
    public var source = "checkpoint"

    /// Creates contents from their parts.
    public init(networkNames: [String], architectures: [String: NetworkArchitecture], hyperparameters: String = "{}",
                medsynthVersion: String = MedSynthVersion.string, convertedFrom: String? = nil, entries: [Entry],
                optimizers: [String: SavedOptimizer] = [:], trainingState: TrainingState = TrainingState()) {
        self.networkNames = networkNames
        self.architectures = architectures
        self.hyperparameters = hyperparameters
        self.medsynthVersion = medsynthVersion
        self.convertedFrom = convertedFrom
        self.entries = entries
        self.optimizers = optimizers
        self.trainingState = trainingState
    }

    /// True for a single-network checkpoint whose keys carry no network prefix.
    public var isSingleNetwork: Bool { networkNames == [""] }

    /// The state dict of network `name` (keys without the network prefix), ready for `Module.loadStateDict`.
    /// - Parameter name: a name of `networkNames` (`""` for a single-network checkpoint).
    /// - Throws: `MedSynthError(.notFound)` listing the networks the checkpoint holds.
    public func stateDict(network name: String = "") throws -> [String: Tensor] {
        guard networkNames.contains(name) else {
            let held = isSingleNetwork ? "one unnamed network (load it with the name \"\")"
                                       : "the networks \(networkNames)"
            throw MedSynthError(.notFound, source, "has no network '\(name)'; it holds \(held)")
        }
        let prefix = name.isEmpty ? "" : name + "."
        var state: [String: Tensor] = [:]
        for entry in entries where entry.key.hasPrefix(prefix) {
            state[String(entry.key.dropFirst(prefix.count))] = entry.value
        }
        return state
    }

    /// Builds network `name` from its recorded architecture, loads its weights and buffers, and puts it in
    /// evaluation mode.
    /// - Parameters:
    ///   - name: a name of `networkNames` (`""` for a single-network checkpoint).
    ///   - generator: used to build the network before its weights are replaced (and for dropout streams).
    /// - Throws: `MedSynthError` when the network is absent, its architecture cannot be built (`.unsupported`)
    ///   or the stored tensors do not match it (`.mismatch`, naming keys and shapes).
    public func makeNetwork(_ name: String = "", generator: inout SeededGenerator) throws -> Module {
        let state = try stateDict(network: name)
        guard let architecture = architectures[name] else {
            throw MedSynthError(.notFound, source, "records no architecture for network '\(name)'")
        }
        let module: Module
        do {
            module = try architecture.makeModule(generator: &generator)
            try module.loadStateDict(state, strict: true)
        } catch let error as MedSynthError {
            throw MedSynthError(error.kind, source, "network '\(name)' (\(architecture.className)): \(error.description)")
        }
        module.eval()
        return module
    }
}

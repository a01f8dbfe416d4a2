import Foundation
import MedCore
import MedTensor

/// Saves and restores a trainer's networks, optimizers and training state as one HDF5 checkpoint
/// (docs/CHECKPOINT_FORMAT.md), readable with h5py and convertible to PyTorch `.pth` files by
/// `scripts/convert_pth_checkpoint.py`.
///
/// A `Checkpoint` refers to live objects: `save(to:trainingState:)` writes their current state, `load(from:)`
/// puts a file's state back into them. Build it once and use it for every save and for the resume:
///
/// ```swift
/// // CycleGAN: G_A = G (A→B), G_B = F (B→A), D_A = D_Y (judges B), D_B = D_X (judges A).
/// let optG = Optimizer(gA.namedParameters(prefix: "G_A") + gB.namedParameters(prefix: "G_B"),
///                      learningRate: 2e-4, rule: Adam(beta1: 0.5))
/// let optD = Optimizer(dA.namedParameters(prefix: "D_A") + dB.namedParameters(prefix: "D_B"),
///                      learningRate: 2e-4, rule: Adam(beta1: 0.5))
/// let checkpoint = Checkpoint(networks: ["G_A": gA, "G_B": gB, "D_A": dA, "D_B": dB],
///                             optimizers: ["G": optG, "D": optD], hyperparameters: configJSON)
/// try checkpoint.save(to: runFolder.appendingPathComponent("latest.h5"), trainingState: state)
/// let restored = try checkpoint.load(from: url).trainingState
/// ```
///
/// Networks are stored with their name as a key prefix (`G_A.model.1.weight`); a single network may be unnamed
/// (`Checkpoint(network:)`), which gives exactly the single-network files the converter reads and writes. An
/// optimizer's parameter keys must be the saved keys, which is what `namedParameters(prefix: <network name>)`
/// gives. Loading checks everything before changing anything: when it throws, no module and no optimizer has
/// changed.
public struct Checkpoint {
    /// A network to save or restore.
    public struct Network {
        /// The name (a key prefix; no dots or slashes), or "" for the only network of a single-network checkpoint.
        public var name: String
        /// The module whose parameters and buffers are saved and restored.
        public var module: Module
        /// The architecture recorded with it.
        public var architecture: NetworkArchitecture

        /// Describes a network; the architecture is read from the module unless given.
        public init(_ name: String, _ module: Module, architecture: NetworkArchitecture? = nil) {
            self.name = name
            self.module = module
            self.architecture = architecture ?? NetworkArchitecture(describing: module)
        }
    }

    /// The networks, in the order they are stored.
    public var networks: [Network]
    /// The optimizers with their names (`CheckpointContents.defaultOptimizerName` is stored as `/optimizer`).
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)]
    /// Training options kept with the weights: a JSON object (`{}` if none), such as the resolved configuration.
    public var hyperparameters: String

    /// A checkpoint of several named networks and optimizers.
    /// - Parameters:
    ///   - networks: the networks in storage order.
    ///   - optimizers: the optimizers with their names.
    ///   - hyperparameters: a JSON object.
    public init(networks: [Network], optimizers: [(name: String, optimizer: any ParameterOptimizer)] = [],
                hyperparameters: String = "{}") {
        self.networks = networks
        self.optimizers = optimizers
        self.hyperparameters = hyperparameters
    }

    /// A checkpoint of several named networks and optimizers, architectures read from the modules:
    /// `Checkpoint(networks: ["G_A": gA, "G_B": gB], optimizers: ["G": optG])`.
    public init(networks: KeyValuePairs<String, Module>, optimizers: KeyValuePairs<String, any ParameterOptimizer> = [:],
                hyperparameters: String = "{}") {
        self.init(networks: networks.map { Network($0.key, $0.value) },
                  optimizers: optimizers.map { (name: $0.key, optimizer: $0.value) }, hyperparameters: hyperparameters)
    }

    /// A checkpoint of named networks as a trainer lists them (`Trainer.networks`), architectures read from the
    /// modules.
    public init(networks: [(name: String, module: Module)], optimizers: [(name: String, optimizer: any ParameterOptimizer)] = [],
                hyperparameters: String = "{}") {
        self.init(networks: networks.map { Network($0.name, $0.module) }, optimizers: optimizers, hyperparameters: hyperparameters)
    }

    /// A single-network checkpoint (keys without a prefix, as the converter writes), with an optional optimizer
    /// over `network.namedParameters()` stored as `/optimizer`.
    public init(network: Module, architecture: NetworkArchitecture? = nil, optimizer: (any ParameterOptimizer)? = nil,
                hyperparameters: String = "{}") {
        self.init(networks: [Network("", network, architecture: architecture)],
                  optimizers: optimizer.map { [(name: CheckpointContents.defaultOptimizerName, optimizer: $0)] } ?? [],
                  hyperparameters: hyperparameters)
    }

    // MARK: - Saving

    /// The current state of the networks and optimizers as checkpoint contents (tensors share storage with the
    /// modules; copy-on-write keeps them intact while training goes on).
    /// - Throws: `MedSynthError(.invalidArgument)` when an optimizer updates a parameter that is not one of the
    ///   networks' (under the same key), or names are invalid.
    public func contents(trainingState: TrainingState = TrainingState()) throws -> CheckpointContents {
        let subject = "checkpoint"
        guard !networks.isEmpty else { throw MedSynthError(.invalidArgument, subject, "a checkpoint needs at least one network") }
        let single = networks.count == 1 && networks[0].name.isEmpty
        var entries: [CheckpointContents.Entry] = []
        var parameters: [String: Parameter] = [:]
        for network in networks {
            if !single {
                try CheckpointContents.checkName(network.name, what: "network name", subject: subject, allowDots: false)
            }
            let prefix = single ? "" : network.name + "."
            for (key, parameter) in network.module.namedParameters() { parameters[prefix + key] = parameter }
            for (key, value) in network.module.orderedStateDict() {
                entries.append(.init(key: prefix + key, value: value, isParameter: parameters[prefix + key] != nil))
            }
        }
        var optimizers: [String: SavedOptimizer] = [:]
        for (name, optimizer) in self.optimizers {
            guard optimizers[name] == nil else { throw MedSynthError(.invalidArgument, subject, "two optimizers are named '\(name)'") }
            if let described = optimizer as? any CheckpointDescribedOptimizer {
                for (key, parameter) in described.checkpointParameters where parameters[key] !== parameter {
                    let hint = single ? "" : " (keys carry the network name: build the optimizer over namedParameters(prefix: <network name>))"
                    throw MedSynthError(.invalidArgument, subject, parameters[key] == nil
                        ? "optimizer '\(name)' updates '\(key)', which is not a parameter of the saved networks\(hint)"
                        : "optimizer '\(name)' updates another tensor than the network's parameter '\(key)'")
                }
            }
            optimizers[name] = SavedOptimizer(optimizer)
        }
        return CheckpointContents(
            networkNames: single ? [""] : networks.map(\.name),
            architectures: Dictionary(networks.map { (single ? "" : $0.name, $0.architecture) }, uniquingKeysWith: { a, _ in a }),
            hyperparameters: hyperparameters, entries: entries, optimizers: optimizers, trainingState: trainingState)
    }

    /// Writes the networks, optimizers and `trainingState` to `url` atomically (see `CheckpointContents.write(to:)`):
    /// a save that fails or is killed leaves the previous file at `url` untouched.
    /// - Throws: `MedSynthError` naming `url` (`.invalidArgument` for names or optimizers that break the format,
    ///   `.writeFailed`).
    public func save(to url: URL, trainingState: TrainingState = TrainingState()) throws {
        let contents: CheckpointContents
        do { contents = try self.contents(trainingState: trainingState) } catch let error as MedSynthError {
            throw MedSynthError(error.kind, url.path, error.message)
        }
        try contents.write(to: url)
    }

    // MARK: - Loading

    /// Reads `url` and restores every network and optimizer of this checkpoint from it (see `load(_:)`).
    /// - Returns: the file's contents, for the training state, hyperparameters and architectures.
    /// - Throws: `MedSynthError` naming the file (see `CheckpointContents.read(from:)` and `load(_:)`); nothing
    ///   has changed when it throws.
    @discardableResult
    public func load(from url: URL) throws -> CheckpointContents {
        let contents = try CheckpointContents.read(from: url)
        try load(contents)
        return contents
    }

    /// Restores every network and optimizer of this checkpoint from `contents`.
    ///
    /// Each network must be in the contents under its name with exactly the module's keys (parameters as
    /// parameters, buffers as buffers) and shapes; each optimizer must be there under its name, with the same
    /// class and parameters, and gets its state and learning rate back. Networks and optimizers of the contents
    /// that this checkpoint does not list are ignored (loading only a generator for translation is fine).
    /// - Throws: `MedSynthError` naming `contents.source`: `.notFound` (a network or optimizer is absent),
    ///   `.mismatch` (missing or unexpected keys, listed; a shape, with the expected and the found one; another
    ///   optimizer class). Nothing has changed when it throws.
    public func load(_ contents: CheckpointContents) throws {
        let source = contents.source
        let single = networks.count == 1 && networks[0].name.isEmpty
        // 1. Check every network without changing anything.
        var states: [(module: Module, state: [String: Tensor])] = []
        for network in networks {
            let name = single ? "" : network.name
            guard contents.networkNames.contains(name) else {
                let held = contents.isSingleNetwork ? "one unnamed network (load it with Checkpoint(network:))"
                                                    : "the networks \(contents.networkNames)"
                throw MedSynthError(.notFound, source, "has no network '\(name)'; it holds \(held)")
            }
            let state = try contents.stateDict(network: name)
            let prefix = name.isEmpty ? "" : name + "."
            let storedParameters = Set(contents.entries.filter(\.isParameter).map(\.key))
            try Checkpoint.check(network.module, against: state, storedAsParameter: { storedParameters.contains(prefix + $0) },
                                 network: name, source: source)
            states.append((network.module, state))
        }
        // 2. Check every optimizer.
        var optimizerStates: [(optimizer: any ParameterOptimizer, saved: SavedOptimizer, name: String)] = []
        for (name, optimizer) in optimizers {
            guard let saved = contents.optimizers[name] else {
                throw MedSynthError(.notFound, source, "has no optimizer '\(name)'; it holds \(contents.optimizers.keys.sorted())")
            }
            if let described = optimizer as? any CheckpointDescribedOptimizer {
                guard described.checkpointClassName == saved.className else {
                    throw MedSynthError(.mismatch, source, "optimizer '\(name)' is \(saved.className) in the checkpoint, \(described.checkpointClassName) here")
                }
                let mine = Set(described.checkpointParameterKeys), theirs = Set(saved.parameterKeys)
                guard mine == theirs else {
                    throw MedSynthError(.mismatch, source, "optimizer '\(name)' updates other parameters in the checkpoint: " +
                        Checkpoint.describeDifference(missing: mine.subtracting(theirs), unexpected: theirs.subtracting(mine)))
                }
            }
            optimizerStates.append((optimizer, saved, name))
        }
        // 3. Apply, undoing everything if anything still fails.
        var undoOptimizers: [(optimizer: any ParameterOptimizer, state: [String: Tensor], learningRate: Float)] = []
        var undoModules: [(module: Module, state: [String: Tensor])] = []
        do {
            for (optimizer, saved, name) in optimizerStates {
                let previous = (optimizer, optimizer.state(), optimizer.learningRate)
                do { try optimizer.loadState(saved.optimizerState) } catch let error as MedSynthError {
                    throw MedSynthError(.mismatch, source, "optimizer '\(name)': \(error.description)")
                }
                undoOptimizers.append(previous)
                if let learningRate = saved.learningRate { optimizer.learningRate = learningRate }
            }
            for (module, state) in states {
                let previous = (module, module.stateDict())
                try module.loadStateDict(state, strict: true)
                undoModules.append(previous)
            }
        } catch {
            for (optimizer, state, learningRate) in undoOptimizers.reversed() {
                try? optimizer.loadState(state)
                optimizer.learningRate = learningRate
            }
            for (module, state) in undoModules.reversed() { try? module.loadStateDict(state, strict: true) }
            throw error
        }
    }

    /// Checks that `state` has exactly the module's keys, each stored as the same kind (parameter or buffer)
    /// and with the same shape.
    /// - Throws: `MedSynthError(.mismatch)` naming `source` and the network.
    static func check(_ module: Module, against state: [String: Tensor], storedAsParameter: (String) -> Bool,
                      network: String, source: String) throws {
        let what = network.isEmpty ? "the network" : "network '\(network)'"
        let own = module.namedParameters().map { ($0.key, $0.parameter.shape, true) }
            + module.namedBuffers().map { ($0.key, $0.buffer.shape, false) }
        let ownKeys = Set(own.map(\.0))
        let missing = Set(own.map(\.0).filter { state[$0] == nil })
        let unexpected = Set(state.keys.filter { !ownKeys.contains($0) })
        guard missing.isEmpty && unexpected.isEmpty else {
            throw MedSynthError(.mismatch, source, "\(what) (\(type(of: module))) does not match the checkpoint: " +
                                describeDifference(missing: missing, unexpected: unexpected))
        }
        for (key, shape, isParameter) in own {
            let found = state[key]!.shape
            guard found == shape else {
                throw MedSynthError(.mismatch, source, "\(what): '\(key)' has shape \(found) in the checkpoint, the module expects \(shape)")
            }
            guard storedAsParameter(key) == isParameter else {
                throw MedSynthError(.mismatch, source, "\(what): '\(key)' is stored as a \(isParameter ? "buffer" : "parameter"), the module has a \(isParameter ? "parameter" : "buffer")")
            }
        }
    }

    /// "missing keys [a, b] (in the module, not in the checkpoint); unexpected keys [c] (…)", at most 8 of each.
    static func describeDifference(missing: Set<String>, unexpected: Set<String>) -> String {
        func list(_ keys: Set<String>) -> String {
            let sorted = keys.sorted()
            return "\(sorted.prefix(8))" + (sorted.count > 8 ? " and \(sorted.count - 8) more" : "")
        }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys \(list(missing)) (expected here, absent from the checkpoint)") }
        if !unexpected.isEmpty { parts.append("unexpected keys \(list(unexpected)) (in the checkpoint, not expected here)") }
        return parts.joined(separator: "; ")
    }
}

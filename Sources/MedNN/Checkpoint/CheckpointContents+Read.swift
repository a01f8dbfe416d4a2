import Foundation
import MedCore
import MedIO
import MedTensor

/// Reading a checkpoint file.
extension CheckpointContents {
    /// Reads a whole checkpoint: what MedNN writes and what `scripts/convert_pth_checkpoint.py` writes.
    ///
    /// Everything is read and checked against the format before this returns, so a file that reads without
    /// error is complete and self-consistent (every key of `state_dict_keys` stored once, optimizer state only
    /// for stored parameters, shaped like them).
    /// - Throws: `MedSynthError` naming the file: `.notFound`; `.corrupt` for a file that is not HDF5, is
    ///   truncated or damaged (HDF5's reason quoted) or breaks the layout (naming the key or attribute);
    ///   `.unsupported` for an HDF5 file that is not a MedSynth checkpoint or has another format version.
    public static func read(from url: URL) throws -> CheckpointContents {
        let path = url.path
        let file = try HDF5File.open(url)
        let root = file.root
        func corrupt(_ message: String) -> MedSynthError { MedSynthError(.corrupt, path, message) }

        let format: String?
        do { format = try root.attributes.string("format") } catch {
            throw MedSynthError(.unsupported, path, "not a MedSynth checkpoint: attribute 'format' is not a string (expected '\(CheckpointContents.format)')")
        }
        guard let format else {
            throw MedSynthError(.unsupported, path,
                                "not a MedSynth checkpoint: no 'format' attribute (expected '\(CheckpointContents.format)'); attributes: \((try? root.attributeNames()) ?? [])")
        }
        guard format == CheckpointContents.format else {
            throw MedSynthError(.unsupported, path, "checkpoint format is '\(format)', expected '\(CheckpointContents.format)' (a newer MedSynth wrote it?)")
        }
        func requiredString(_ name: String) throws -> String {
            guard let value = try root.attributes.string(name) else { throw corrupt("attribute '\(name)' is missing") }
            return value
        }
        func strings(_ owner: any HDF5Object, _ name: String) throws -> [String]? {
            switch try owner.attributes.value(name) {
            case nil: return nil
            case .strings(let a)?: return a
            case .string(let s)?: return [s]
            case let other?: throw corrupt("attribute '\(name)' of '\(owner.path)' is \(other), expected a list of strings")
            }
        }

        // Networks and architectures.
        let networkNames = try strings(root, "networks") ?? [""]
        guard !networkNames.isEmpty, networkNames == [""] || networkNames.allSatisfy({ !$0.isEmpty && !$0.contains(".") }),
              Set(networkNames).count == networkNames.count else {
            throw corrupt("attribute 'networks' is \(networkNames), expected distinct names without dots")
        }
        let architectureText = try requiredString("architecture")
        let architectureJSON = try CheckpointJSON.parse(architectureText, subject: path, what: "attribute 'architecture'")
        var architectures: [String: NetworkArchitecture] = [:]
        if networkNames == [""] {
            architectures[""] = try NetworkArchitecture(architectureJSON, subject: path)
        } else {
            for name in networkNames {
                guard let one = architectureJSON[name] else {
                    throw corrupt("attribute 'architecture' has no entry for network '\(name)' (networks: \(networkNames))")
                }
                architectures[name] = try NetworkArchitecture(one, subject: path)
            }
        }
        let hyperparameters = try root.attributes.string("hyperparameters") ?? "{}"

        // Parameters and buffers, in state_dict order.
        guard let keys = try strings(root, "state_dict_keys") else { throw corrupt("attribute 'state_dict_keys' is missing") }
        guard Set(keys).count == keys.count else { throw corrupt("attribute 'state_dict_keys' lists a key twice") }
        let parameters = try requiredGroup(root, "parameters", path: path)
        let buffers = try requiredGroup(root, "buffers", path: path)
        let parameterNames = Set(try parameters.children().map(\.name)), bufferNames = Set(try buffers.children().map(\.name))
        var entries: [Entry] = []
        for key in keys {
            if networkNames != [""], !networkNames.contains(where: { key.hasPrefix($0 + ".") }) {
                throw corrupt("key '\(key)' does not start with a network name of \(networkNames)")
            }
            let isParameter = parameterNames.contains(key)
            guard isParameter || bufferNames.contains(key) else {
                throw corrupt("key '\(key)' is listed in state_dict_keys but stored in neither /parameters nor /buffers")
            }
            entries.append(Entry(key: key, value: try readTensor(isParameter ? parameters : buffers, key), isParameter: isParameter))
        }
        let unlisted = parameterNames.union(bufferNames).subtracting(keys).sorted()
        guard unlisted.isEmpty else { throw corrupt("datasets not listed in state_dict_keys: \(unlisted.prefix(8))") }

        // Optimizers.
        let parameterShapes = Dictionary(uniqueKeysWithValues: entries.filter(\.isParameter).map { ($0.key, $0.value.shape) })
        let parameterOrder = entries.filter(\.isParameter).map(\.key)
        var optimizers: [String: SavedOptimizer] = [:]
        if root.kind(at: defaultOptimizerName) == .group {
            optimizers[defaultOptimizerName] = try SavedOptimizer(reading: try root.group(defaultOptimizerName),
                                                                 parameterOrder: parameterOrder, shapes: parameterShapes, path: path)
        }
        if root.kind(at: "optimizers") == .group {
            let group = try root.group("optimizers")
            for child in try group.children() where child.kind == .group {
                optimizers[child.name] = try SavedOptimizer(reading: try group.group(child.name),
                                                            parameterOrder: parameterOrder, shapes: parameterShapes, path: path)
            }
        }

        let trainingState = root.kind(at: "training_state") == .group
            ? try readTrainingState(try root.group("training_state"), path: path) : TrainingState()

        var contents = CheckpointContents(
            networkNames: networkNames, architectures: architectures, hyperparameters: hyperparameters,
            medsynthVersion: try root.attributes.string("medsynth_version") ?? "unknown",
            convertedFrom: try root.attributes.string("converted_from"), entries: entries, optimizers: optimizers,
            trainingState: trainingState)
        contents.source = path
        try file.close()
        return contents
    }

    /// The group `name` of `root`.
    /// - Throws: `MedSynthError(.corrupt)` naming the file when it is missing.
    private static func requiredGroup(_ root: HDF5Group, _ name: String, path: String) throws -> HDF5Group {
        guard root.kind(at: name) == .group else {
            throw MedSynthError(.corrupt, path, "group '/\(name)' is missing")
        }
        return try root.group(name)
    }

    /// A numeric dataset as a tensor of its shape (integers converted to Float).
    static func readTensor(_ group: HDF5Group, _ name: String) throws -> Tensor {
        let ds = try group.dataset(name)
        return Tensor(try ds.read(as: Float.self), shape: ds.shape)
    }

    /// `/training_state` (see `TrainingState`).
    private static func readTrainingState(_ group: HDF5Group, path: String) throws -> TrainingState {
        var state = TrainingState()
        func members(_ name: String) throws -> (group: HDF5Group, names: [String])? {
            guard group.kind(at: name) == .group else { return nil }
            let g = try group.group(name)
            return (g, try g.children().filter { $0.kind == .dataset }.map(\.name))
        }
        func scalar<T: HDF5Scalar>(_ g: HDF5Group, _ name: String, as type: T.Type) throws -> T {
            let ds = try g.dataset(name)
            let values = try ds.read(as: T.self)
            guard values.count == 1 else {
                throw MedSynthError(.corrupt, path, "'\(ds.path)' has shape \(ds.shape), expected a scalar")
            }
            return values[0]
        }
        if let (g, names) = try members("integers") {
            for name in names { state.integers[name] = Int(try scalar(g, name, as: Int64.self)) }
        }
        if let (g, names) = try members("numbers") {
            for name in names { state.numbers[name] = try scalar(g, name, as: Double.self) }
        }
        if let (g, names) = try members("words") {
            for name in names { state.words[name] = try g.dataset(name).read(as: UInt64.self) }
        }
        if let (g, names) = try members("tensors") {
            for name in names { state.tensors[name] = try readTensor(g, name) }
        }
        if group.kind(at: "strings") == .group {
            let g = try group.group("strings")
            for name in try g.attributeNames() {
                guard let text = try g.attributes.string(name) else { continue }
                state.strings[name] = text
            }
        }
        return state
    }
}

extension SavedOptimizer {
    /// Reads one optimizer group: `/optimizer` (converter) or `/optimizers/<name>` (MedNN).
    ///
    /// The parameters it updates are its `parameters` attribute, or, without one (the converter's files), every
    /// stored parameter in `state_dict` order. A parameter's step count is `<key>.step`, else the shared `step`.
    /// - Throws: `MedSynthError(.corrupt)` naming the file and the dataset for state of unknown parameters or of
    ///   the wrong shape, or a missing step count.
    init(reading group: HDF5Group, parameterOrder: [String], shapes: [String: [Int]], path: String) throws {
        func corrupt(_ message: String) -> MedSynthError { MedSynthError(.corrupt, path, "'\(group.path)': \(message)") }
        className = try group.attributes.string("class") ?? "Adam"
        hyperparameters = try group.attributes.string("hyperparameters") ?? "{}"
        switch try group.attributes.value("parameters") {
        case nil: parameterKeys = parameterOrder
        case .strings(let a)?: parameterKeys = a
        case .string(let s)?: parameterKeys = [s]
        case let other?: throw corrupt("attribute 'parameters' is \(other), expected a list of strings")
        }
        for key in parameterKeys where shapes[key] == nil {
            throw corrupt("updates '\(key)', which is not a stored parameter")
        }
        let keys = Set(parameterKeys)
        func int(_ name: String) throws -> Int {
            let values = try group.dataset(name).read(as: Int64.self)
            guard values.count == 1 else { throw corrupt("'\(name)' is not a scalar") }
            return Int(values[0])
        }
        let sharedStep = group.kind(at: "step") == .dataset ? try int("step") : nil
        var steps: [String: Int] = [:], tensors: [String: Tensor] = [:]
        for child in try group.children() where child.kind == .dataset && child.name != "step" {
            guard let dot = child.name.lastIndex(of: "."), keys.contains(String(child.name[..<dot])) else {
                throw corrupt("dataset '\(child.name)' is no state of a parameter this optimizer updates")
            }
            let key = String(child.name[..<dot])
            if child.name[child.name.index(after: dot)...] == "step" {
                steps[key] = try int(child.name)
                continue
            }
            let tensor = try CheckpointContents.readTensor(group, child.name)
            guard tensor.shape == shapes[key]! else {
                throw corrupt("'\(child.name)' has shape \(tensor.shape), its parameter \(shapes[key]!)")
            }
            tensors[child.name] = tensor
        }
        for name in tensors.keys {
            let key = String(name[..<name.lastIndex(of: ".")!])
            if steps[key] == nil {
                guard let sharedStep else { throw corrupt("'\(name)' has no step count ('\(key).step' or 'step')") }
                steps[key] = sharedStep
            }
        }
        self.steps = steps
        self.tensors = tensors
    }
}

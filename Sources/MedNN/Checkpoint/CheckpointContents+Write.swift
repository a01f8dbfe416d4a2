import Foundation
import MedCore
import MedIO
import MedTensor

/// Writing a checkpoint file.
extension CheckpointContents {
    /// Writes the contents to `url` atomically: everything is checked first, the file is written beside `url`
    /// under a temporary name, flushed to disk (`fsync`) and only then renamed over `url`. A failure or a kill at
    /// any moment leaves either the previous file or the complete new one, never a partial one.
    /// - Throws: `MedSynthError` naming `url`: `.invalidArgument` for contents that break the format (quoting the
    ///   offending name, key or shape), `.writeFailed` for I/O failures.
    public func write(to url: URL) throws {
        try validate(subject: url.path)
        let temporaryPaths = TemporaryPathBox()
        do {
            try AtomicFile.write(to: url) { temporary in
                temporaryPaths.path = temporary.path
                try writeHDF5(to: temporary)
                try CheckpointContents.synchronize(temporary, subject: url.path)
            }
        } catch let error as MedSynthError where error.subject == temporaryPaths.path {
            // Errors about the temporary file are about the output the caller named.
            throw MedSynthError(error.kind, url.path, error.message)
        }
        // Make the rename itself durable.
        try? CheckpointContents.synchronize(url.deletingLastPathComponent(), subject: url.path)
    }

    /// Holds the temporary path chosen inside `AtomicFile.write`, to recognise errors about it.
    private final class TemporaryPathBox { var path: String? }

    // MARK: - Checks

    /// Refuses contents that would not read back as written.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `subject`.
    func validate(subject: String) throws {
        func invalid(_ message: String) -> MedSynthError { MedSynthError(.invalidArgument, subject, message) }
        guard !networkNames.isEmpty else { throw invalid("a checkpoint needs at least one network") }
        if !isSingleNetwork {
            for name in networkNames {
                try CheckpointContents.checkName(name, what: "network name", subject: subject, allowDots: false)
            }
            guard Set(networkNames).count == networkNames.count else { throw invalid("network names \(networkNames) repeat") }
        }
        for name in networkNames where architectures[name] == nil {
            throw invalid("no architecture for network '\(name)'")
        }
        guard case .object? = try? CheckpointJSON.parse(hyperparameters, subject: subject, what: "") else {
            throw invalid("hyperparameters must be a JSON object, got \(CheckpointJSON.excerpt(hyperparameters))")
        }
        var parameterShapes: [String: [Int]] = [:], seen: Set<String> = []
        for entry in entries {
            try CheckpointContents.checkName(entry.key, what: "key", subject: subject, allowDots: true)
            guard seen.insert(entry.key).inserted else { throw invalid("key '\(entry.key)' occurs twice") }
            if !isSingleNetwork, !networkNames.contains(where: { entry.key.hasPrefix($0 + ".") }) {
                throw invalid("key '\(entry.key)' does not start with a network name of \(networkNames)")
            }
            if entry.isParameter { parameterShapes[entry.key] = entry.value.shape }
        }
        for (name, optimizer) in optimizers {
            try CheckpointContents.checkName(name, what: "optimizer name", subject: subject, allowDots: true)
            try optimizer.validate(name: name, parameterShapes: parameterShapes, subject: subject)
        }
        let state = trainingState
        for name in Array(state.integers.keys) + state.numbers.keys + state.words.keys + state.strings.keys + state.tensors.keys {
            try CheckpointContents.checkName(name, what: "training-state name", subject: subject, allowDots: true)
        }
        for (name, text) in state.strings where text.utf8.count > TrainingState.maximumStringBytes {
            throw invalid("training-state string '\(name)' has \(text.utf8.count) bytes, more than \(TrainingState.maximumStringBytes)")
        }
    }

    /// Checks a name that becomes an HDF5 link name: not empty, no "/", not "." or "..", and no dots where a dot
    /// would separate a network prefix.
    static func checkName(_ name: String, what: String, subject: String, allowDots: Bool) throws {
        guard !name.isEmpty, !name.contains("/"), !name.contains("\0"), name != ".", name != "..",
              allowDots || !name.contains(".") else {
            throw MedSynthError(.invalidArgument, subject,
                                "\(what) '\(name)' must be non-empty without '/', NUL\(allowDots ? "" : " or '.'")")
        }
    }

    // MARK: - HDF5

    /// Writes the file at `path` (a temporary file), every HDF5 object released when this returns.
    private func writeHDF5(to path: URL) throws {
        let file = try HDF5File.create(path, overwrite: true)
        let root = file.root
        try root.attributes.set("format", CheckpointContents.format)
        let architecture: CheckpointJSON = isSingleNetwork
            ? architectures[""]!.jsonValue
            : .object(networkNames.map { ($0, architectures[$0]!.jsonValue) })
        try root.attributes.set("architecture", architecture.text)
        try root.attributes.set("hyperparameters", hyperparameters)
        try root.attributes.set("medsynth_version", medsynthVersion)
        try root.attributes.set("state_dict_keys", .strings(entries.map(\.key)))
        if !isSingleNetwork { try root.attributes.set("networks", .strings(networkNames)) }
        if let convertedFrom { try root.attributes.set("converted_from", convertedFrom) }

        let parameters = try root.createGroup("parameters"), buffers = try root.createGroup("buffers")
        for entry in entries {
            let group = entry.isParameter ? parameters : buffers
            if CheckpointContents.isCount(entry.key) {
                let ds = try group.createDataset(entry.key, elementType: .int64, shape: entry.value.shape)
                try ds.write(entry.value.scalars.map { Int64($0) })
            } else {
                try CheckpointContents.writeTensor(entry.value, named: entry.key, in: group)
            }
        }
        for name in optimizers.keys.sorted() {
            let group = name == CheckpointContents.defaultOptimizerName
                ? try root.createGroup(name) : try root.createGroups("optimizers/\(name)")
            try optimizers[name]!.write(to: group)
        }
        if !trainingState.isEmpty { try writeTrainingState(in: try root.createGroup("training_state")) }
        try file.close()
    }

    /// True for keys PyTorch stores as int64 counts (BatchNorm's `num_batches_tracked`).
    static func isCount(_ key: String) -> Bool {
        key == "num_batches_tracked" || key.hasSuffix(".num_batches_tracked")
    }

    /// Writes a float32 dataset of the tensor's shape (an HDF5 scalar for rank 0).
    static func writeTensor(_ tensor: Tensor, named name: String, in group: HDF5Group) throws {
        let ds = try group.createDataset(name, elementType: .float32, shape: tensor.shape)
        try ds.write(tensor.scalars)
    }

    /// `/training_state`: integers, numbers, words, tensors as datasets; strings as attributes of `strings`.
    private func writeTrainingState(in group: HDF5Group) throws {
        let state = trainingState
        if !state.integers.isEmpty {
            let g = try group.createGroup("integers")
            for (name, value) in state.integers { try g.createDataset(name, elementType: .int64, shape: []).write([Int64(value)]) }
        }
        if !state.numbers.isEmpty {
            let g = try group.createGroup("numbers")
            for (name, value) in state.numbers { try g.createDataset(name, elementType: .float64, shape: []).write([value]) }
        }
        if !state.words.isEmpty {
            let g = try group.createGroup("words")
            for (name, value) in state.words {
                try g.createDataset(name, elementType: .uint64, shape: [value.count]).write(value)
            }
        }
        if !state.tensors.isEmpty {
            let g = try group.createGroup("tensors")
            for (name, tensor) in state.tensors { try CheckpointContents.writeTensor(tensor, named: name, in: g) }
        }
        if !state.strings.isEmpty {
            let g = try group.createGroup("strings")
            for (name, text) in state.strings { try g.attributes.set(name, text) }
        }
    }

    /// `fsync`s a file or folder so that what was written survives a power loss.
    /// - Throws: `MedSynthError(.writeFailed)` naming `subject`.
    static func synchronize(_ url: URL, subject: String) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw MedSynthError(.writeFailed, subject, "cannot open '\(url.path)' to flush it to disk: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw MedSynthError(.writeFailed, subject, "cannot flush to disk: \(String(cString: strerror(errno)))")
        }
    }
}

extension SavedOptimizer {
    /// Checks that the state belongs to parameters of the checkpoint and has their shapes.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `subject`, the optimizer and the key.
    func validate(name: String, parameterShapes: [String: [Int]], subject: String) throws {
        func invalid(_ message: String) -> MedSynthError {
            MedSynthError(.invalidArgument, subject, "optimizer '\(name)': \(message)")
        }
        guard case .object? = try? CheckpointJSON.parse(hyperparameters, subject: subject, what: "") else {
            throw invalid("hyperparameters must be a JSON object, got \(CheckpointJSON.excerpt(hyperparameters))")
        }
        guard Set(parameterKeys).count == parameterKeys.count else { throw invalid("parameter keys repeat") }
        for key in parameterKeys where parameterShapes[key] == nil {
            throw invalid("updates '\(key)', which is not a parameter of the saved networks (build optimizers over " +
                          "namedParameters(prefix: <network name>) when saving several networks)")
        }
        let keys = Set(parameterKeys)
        for key in steps.keys where !keys.contains(key) { throw invalid("has a step count for '\(key)', which it does not update") }
        for (key, tensor) in tensors {
            guard let dot = key.lastIndex(of: "."), keys.contains(String(key[..<dot])), steps[String(key[..<dot])] != nil else {
                throw invalid("state tensor '\(key)' belongs to no updated parameter of the optimizer")
            }
            let expected = parameterShapes[String(key[..<dot])]!
            guard tensor.shape == expected else {
                throw invalid("state tensor '\(key)' has shape \(tensor.shape), its parameter \(expected)")
            }
        }
    }

    /// Writes the attributes and datasets of one optimizer group.
    func write(to group: HDF5Group) throws {
        try group.attributes.set("class", className)
        try group.attributes.set("hyperparameters", hyperparameters)
        try group.attributes.set("parameters", .strings(parameterKeys))
        // PyTorch keeps one step count per parameter, always equal in practice; the converter reads the shared
        // `step`, MedNN the per-parameter `<key>.step`, so both are written (the shared one only when they agree).
        let distinct = Set(steps.values)
        if distinct.count <= 1 {
            try group.createDataset("step", elementType: .int64, shape: []).write([Int64(distinct.first ?? 0)])
        }
        for key in parameterKeys {
            guard let step = steps[key] else { continue }
            try group.createDataset(key + ".step", elementType: .int64, shape: []).write([Int64(step)])
        }
        for key in tensors.keys.sorted() { try CheckpointContents.writeTensor(tensors[key]!, named: key, in: group) }
    }
}

import MedCore
import MedTensor

extension Module {
    // MARK: - Walking the tree

    /// This module and every module below it with their dotted keys (this one has key `prefix`), parents before
    /// children, in declaration order. A module reachable along two paths is listed once, at its first path.
    public func namedModules(prefix: String = "") -> [(key: String, module: Module)] {
        var seen: Set<ObjectIdentifier> = []
        var result: [(key: String, module: Module)] = []
        visitModules(prefix: prefix, seen: &seen) { result.append(($0, $1)) }
        return result
    }

    /// The trainable parameters with their dotted keys (`model.1.weight`), each module's own parameters before
    /// those of its children; a parameter shared by two modules is listed once.
    /// - Parameter prefix: prepended (with a dot) to every key, e.g. the network's name in a multi-network trainer.
    public func namedParameters(prefix: String = "") -> [(key: String, parameter: Parameter)] {
        var seen: Set<ObjectIdentifier> = []
        var result: [(key: String, parameter: Parameter)] = []
        for (moduleKey, module) in namedModules(prefix: prefix) {
            for (key, member) in module.directMembers() {
                if case .parameter(let p) = member, seen.insert(ObjectIdentifier(p)).inserted {
                    result.append((Module.join(moduleKey, key), p))
                }
            }
        }
        return result
    }

    /// The buffers (running statistics and other non-trainable state) with their dotted keys.
    public func namedBuffers(prefix: String = "") -> [(key: String, buffer: Buffer)] {
        var seen: Set<ObjectIdentifier> = []
        var result: [(key: String, buffer: Buffer)] = []
        for (moduleKey, module) in namedModules(prefix: prefix) {
            for (key, member) in module.directMembers() {
                if case .buffer(let b) = member, seen.insert(ObjectIdentifier(b)).inserted {
                    result.append((Module.join(moduleKey, key), b))
                }
            }
        }
        return result
    }

    /// The trainable parameters in the order of `namedParameters()`.
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// The number of trainable values.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// Forgets the gradients of all parameters.
    public func zeroGrad() {
        for p in parameters() { p.zeroGrad() }
    }

    /// Freezes (false) or unfreezes (true) every parameter: while frozen, backward passes through this module
    /// still reach its inputs but compute no gradient for its parameters (the reference's `set_requires_grad`).
    public func setRequiresGrad(_ requiresGrad: Bool) {
        for p in parameters() { p.requiresGrad = requiresGrad }
    }

    // MARK: - Mode

    /// Puts this module and all modules below it in training mode.
    public func train() { setTraining(true) }

    /// Puts this module and all modules below it in evaluation mode.
    public func eval() { setTraining(false) }

    /// Sets the mode of this module and all modules below it.
    public func setTraining(_ training: Bool) {
        for (_, module) in namedModules() { module.isTraining = training }
    }

    // MARK: - State dict

    /// Every parameter and buffer by dotted key, in PyTorch's `state_dict()` order: per module its parameters,
    /// then its buffers, then its children. The tensors are detached and share storage with the module (copy
    /// on write keeps them intact when the module trains on).
    public func orderedStateDict() -> [(key: String, value: Tensor)] {
        var result: [(key: String, value: Tensor)] = []
        var seen: Set<ObjectIdentifier> = []
        for (moduleKey, module) in namedModules() {
            let members = module.directMembers()
            for (key, member) in members {
                if case .parameter(let p) = member, seen.insert(ObjectIdentifier(p)).inserted {
                    result.append((Module.join(moduleKey, key), p.value.detached()))
                }
            }
            for (key, member) in members {
                if case .buffer(let b) = member, seen.insert(ObjectIdentifier(b)).inserted {
                    result.append((Module.join(moduleKey, key), b.value))
                }
            }
        }
        return result
    }

    /// Every parameter and buffer by dotted key (see `orderedStateDict()`).
    public func stateDict() -> [String: Tensor] {
        Dictionary(orderedStateDict().map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Replaces parameters and buffers with the tensors of `state`, matched by dotted key.
    ///
    /// Every tensor must have the shape of the entry it replaces. Loaded parameters are fresh leaves (their old
    /// gradients are dropped). Nothing is changed when an error is thrown.
    /// - Parameters:
    ///   - state: tensors by dotted key, as `stateDict()` gives them.
    ///   - strict: when true (the default), keys of the module missing from `state` and keys of `state` the module
    ///     does not have are errors; when false both are ignored.
    /// - Throws: `MedSynthError.mismatch` naming the missing and unexpected keys, or the first key whose shape
    ///   differs (with both shapes).
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
        let parameters = namedParameters(), buffers = namedBuffers()
        let ownKeys = Set(parameters.map(\.key)).union(buffers.map(\.key))
        if strict {
            let missing = parameters.map(\.key).filter { state[$0] == nil } + buffers.map(\.key).filter { state[$0] == nil }
            let unexpected = state.keys.filter { !ownKeys.contains($0) }.sorted()
            if !missing.isEmpty || !unexpected.isEmpty {
                var parts: [String] = []
                if !missing.isEmpty { parts.append("missing keys \(missing)") }
                if !unexpected.isEmpty { parts.append("unexpected keys \(unexpected)") }
                throw MedSynthError(.mismatch, String(describing: type(of: self)),
                                    "state dict does not match the module: " + parts.joined(separator: "; "))
            }
        }
        for (key, p) in parameters { try Module.checkShape(key, expected: p.shape, state[key]) }
        for (key, b) in buffers { try Module.checkShape(key, expected: b.shape, state[key]) }
        for (key, p) in parameters { if let t = state[key] { p.value = t } }
        for (key, b) in buffers { if let t = state[key] { b.value = t } }
    }

    // MARK: - Helpers

    /// Depth-first walk calling `body` with each not yet seen module and its key.
    private func visitModules(prefix: String, seen: inout Set<ObjectIdentifier>, _ body: (String, Module) -> Void) {
        guard seen.insert(ObjectIdentifier(self)).inserted else { return }
        body(prefix, self)
        for (key, member) in directMembers() {
            if case .module(let child) = member {
                child.visitModules(prefix: Module.join(prefix, key), seen: &seen, body)
            }
        }
    }

    /// `prefix.key`, or `key` when the prefix is empty.
    static func join(_ prefix: String, _ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    /// Throws when a loaded tensor's shape differs from the entry's.
    private static func checkShape(_ key: String, expected: [Int], _ tensor: Tensor?) throws {
        guard let tensor, tensor.shape != expected else { return }
        throw MedSynthError(.mismatch, key, "state dict tensor has shape \(tensor.shape), the module expects \(expected)")
    }
}

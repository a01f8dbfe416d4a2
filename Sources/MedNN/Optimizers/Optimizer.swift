import MedCore
import MedTensor

/// What trainers and learning-rate schedules need of any optimizer.
public protocol ParameterOptimizer: AnyObject {
    /// The learning rate the next `step()` uses (schedules set it).
    var learningRate: Float { get set }
    /// Updates every parameter that has a gradient.
    func step()
    /// Forgets the gradients of all parameters.
    func zeroGrad()
    /// The optimizer state as named tensors, for checkpoints.
    func state() -> [String: Tensor]
    /// Restores state saved by `state()`.
    func loadState(_ state: [String: Tensor]) throws
}

/// An optimizer: walks a fixed list of named parameters and applies `rule` to each one that has a gradient,
/// keeping each parameter's state (`Optimizer<Adam>`, `Optimizer<SGD>`).
///
/// ```swift
/// let adam = Optimizer(generator.namedParameters(), learningRate: 2e-4, rule: Adam(beta1: 0.5))
/// let loss = l1Loss(generator(x), y)
/// adam.zeroGrad(); loss.backward(); adam.step()
/// ```
/// One optimizer can drive several networks: pass `a.namedParameters(prefix: "G_A") + b.namedParameters(prefix: "G_B")`.
/// The state is exposed as tensors keyed `<param key>.<state name>` (`model.1.weight.exp_avg`) and
/// `<param key>.step`, so it can be checkpointed with the networks.
public final class Optimizer<Rule: ParameterUpdateRule>: ParameterOptimizer {
    /// The update rule and its hyperparameters.
    public var rule: Rule
    /// The learning rate the next `step()` uses.
    public var learningRate: Float
    /// The parameters updated, with their keys.
    public let parameters: [(key: String, parameter: Parameter)]
    /// Per-parameter state, by parameter key; created at a parameter's first update.
    private var slots: [String: ParameterSlots] = [:]

    /// Creates an optimizer for `parameters`.
    /// - Parameters:
    ///   - parameters: the parameters with distinct keys, usually `module.namedParameters()`.
    ///   - learningRate: the initial learning rate, > 0.
    ///   - rule: the update rule (`Adam(...)`, `SGD(...)`).
    public init(_ parameters: [(key: String, parameter: Parameter)], learningRate: Float, rule: Rule) {
        precondition(Set(parameters.map(\.key)).count == parameters.count,
                     "optimizer parameter keys must be distinct; prefix the keys of different networks")
        precondition(learningRate >= 0, "learning rate \(learningRate) must be ≥ 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.rule = rule
    }

    /// Creates an optimizer for all parameters of `module`.
    public convenience init(_ module: Module, learningRate: Float, rule: Rule) {
        self.init(module.namedParameters(), learningRate: learningRate, rule: rule)
    }

    /// Applies the rule to every parameter with a gradient (parameters without one are skipped and their step
    /// count does not advance, as in PyTorch).
    public func step() {
        let names = rule.stateNames
        for (key, parameter) in parameters {
            guard let grad = parameter.grad else { continue }
            let slot = slots[key] ?? ParameterSlots(names: names, count: parameter.value.count)
            slots[key] = slot
            slot.step += 1
            let buffers = slot.buffers
            parameter.withUnsafeMutableValues { p in
                grad.withUnsafeBufferPointer { g in
                    rule.update(parameter: p, gradient: g, state: buffers, step: slot.step, learningRate: learningRate)
                }
            }
        }
    }

    /// Forgets the gradients of all parameters.
    public func zeroGrad() {
        for (_, p) in parameters { p.zeroGrad() }
    }

    /// The state: for each parameter updated at least once, `<key>.<state name>` (the parameter's shape) and
    /// `<key>.step` (rank 0).
    public func state() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (key, parameter) in parameters {
            guard let slot = slots[key] else { continue }
            result[key + ".step"] = Tensor(scalar: Float(slot.step))
            for (name, buffer) in zip(slot.names, slot.buffers) {
                result[key + "." + name] = Tensor(Array(buffer), shape: parameter.shape)
            }
        }
        return result
    }

    /// Restores the state saved by `state()`; parameters without saved state start fresh.
    /// - Throws: `MedSynthError.mismatch` for keys that belong to no parameter or state name, a parameter with a
    ///   step but missing state tensors, or a tensor whose shape differs from its parameter's. Nothing changes
    ///   when an error is thrown.
    public func loadState(_ state: [String: Tensor]) throws {
        let names = rule.stateNames
        var restored: [String: ParameterSlots] = [:]
        var used: Set<String> = []
        for (key, parameter) in parameters {
            guard let step = state[key + ".step"] else { continue }
            used.insert(key + ".step")
            let slot = ParameterSlots(names: names, count: parameter.value.count)
            slot.step = Int(step.item)
            for (name, buffer) in zip(names, slot.buffers) {
                let k = key + "." + name
                guard let t = state[k] else {
                    throw MedSynthError(.mismatch, k, "optimizer state has a step for '\(key)' but no '\(name)'")
                }
                guard t.shape == parameter.shape else {
                    throw MedSynthError(.mismatch, k, "optimizer state has shape \(t.shape), the parameter \(parameter.shape)")
                }
                t.withUnsafeBufferPointer { _ = buffer.update(fromContentsOf: $0) }
                used.insert(k)
            }
            restored[key] = slot
        }
        let unexpected = state.keys.filter { !used.contains($0) }.sorted()
        guard unexpected.isEmpty else {
            throw MedSynthError(.mismatch, "optimizer state", "unexpected keys \(unexpected)")
        }
        slots = restored
    }
}

/// One parameter's optimizer state: its step count and one zero-initialised buffer per state name.
final class ParameterSlots {
    /// The state names, in the rule's order.
    let names: [String]
    /// The step count.
    var step = 0
    /// One buffer of the parameter's count per name, views into one allocation.
    let buffers: [UnsafeMutableBufferPointer<Float>]
    /// The allocation.
    private let storage: UnsafeMutableBufferPointer<Float>

    /// Zeroed state for a parameter of `count` values.
    init(names: [String], count: Int) {
        self.names = names
        let all = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, names.count * count))
        all.initialize(repeating: 0)
        storage = all
        buffers = (0..<names.count).map { UnsafeMutableBufferPointer(rebasing: all[($0 * count)..<(($0 + 1) * count)]) }
    }

    deinit { storage.deallocate() }
}

import MedCore
import MedTensor

/// One optimizer's state as a checkpoint stores it: which parameters it updates (in its order, which PyTorch's
/// optimizer state is indexed by), its options, and per parameter the step count and state tensors.
///
/// `init(_:)` takes it from a live optimizer; `optimizerState` gives it back in the form
/// `ParameterOptimizer.loadState(_:)` takes (`<key>.step`, `<key>.exp_avg`, …).
public struct SavedOptimizer {
    /// The PyTorch class name of the update rule: `"Adam"`, `"SGD"`, or the Swift type name of another rule.
    public var className: String
    /// PyTorch's param-group options as a JSON object (`{"lr": 0.0002, "betas": [0.5, 0.999], "eps": 1e-08, …}`).
    public var hyperparameters: String
    /// The dotted keys of the parameters the optimizer updates, in its order.
    public var parameterKeys: [String]
    /// The number of updates each parameter with state has taken (parameters never updated are absent).
    public var steps: [String: Int]
    /// The state tensors by `<parameter key>.<state name>` (`model.1.weight.exp_avg`), shaped like the parameter.
    public var tensors: [String: Tensor]

    /// Creates a record from its parts.
    public init(className: String, hyperparameters: String, parameterKeys: [String], steps: [String: Int],
                tensors: [String: Tensor]) {
        self.className = className
        self.hyperparameters = hyperparameters
        self.parameterKeys = parameterKeys
        self.steps = steps
        self.tensors = tensors
    }

    /// The state of a live optimizer. `Optimizer<Adam>` and `Optimizer<SGD>` record PyTorch's class name and
    /// options; any other `ParameterOptimizer` records its type name, its learning rate and, as parameter keys,
    /// those its state mentions (sorted).
    public init(_ optimizer: any ParameterOptimizer) {
        let described = optimizer as? any CheckpointDescribedOptimizer
        var steps: [String: Int] = [:], tensors: [String: Tensor] = [:]
        for (key, value) in optimizer.state() {
            // State names (exp_avg, momentum_buffer, step) have no dots; parameter keys do.
            guard let dot = key.lastIndex(of: ".") else { continue }
            let parameterKey = String(key[..<dot]), name = key[key.index(after: dot)...]
            if name == "step" { steps[parameterKey] = Int(value.item) } else { tensors[key] = value }
        }
        className = described?.checkpointClassName ?? String(describing: type(of: optimizer))
        let options = described?.checkpointOptions ?? [("lr", CheckpointJSON.float(optimizer.learningRate))]
        hyperparameters = CheckpointJSON.object(options).text
        parameterKeys = described?.checkpointParameterKeys ?? Set(steps.keys).sorted()
        self.steps = steps
        self.tensors = tensors
    }

    /// The learning rate recorded in `hyperparameters` (`"lr"`), if any.
    public var learningRate: Float? {
        switch (try? CheckpointJSON.parse(hyperparameters, subject: "", what: ""))?["lr"] {
        case .double(let d)?: return Float(d)
        case .int(let i)?: return Float(i)
        default: return nil
        }
    }

    /// The state as `ParameterOptimizer.state()` gives it: `<key>.step` (rank 0) and the state tensors of every
    /// parameter with a step count.
    public var optimizerState: [String: Tensor] {
        var state = tensors
        for (key, step) in steps { state[key + ".step"] = Tensor(scalar: Float(step)) }
        return state
    }
}

/// What a checkpoint records about an optimizer besides its state (implemented by `Optimizer`).
protocol CheckpointDescribedOptimizer {
    /// The PyTorch class name.
    var checkpointClassName: String { get }
    /// PyTorch's param-group options, `lr` first.
    var checkpointOptions: [(key: String, value: CheckpointJSON)] { get }
    /// The parameter keys in the optimizer's order.
    var checkpointParameterKeys: [String] { get }
    /// The parameters with their keys, to check that they are the saved networks' own.
    var checkpointParameters: [(key: String, parameter: Parameter)] { get }
}

/// What a checkpoint records about an update rule.
protocol CheckpointDescribedRule {
    /// The PyTorch class name.
    static var checkpointClassName: String { get }
    /// PyTorch's param-group options other than `lr`.
    var checkpointOptions: [(key: String, value: CheckpointJSON)] { get }
}

extension Adam: CheckpointDescribedRule {
    static var checkpointClassName: String { "Adam" }
    var checkpointOptions: [(key: String, value: CheckpointJSON)] {
        [("betas", .array([.float(beta1), .float(beta2)])), ("eps", .float(eps)), ("weight_decay", .float(weightDecay)),
         ("amsgrad", .bool(false)), ("maximize", .bool(false))]
    }
}

extension SGD: CheckpointDescribedRule {
    static var checkpointClassName: String { "SGD" }
    var checkpointOptions: [(key: String, value: CheckpointJSON)] {
        [("momentum", .float(momentum)), ("dampening", .float(dampening)), ("weight_decay", .float(weightDecay)),
         ("nesterov", .bool(nesterov)), ("maximize", .bool(false))]
    }
}

extension Optimizer: CheckpointDescribedOptimizer {
    var checkpointClassName: String {
        (rule as? any CheckpointDescribedRule).map { type(of: $0).checkpointClassName } ?? String(describing: Rule.self)
    }

    var checkpointOptions: [(key: String, value: CheckpointJSON)] {
        [("lr", .float(learningRate))] + ((rule as? any CheckpointDescribedRule)?.checkpointOptions ?? [])
    }

    var checkpointParameterKeys: [String] { parameters.map(\.key) }

    var checkpointParameters: [(key: String, parameter: Parameter)] { parameters }
}

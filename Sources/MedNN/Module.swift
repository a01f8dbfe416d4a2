import MedTensor

/// The base class of layers and networks: a tree of modules whose parameters and buffers are found by
/// reflection, PyTorch style.
///
/// A subclass declares its state as stored properties: `Parameter`s, `Buffer`s, child `Module`s, optionals of
/// these, and arrays of them. `namedParameters()`, `namedBuffers()` and `stateDict()` walk the stored properties
/// with `Mirror` in declaration order and join property names with dots, arrays contributing their indices:
/// a `ResnetGenerator` whose `model` is a `Sequential` exposes `model.1.weight`, exactly the key PyTorch gives
/// the same network, so checkpoints can be exchanged. Within one module its own parameters (and buffers) come
/// before those of its children, as in PyTorch's `state_dict()`.
///
/// Property names become keys unchanged unless `stateKeyNames` renames them (Swift's `runningMean` is
/// PyTorch's `running_mean`). Only optionals and arrays are looked into; other structs, enums and tensors that
/// are not wrapped in `Parameter`/`Buffer` are configuration, not state.
///
/// Layers that map one tensor to one tensor also conform to `UnaryLayer` and are called as functions:
/// `let y = conv(x)`.
open class Module {
    /// True in training mode (the default): dropout drops and batch norm uses and updates batch statistics.
    /// Set for a whole tree with `train()` and `eval()`.
    public internal(set) var isTraining = true

    /// Creates a module in training mode.
    public init() {}

    /// Renamings of stored-property names to state-dict key components, e.g. `["runningMean": "running_mean"]`.
    /// Override in subclasses whose PyTorch names are not valid or idiomatic Swift property names.
    open var stateKeyNames: [String: String] { [:] }

    /// The direct members of this module — parameters, buffers and child modules — with their key components,
    /// in declaration order. The default walks the stored properties with `Mirror`; `Sequential` overrides it to
    /// name its layers `0`, `1`, ….
    open func directMembers() -> [(key: String, member: ModuleMember)] {
        var result: [(key: String, member: ModuleMember)] = []
        let renames = stateKeyNames
        // Superclass properties first, so that subclassing keeps the base's declaration order.
        var mirrors: [Mirror] = []
        var current: Mirror? = Mirror(reflecting: self)
        while let m = current {
            mirrors.append(m)
            current = m.superclassMirror
        }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard let label = child.label else { continue }
                let key = renames[label] ?? label
                Module.collect(child.value, key: key, into: &result)
            }
        }
        return result
    }

    /// Adds the members found in one stored value (unwrapping optionals, indexing arrays) to `result`.
    private static func collect(_ value: Any, key: String, into result: inout [(key: String, member: ModuleMember)]) {
        if let member = ModuleMember(value) {
            result.append((key, member))
            return
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { collect(wrapped.value, key: key, into: &result) }
        case .collection:
            // Look into arrays of modules/parameters only: scanning a large [Float] element by element would be
            // slow and finds nothing.
            guard let first = mirror.children.first, isStateLike(first.value) else { return }
            for (index, element) in mirror.children.enumerated() {
                collect(element.value, key: "\(key).\(index)", into: &result)
            }
        default:
            return
        }
    }

    /// True when `value` is (an optional or array of) a parameter, buffer or module.
    private static func isStateLike(_ value: Any) -> Bool {
        if ModuleMember(value) != nil { return true }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional, .collection:
            guard let first = mirror.children.first else { return mirror.displayStyle == .optional }
            return isStateLike(first.value)
        default:
            return false
        }
    }
}

/// One direct member of a module found by reflection.
public enum ModuleMember {
    /// A trainable tensor.
    case parameter(Parameter)
    /// A non-trainable state tensor.
    case buffer(Buffer)
    /// A child module.
    case module(Module)

    /// The member a reflected value is, or nil when it is none of the three.
    init?(_ value: Any) {
        if let p = value as? Parameter { self = .parameter(p) }
        else if let b = value as? Buffer { self = .buffer(b) }
        else if let m = value as? Module { self = .module(m) }
        else { return nil }
    }
}

/// A module that maps one tensor to one tensor; `Sequential` chains them.
public protocol UnaryLayer: Module {
    /// Applies the layer to `x`.
    func callAsFunction(_ x: Tensor) -> Tensor
}

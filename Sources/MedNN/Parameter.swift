import MedTensor

/// A trainable tensor owned by a module: a leaf that collects gradients (PyTorch's `nn.Parameter`).
///
/// Modules hold parameters as stored properties; `Module.namedParameters()` finds them by reflection and names
/// them by the property path (`model.1.weight`). `Parameter` is a class so that optimizers, checkpoints and the
/// module all refer to the same slot: replacing `value` (loading a checkpoint) is seen by every holder.
public final class Parameter {
    /// The leaf tensor itself.
    private var leaf: Tensor

    /// Whether ops on `value` are recorded so that `backward()` computes this parameter's gradient (true).
    /// Set to false to freeze it — as the reference CycleGAN freezes the discriminators while the generators
    /// step — so that backward passes neither compute nor store its gradient (PyTorch's `requires_grad_`).
    public var requiresGrad = true

    /// The values: the leaf that collects gradients, or, while frozen, the same values untracked. Assigning
    /// stores a fresh leaf (the old gradient is dropped); to change the values in place and keep the leaf, use
    /// `withUnsafeMutableValues(_:)`.
    public var value: Tensor {
        get { requiresGrad ? leaf : leaf.detached() }
        set { leaf = newValue.detached().requiringGrad() }
    }

    /// Wraps `value` as a fresh leaf that requires grad.
    public init(_ value: Tensor) {
        leaf = value.detached().requiringGrad()
    }

    /// Calls `body` with write access to the values, keeping the leaf and its gradient (how optimizers step).
    /// The values are copied first if a saved autodiff graph still shares them, so recorded graphs stay valid.
    public func withUnsafeMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try leaf.withUnsafeMutableBufferPointer(body)
    }

    /// The shape of the values.
    public var shape: [Int] { value.shape }

    /// The gradient accumulated by `backward()` since the last `zeroGrad()`, or nil.
    public var grad: Tensor? { leaf.grad }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { leaf.zeroGrad() }
}

/// A non-trainable tensor that is part of a module's state (PyTorch's registered buffer): batch-norm running
/// statistics and the count of batches seen. Saved in state dicts, never touched by optimizers.
public final class Buffer {
    /// The values (never tracked by autodiff).
    public var value: Tensor {
        didSet { if value.requiresGrad { value = value.detached() } }
    }

    /// Wraps `value`, detached from any autodiff graph.
    public init(_ value: Tensor) {
        self.value = value.detached()
    }

    /// The shape of the values.
    public var shape: [Int] { value.shape }
}

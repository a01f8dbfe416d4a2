// Reverse-mode autodiff: how an op is written, and how backward() walks the recorded graph.
//
// Every differentiable op is one function that computes its forward result with a kernel and then, in the
// same place, hands the result to `recorded(_:from:backward:)` together with its backward rule:
//
//     public func exp() -> Tensor {
//         let y = Elementwise.map(self, Exp())                    // forward
//         let ySaved = y.detached()
//         return y.recorded("exp", from: [self]) { g in           // backward: dL/dx = dL/dy · y
//             [Elementwise.zip(g, ySaved, Multiply())]
//         }
//     }
//
// The rule receives dL/d(result) and returns one gradient per input, in the order of `from:`, each with that
// input's shape (`nil` for an input that needs none). What the rule needs from the forward pass is captured
// explicitly; it captures `detached()` copies (which share storage, so saving is free and copy-on-write keeps the
// saved values intact if the caller later writes to the tensor) so that a node never retains itself.
//
// `recorded` attaches a `GradNode` only when grad tracking is on (not inside `withNoGrad`) and at least one input
// requires grad; otherwise the rule is dropped at once and the op costs nothing extra. `backward()` sorts the
// nodes reachable from the scalar loss topologically, runs each rule once with the sum of the gradients that
// reached it, and adds the gradients arriving at leaves to their `grad`. Rules run with tracking off. After
// `backward()` the rules and the values they saved are released unless `retainGraph` is true, as in PyTorch.
//
// Second order (Autodiff+Gradients.swift): an op may also record a *differentiable* rule, written with recorded
// ops and capturing its inputs with their graph, so that `gradients(withRespectTo:createGraph: true)` returns
// gradients that are themselves part of the graph (PyTorch's `create_graph=True`), as the WGAN-GP gradient
// penalty needs. The fast kernel rule stays the one `backward()` uses.
//
// Threads: building graphs on several threads or tasks at once is safe (nodes are immutable once made, and
// the no-grad flag is task-local), but two `backward()` calls that reach the same leaf must not run at the
// same time, since both add to its `grad`. `Tensor` is not `Sendable` for that reason.
import MedCore

/// The autodiff record of one tensor: a leaf (a parameter, with a gradient slot) or the op that produced it.
final class GradNode {
    /// The op's name, for error messages ("leaf" for leaves).
    let opName: String
    /// The nodes of the op's inputs, in the order its backward rule returns gradients; `nil` for inputs that
    /// do not require grad.
    let inputs: [GradNode?]
    /// The shape of the tensor this node belongs to (every gradient flowing into it has this shape).
    let shape: [Int]
    /// dL/d(inputs) from dL/d(output); `nil` for leaves and after the graph was released.
    var backwardRule: ((Tensor) -> [Tensor?])?
    /// dL/d(inputs) computed with recorded ops (differentiable again) from dL/d(output) and which inputs need a
    /// gradient; `nil` for ops without a second-order rule, for leaves and after the graph was released.
    var differentiableRule: ((Tensor, [Bool]) -> [Tensor?])?
    /// The accumulated gradient of a leaf (`nil` until a backward pass reaches it or after `zeroGrad()`).
    var grad: Tensor?
    /// True for tensors made with `requiringGrad()`.
    let isLeaf: Bool

    /// A leaf node for a tensor of `shape`.
    init(leafWithShape shape: [Int]) {
        opName = "leaf"
        inputs = []
        self.shape = shape
        isLeaf = true
    }

    /// An op node.
    init(op: String, inputs: [GradNode?], shape: [Int], backward: @escaping (Tensor) -> [Tensor?],
         differentiable: ((Tensor, [Bool]) -> [Tensor?])? = nil) {
        opName = op
        self.inputs = inputs
        self.shape = shape
        backwardRule = backward
        differentiableRule = differentiable
        isLeaf = false
    }

    /// Drops both rules and what they saved.
    func release() {
        backwardRule = nil
        differentiableRule = nil
    }
}

/// Global switches of the autodiff engine.
public enum Autodiff {
    /// Whether ops record their backward rules in the current task (and, outside tasks, the current thread).
    @TaskLocal static var isTrackingEnabled: Bool = true

    /// True unless the caller is inside `withNoGrad`.
    public static var isGradEnabled: Bool { isTrackingEnabled }
}

/// Runs `body` with grad tracking off: ops inside it record nothing, so their results never require grad.
///
/// The flag is task-local (and thread-local outside Swift tasks), so concurrent tasks do not see each other's
/// scopes; work that `body` hands to other threads (Dispatch, `Parallel`) is not covered by the scope.
/// - Returns: what `body` returns.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try Autodiff.$isTrackingEnabled.withValue(false, operation: body)
}

extension Tensor {
    // MARK: - Public autodiff API

    /// True when this tensor is a leaf that collects gradients or was computed from one while tracking.
    public var requiresGrad: Bool { node != nil }

    /// True when this tensor was made by `requiringGrad()`; false for op results and untracked tensors.
    public var isLeaf: Bool { node?.isLeaf ?? false }

    /// A copy sharing these values that is a fresh leaf: ops on it are recorded and `backward()` fills its
    /// `grad`. Copies of the returned tensor share the same gradient slot.
    public func requiringGrad() -> Tensor {
        var t = self
        t.node = GradNode(leafWithShape: shape)
        return t
    }

    /// A copy sharing these values with no autodiff record: gradients do not flow through it.
    public func detached() -> Tensor {
        var t = self
        t.node = nil
        return t
    }

    /// The gradient accumulated by `backward()` calls since the last `zeroGrad()`; `nil` for tensors that are
    /// not leaves and for leaves no backward pass has reached.
    public var grad: Tensor? { node?.isLeaf == true ? node?.grad : nil }

    /// Forgets the accumulated gradient (`grad` becomes `nil`, like PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() { node?.grad = nil }

    /// Computes dself/dleaf for every leaf this scalar depends on and adds it to the leaf's `grad`.
    ///
    /// - Parameter retainGraph: keep the recorded rules (and the values they saved) so that `backward()` can run
    ///   again on the same graph; by default they are released to free memory.
    /// - Precondition: `self` has one value and requires grad; the graph was not released by an earlier call.
    public func backward(retainGraph: Bool = false) {
        precondition(count == 1, "backward() needs a one-element tensor (a loss), shape is \(shape)")
        guard let root = node else {
            preconditionFailure("backward() on a tensor that does not require grad: no input had requiringGrad()"
                                + " or it was computed inside withNoGrad")
        }
        let order = Tensor.topologicalOrder(from: root)
        withNoGrad {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): Tensor.ones(shape)]
            for current in order {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(current)) else { continue }
                if current.isLeaf {
                    current.grad = current.grad.map { $0 + gradient } ?? gradient
                    continue
                }
                guard let rule = current.backwardRule else {
                    preconditionFailure("backward() through '\(current.opName)' whose graph was already released;"
                                        + " pass retainGraph: true to the earlier backward()")
                }
                let inputGrads = rule(gradient)
                precondition(inputGrads.count == current.inputs.count,
                             "'\(current.opName)' backward returned \(inputGrads.count) gradients for \(current.inputs.count) inputs")
                for (input, inputGrad) in zip(current.inputs, inputGrads) {
                    guard let input, let inputGrad else { continue }
                    precondition(inputGrad.shape == input.shape,
                                 "'\(current.opName)' backward gave a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    pending[key] = pending[key].map { $0 + inputGrad } ?? inputGrad
                }
                if !retainGraph { current.release() }
            }
        }
    }

    // MARK: - Recording (used by every op)

    /// `self` (an op's result) with `backward` recorded as the rule giving the gradients of `inputs`, when
    /// tracking is on and some input requires grad; otherwise `self` untracked.
    ///
    /// `differentiable`, when given, is the same rule written with recorded ops (see `gradients(withRespectTo:
    /// seed:createGraph:)`); it gets dL/d(result) and, per input, whether a gradient is needed.
    func recorded(_ opName: String, from inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?],
                  differentiable: ((Tensor, [Bool]) -> [Tensor?])? = nil) -> Tensor {
        guard Autodiff.isTrackingEnabled, inputs.contains(where: { $0.node != nil }) else { return self }
        var result = self
        result.node = GradNode(op: opName, inputs: inputs.map(\.node), shape: shape, backward: backward,
                               differentiable: differentiable)
        return result
    }

    /// `self` recorded with one rule that serves both as the backward rule and as the differentiable rule: for
    /// ops whose gradients are written with recorded ops anyway (linear ops, the convolution adjoints).
    func recordedDifferentiably(_ opName: String, from inputs: [Tensor],
                                rule: @escaping (Tensor, [Bool]) -> [Tensor?]) -> Tensor {
        let needs = inputs.map(\.requiresGrad)
        return recorded(opName, from: inputs, backward: { g in rule(g, needs) }, differentiable: rule)
    }

    /// Nodes reachable from `root`, each after every node that consumes it (root first).
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        // Iterative depth-first post-order, so deep graphs cannot overflow the stack.
        var postOrder: [GradNode] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        var stack: [(node: GradNode, nextInput: Int)] = [(root, 0)]
        while let (current, next) = stack.last {
            if next < current.inputs.count {
                stack[stack.count - 1].nextInput += 1
                if let input = current.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                stack.removeLast()
                postOrder.append(current)
            }
        }
        return postOrder.reversed()
    }
}

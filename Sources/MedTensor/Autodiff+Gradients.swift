// Gradients returned rather than accumulated, optionally as part of the graph (second order).
//
// `gradients(withRespectTo:seed:createGraph:)` is PyTorch's `torch.autograd.grad`: it walks the same recorded
// graph as `backward()`, but only the nodes that lead to the requested inputs, and hands the gradients back
// instead of adding them to leaves' `grad`. With `createGraph: true` each node's *differentiable* rule runs with
// tracking on, so the returned gradients are recorded functions of the inputs and parameters: a loss built from
// them (the WGAN-GP gradient penalty ‖∇ₓD(x)‖) can be back-propagated again with `backward()`, which then
// follows the ops the rules recorded and, through the values they captured, the first graph.
//
// Ops with a differentiable rule: add, sub, mul, neg, affine (scalar + − ·), sum, sum(axes:), broadcast, reshape,
// relu, leakyRelu, conv2d/conv3d and their adjoints, instance norm and training-mode batch norm (with their fused
// activations). Asking for a graph through any other op stops with a precondition that names it.
//
// The graph is never released here (PyTorch's retain_graph defaults to create_graph; keeping it in the
// first-order case too costs only memory until the tensors are dropped).

extension Tensor {
    /// The gradients of this tensor with respect to `inputs`, returned and not added to any `grad`.
    ///
    /// For a scalar result these are d(self)/d(input); for any other shape, the gradients of Σ seed · self
    /// (PyTorch's `grad_outputs`).
    /// - Parameters:
    ///   - inputs: tensors this one was computed from: leaves or intermediate results.
    ///   - seed: dL/d(self), the shape of `self`; ones when nil.
    ///   - createGraph: record the gradients as ops (so they can be differentiated again), using each op's
    ///     differentiable rule; otherwise they are plain values computed by the fast rules.
    /// - Returns: one gradient per input, with that input's shape; zeros for an input `self` does not depend on.
    /// - Precondition: `self` requires grad; with `createGraph`, every op between `self` and `inputs` has a
    ///   differentiable rule; the graph was not released by an earlier `backward()`.
    public func gradients(withRespectTo inputs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false) -> [Tensor] {
        guard let root = node else {
            preconditionFailure("gradients(withRespectTo:) of a tensor that does not require grad, shape \(shape)")
        }
        let seedValue = seed ?? Tensor.ones(shape)
        precondition(seedValue.shape == shape, "gradients(withRespectTo:) seed of shape \(seedValue.shape) for a result of shape \(shape)")
        let targets = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
        let order = Tensor.topologicalOrder(from: root)
        // The nodes from which some input is reachable; `order` lists consumers first, so walk it backwards.
        var relevant = Set<ObjectIdentifier>()
        for current in order.reversed() {
            let id = ObjectIdentifier(current)
            if targets.contains(id) || current.inputs.contains(where: { $0.map { relevant.contains(ObjectIdentifier($0)) } ?? false }) {
                relevant.insert(id)
            }
        }
        var found: [ObjectIdentifier: Tensor] = [:]
        let walk = {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seedValue]
            for current in order {
                let id = ObjectIdentifier(current)
                guard relevant.contains(id), let gradient = pending.removeValue(forKey: id) else { continue }
                if targets.contains(id) { found[id] = gradient }
                if current.isLeaf { continue }
                let needs = current.inputs.map { $0.map { relevant.contains(ObjectIdentifier($0)) } ?? false }
                guard needs.contains(true) else { continue }
                let inputGrads: [Tensor?]
                if createGraph {
                    guard let rule = current.differentiableRule else {
                        preconditionFailure(current.backwardRule == nil
                            ? "gradients(createGraph: true) through '\(current.opName)' whose graph was already released"
                            : "gradients(createGraph: true) through '\(current.opName)', which has no second-order rule")
                    }
                    inputGrads = rule(gradient, needs)
                } else {
                    guard let rule = current.backwardRule else {
                        preconditionFailure("gradients(withRespectTo:) through '\(current.opName)' whose graph was already released")
                    }
                    inputGrads = rule(gradient)
                }
                precondition(inputGrads.count == current.inputs.count,
                             "'\(current.opName)' backward returned \(inputGrads.count) gradients for \(current.inputs.count) inputs")
                for (i, (input, inputGrad)) in zip(current.inputs, inputGrads).enumerated() {
                    guard needs[i], let input, let inputGrad else { continue }
                    precondition(inputGrad.shape == input.shape,
                                 "'\(current.opName)' backward gave a gradient of shape \(inputGrad.shape) for an input of shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    pending[key] = pending[key].map { $0 + inputGrad } ?? inputGrad
                }
            }
        }
        if createGraph { Autodiff.$isTrackingEnabled.withValue(true, operation: walk) } else { withNoGrad(walk) }
        return inputs.map { input in input.node.flatMap { found[ObjectIdentifier($0)] } ?? Tensor.zeros(input.shape) }
    }
}

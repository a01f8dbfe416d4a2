import MedTestSupport
import Foundation
import MedCore
import MedTensor
import Testing
@testable import MedNN

/// A module with one parameter whose gradient the tests set directly (through a linear loss Σ c·p, dL/dp = c).
private final class One: Module {
    let p: Parameter
    init(_ values: [Float]) { p = Parameter(Tensor(values)) }
    /// Accumulates gradient `c` into p.
    func applyGradient(_ c: [Float]) { (p.value * Tensor(c)).sum().backward() }
}

@Suite struct OptimizerTests {
    @Test func sgdWithMomentumAndWeightDecayTwoSteps() {
        let m = One([1, -2])
        let sgd = Optimizer(m, learningRate: 0.1, rule: SGD(momentum: 0.9, weightDecay: 0.01))
        // Step 1: g = c + 0.01 p; b = g; p −= 0.1 b.
        var p: [Double] = [1, -2], b: [Double] = [0, 0]
        let grads: [[Double]] = [[0.5, 1], [-1, 0.25]]
        for (step, c) in grads.enumerated() {
            sgd.zeroGrad()
            m.applyGradient(c.map(Float.init))
            sgd.step()
            for i in 0..<2 {
                let g = c[i] + 0.01 * p[i]
                b[i] = step == 0 ? g : 0.9 * b[i] + g
                p[i] -= 0.1 * b[i]
            }
            expectClose(m.p.value.scalars, p.map(Float.init), rtol: 1e-6, atol: 1e-7)
        }
        let state = sgd.state()
        #expect(state["p.step"]?.item == 2)
        expectClose(state["p.momentum_buffer"]!.scalars, b.map(Float.init), rtol: 1e-6, atol: 1e-7)
    }

    @Test func nesterovAndPlainSGD() {
        let m = One([1])
        let nesterov = Optimizer(m, learningRate: 0.5, rule: SGD(momentum: 0.5, nesterov: true))
        m.applyGradient([2]); nesterov.step()
        // b = 2, g = 2 + 0.5·2 = 3, p = 1 − 1.5.
        #expect(m.p.value.scalars == [-0.5])
        nesterov.zeroGrad(); m.applyGradient([2]); nesterov.step()
        // b = 0.5·2 + 2 = 3, g = 2 + 1.5 = 3.5, p = −0.5 − 1.75.
        #expect(m.p.value.scalars == [-2.25])
        let plain = One([1])
        let sgd = Optimizer(plain, learningRate: 0.25, rule: SGD())
        #expect(SGD().stateNames.isEmpty)
        plain.applyGradient([4]); sgd.step()
        #expect(plain.p.value.scalars == [0])
        #expect(Array(sgd.state().keys) == ["p.step"] && sgd.state()["p.step"]?.item == 1)
    }

    @Test func adamMatchesTheTorchFormulaForTwoSteps() {
        let m = One([0.5, -1.5, 2])
        let adam = Optimizer(m, learningRate: 2e-2, rule: Adam(beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 0.1))
        var p: [Double] = [0.5, -1.5, 2], m1 = [0.0, 0, 0], v = [0.0, 0, 0]
        let grads: [[Double]] = [[0.3, -0.2, 1], [0.1, 0.4, -2]]
        for (index, c) in grads.enumerated() {
            let t = Double(index + 1)
            adam.zeroGrad()
            m.applyGradient(c.map(Float.init))
            adam.step()
            for i in 0..<3 {
                let g = c[i] + 0.1 * p[i]
                m1[i] = 0.5 * m1[i] + 0.5 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m1[i] / (1 - Foundation.pow(0.5, t)), vHat = v[i] / (1 - Foundation.pow(0.999, t))
                p[i] -= 2e-2 * mHat / (vHat.squareRoot() + 1e-8)
            }
            expectClose(m.p.value.scalars, p.map(Float.init), rtol: 1e-5, atol: 1e-6)
        }
        let state = adam.state()
        #expect(Set(state.keys) == ["p.step", "p.exp_avg", "p.exp_avg_sq"])
        expectClose(state["p.exp_avg"]!.scalars, m1.map(Float.init), rtol: 1e-5, atol: 1e-7)
        expectClose(state["p.exp_avg_sq"]!.scalars, v.map(Float.init), rtol: 1e-4, atol: 1e-9)
    }

    @Test func stateRoundTripResumesIdentically() throws {
        var g = SeededGenerator(seed: 40)
        let net = Linear(inputFeatures: 3, outputFeatures: 2, generator: &g)
        let x = randomTensor([4, 3], seed: 41), y = randomTensor([4, 2], seed: 42)
        let adam = Optimizer(net, learningRate: 1e-2, rule: Adam())
        func step(_ module: Linear, _ optimizer: Optimizer<Adam>) {
            optimizer.zeroGrad(); mseLoss(module(x), y).backward(); optimizer.step()
        }
        for _ in 0..<3 { step(net, adam) }
        // A copy of the network and optimizer restored from state continues exactly like the original.
        let copy = Linear(inputFeatures: 3, outputFeatures: 2, generator: &g)
        try copy.loadStateDict(net.stateDict())
        let restored = Optimizer(copy, learningRate: 1e-2, rule: Adam())
        try restored.loadState(adam.state())
        #expect(restored.state().keys.sorted() == adam.state().keys.sorted())
        step(net, adam); step(copy, restored)
        #expect(copy.weight.value.scalars == net.weight.value.scalars)
        #expect(copy.bias!.value.scalars == net.bias!.value.scalars)
    }

    @Test func loadStateRejectsForeignKeysAndShapes() {
        let m = One([1, 2])
        let adam = Optimizer(m, learningRate: 0.1, rule: Adam())
        #expect(throws: MedSynthError.self) { try adam.loadState(["q.step": Tensor(scalar: 1)]) }
        #expect(throws: MedSynthError.self) {
            try adam.loadState(["p.step": Tensor(scalar: 1), "p.exp_avg": Tensor.zeros([2])])
        }
        #expect(throws: MedSynthError.self) {
            try adam.loadState(["p.step": Tensor(scalar: 1), "p.exp_avg": Tensor.zeros([3]), "p.exp_avg_sq": Tensor.zeros([2])])
        }
        #expect(adam.state().isEmpty)
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let a = One([1]), b = One([1])
        let sgd = Optimizer(a.namedParameters(prefix: "a") + b.namedParameters(prefix: "b"), learningRate: 1, rule: SGD())
        a.applyGradient([1])
        sgd.step()
        #expect(a.p.value.scalars == [0] && b.p.value.scalars == [1])
        #expect(Set(sgd.state().keys) == ["a.p.step"])
    }
}

import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Fused batch norm (+ activation) in training and evaluation mode, and its running statistics.
@Suite struct BatchNormTests {
    static let activations: [FusedActivation] = [.identity, .relu, .leakyRelu(slope: 0.2)]

    @Test(arguments: activations, [[3, 4, 5, 6], [2, 3, 17, 19], [6, 5]])
    func trainingForwardMatchesDefinition(activation: FusedActivation, shape: [Int]) {
        let x = TestData.randn(shape, seed: 140, std: 2) + 0.7
        let c = shape[1], s = shape.dropFirst(2).reduce(1, *)
        let gamma = TestData.randn([c], seed: 141), beta = TestData.randn([c], seed: 142)
        let ref = BatchNormKernel.forwardReference(x.scalars, batch: shape[0], channels: c, spatial: s, gamma: gamma.scalars,
                                                   beta: beta.scalars, eps: 1e-5, activation: activation)
        expectClose(x.batchNorm(weight: gamma, bias: beta, activation: activation).scalars, ref, rtol: 1e-4, atol: 1e-5)
        let plain = BatchNormKernel.forwardReference(x.scalars, batch: shape[0], channels: c, spatial: s, gamma: nil,
                                                     beta: nil, eps: 1e-5, activation: activation)
        expectClose(x.batchNorm(activation: activation).scalars, plain, rtol: 1e-4, atol: 1e-5)
    }

    @Test func runningStatisticsFollowPyTorch() {
        let x = TestData.randn([4, 2, 3, 3], seed: 143, std: 3) + 5
        var stats = BatchNormStatistics(channels: 2)
        _ = x.batchNorm(updating: &stats)
        for c in 0..<2 {
            let values = x.sliced(axis: 1, c..<(c + 1)).scalars.map(Double.init)
            let mean = values.reduce(0, +) / 36
            let unbiased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 35
            #expect(Swift.abs(Double(stats.mean[c]) - 0.1 * mean) < 1e-4)
            #expect(Swift.abs(Double(stats.variance[c]) - (0.9 + 0.1 * unbiased)) < 1e-3)
        }
        // Evaluation uses the running statistics, not the batch's.
        let eval = x.batchNorm(runningStatistics: stats)
        let ref = BatchNormKernel.forwardReference(x.scalars, batch: 4, channels: 2, spatial: 9, gamma: nil, beta: nil,
                                                   eps: 1e-5, activation: .identity,
                                                   statistics: (stats.mean.scalars, stats.variance.scalars))
        expectClose(eval.scalars, ref, rtol: 1e-4, atol: 1e-5)
    }

    @Test(arguments: activations)
    func trainingBackwardMatchesComposedOps(activation: FusedActivation) {
        let x0 = TestData.randn([3, 4, 13, 11], seed: 144, std: 2)
        let g0 = TestData.randn([4], seed: 145), b0 = TestData.randn([4], seed: 146)
        let gy = TestData.randn(x0.shape, seed: 147)
        func grads(_ f: (Tensor, Tensor, Tensor) -> Tensor) -> [[Float]] {
            let (x, g, b) = (x0.requiringGrad(), g0.requiringGrad(), b0.requiringGrad())
            (f(x, g, b) * gy).sum().backward()
            return [x.grad!.scalars, g.grad!.scalars, b.grad!.scalars]
        }
        let fused = grads { $0.batchNorm(weight: $1, bias: $2, activation: activation) }
        let composed = grads { x, g, b in
            let centred = x - x.mean(axes: [0, 2, 3], keepDims: true)
            let variance = (centred * centred).mean(axes: [0, 2, 3], keepDims: true)
            let z = centred / (variance + 1e-5).sqrt() * g.reshaped([1, 4, 1, 1]) + b.reshaped([1, 4, 1, 1])
            switch activation {
            case .identity: return z
            case .relu: return z.relu()
            case .leakyRelu(let slope): return z.leakyRelu(slope: slope)
            }
        }
        for (f, r) in zip(fused, composed) { expectClose(f, r, rtol: 1e-3, atol: 1e-3) }
    }

    @Test(arguments: activations)
    func gradients(activation: FusedActivation) {
        let gamma = TestData.randn([2], seed: 148), beta = TestData.randn([2], seed: 149)
        // As for instance norm: the first seed whose pre-activation values all lie away from the kink at 0.
        let seed = (UInt64(150)..<300).first { s in
            activation == .identity || BatchNormKernel.forwardReference(
                TestData.randn([3, 2, 2, 3], seed: s).scalars, batch: 3, channels: 2, spatial: 6, gamma: gamma.scalars,
                beta: beta.scalars, eps: 1e-5, activation: .identity).allSatisfy { Swift.abs($0) > 0.05 }
        }!
        let x = TestData.randn([3, 2, 2, 3], seed: seed)
        GradCheck.check([x, gamma, beta], eps: 1e-3) { $0[0].batchNorm(weight: $0[1], bias: $0[2], activation: activation) }
        var stats = BatchNormStatistics(channels: 2)
        stats.mean = Tensor([0.3, -0.2])
        stats.variance = Tensor([0.8, 1.7])
        let frozen = stats
        let evalSeed = (UInt64(300)..<450).first { s in
            activation == .identity || BatchNormKernel.forwardReference(
                TestData.randn([3, 2, 2, 3], seed: s).scalars, batch: 3, channels: 2, spatial: 6, gamma: gamma.scalars,
                beta: beta.scalars, eps: 1e-5, activation: .identity,
                statistics: (frozen.mean.scalars, frozen.variance.scalars)).allSatisfy { Swift.abs($0) > 0.05 }
        }!
        GradCheck.check([TestData.randn([3, 2, 2, 3], seed: evalSeed), gamma, beta], eps: 1e-3) {
            $0[0].batchNorm(weight: $0[1], bias: $0[2], runningStatistics: frozen, activation: activation)
        }
    }
}

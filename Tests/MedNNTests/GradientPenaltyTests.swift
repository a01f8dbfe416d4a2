import MedCore
import MedNN
import MedTensor
import MedTestSupport
import Testing

/// MedNN's `GradientPenalty` (WGAN-GP): its value from its definition, its α stream, and — the point of the
/// second-order gradients — that descending it moves a critic's input-gradient norm to the target.
/// (PyTorch agreement: MedNNInteropTests/GradientPenaltyInteropTests.)
@Suite struct GradientPenaltyTests {
    static func critic(seed: UInt64, norm: NormalizationKind = .instance) -> NLayerDiscriminator {
        var g = SeededGenerator(seed: seed)
        return NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 4, layers: 2, norm: norm), generator: &g)
    }

    static func batch(_ seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.uniform([2, 1, 24, 24], lower: -1, upper: 1, using: &g)
    }

    @Test func valueIsTheDefinition() {
        let d = Self.critic(seed: 1)
        let (real, fake) = (Self.batch(2), Self.batch(3))
        let alpha = Tensor([0.25, 0.8], shape: [2, 1, 1, 1])
        let gp = GradientPenalty(weight: 10, targetNorm: 1).penalty({ d($0) }, real: real, fake: fake, alpha: alpha)
        // By hand: the input gradient of each interpolated sample, its norm, then λ · mean (‖g‖ − 1)².
        var expected = 0.0
        for n in 0..<2 {
            let a = alpha.scalars[n]
            let x = (real.sliced(axis: 0, n..<(n + 1)) * a + fake.sliced(axis: 0, n..<(n + 1)) * (1 - a)).requiringGrad()
            d(x).sum().backward()
            let norm = (x.grad!.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
            expected += 10 * (norm - 1) * (norm - 1) / 2
        }
        #expect(abs(Double(gp.item) - expected) <= 1e-5 * expected, "penalty \(gp.item), by hand \(expected)")
    }

    @Test func alphaComesFromTheGivenStream() {
        let d = Self.critic(seed: 1)
        let (real, fake) = (Self.batch(2), Self.batch(3))
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7), g3 = SeededGenerator(seed: 8)
        let a = GradientPenalty()({ d($0) }, real: real, fake: fake, generator: &g1).item
        let b = GradientPenalty()({ d($0) }, real: real, fake: fake, generator: &g2).item
        let c = GradientPenalty()({ d($0) }, real: real, fake: fake, generator: &g3).item
        #expect(a == b && a != c)
        var reference = SeededGenerator(seed: 7)
        _ = Tensor.uniform([2, 1, 1, 1], using: &reference)
        #expect(g1 == reference, "one uniform draw per sample")
    }

    @Test(arguments: [NormalizationKind.instance, .batch])
    func descendingThePenaltyDrivesTheGradientNormToTheTarget(norm: NormalizationKind) {
        // The freshly initialised critic's input-gradient norms are off the target (GP of 1…3 here). Adam on the
        // penalty alone (fixed α, so the objective is fixed) must bring them to it: only the second-order
        // gradient points that way.
        let d = Self.critic(seed: 4, norm: norm)
        let (real, fake) = (Self.batch(5), Self.batch(6))
        let alpha = Tensor([0.3, 0.7], shape: [2, 1, 1, 1])
        let optimizer = Optimizer(d.namedParameters(), learningRate: 2e-3, rule: Adam(beta1: 0.5, beta2: 0.999))
        let penalty = GradientPenalty()
        var values: [Float] = []
        for _ in 0..<40 {
            optimizer.zeroGrad()
            let gp = penalty.penalty({ d($0) }, real: real, fake: fake, alpha: alpha)
            gp.backward()
            optimizer.step()
            values.append(gp.item)
        }
        #expect(values[0] > 0.5, "initial penalty \(values[0])")
        #expect(values.suffix(5).allSatisfy { $0 < 0.05 * values[0] }, "penalty \(values[0]) -> \(values.suffix(5))")
    }
}

import MedCore
import MedTestSupport
import Testing
@testable import MedTensor

/// `gradients(withRespectTo:seed:createGraph:)`: first-order gradients equal `backward()`'s, and with
/// `createGraph` the returned gradients differentiate again — exactly for polynomials, and against finite
/// differences for a small discriminator (convolutions, instance norm, batch norm, LeakyReLU).
@Suite struct SecondOrderGradientTests {
    /// A small critic: conv 4×4/2 + bias → instance norm (γ, β) + LeakyReLU → conv 3×3 → batch norm + LeakyReLU
    /// → leakyRelu(x·2 + 0.1) → conv 3×3 + bias → [N, 1, 4, 4].
    struct Critic {
        var parameters: [Tensor]

        init(seed: UInt64) {
            parameters = [TestData.randn([4, 2, 4, 4], seed: seed, std: 0.3), TestData.randn([4], seed: seed + 1, std: 0.1),
                          TestData.randn([4], seed: seed + 2, std: 0.2) + 1, TestData.randn([4], seed: seed + 3, std: 0.1),
                          TestData.randn([3, 4, 3, 3], seed: seed + 4, std: 0.3),
                          TestData.randn([3], seed: seed + 5, std: 0.2) + 1, TestData.randn([3], seed: seed + 6, std: 0.1),
                          TestData.randn([1, 3, 3, 3], seed: seed + 7, std: 0.3), TestData.randn([1], seed: seed + 8, std: 0.1)]
        }

        func callAsFunction(_ x: Tensor, _ p: [Tensor]) -> Tensor {
            var h = x.conv2d(weight: p[0], bias: p[1], stride: 2, padding: 1)
            h = h.instanceNorm(weight: p[2], bias: p[3], activation: .leakyRelu(slope: 0.2))
            h = h.conv2d(weight: p[4], padding: 1)
            h = h.batchNorm(weight: p[5], bias: p[6], activation: .leakyRelu(slope: 0.2))
            h = (h * 2 + 0.1).leakyRelu(slope: 0.3)
            return h.conv2d(weight: p[7], bias: p[8], padding: 1)
        }
    }

    /// P = Σ c · ∇ₓ(Σ r · D(x)) + Σ (∇ₓ(Σ r · D(x)))²: linear and quadratic in the input gradient.
    static func penalty(_ critic: Critic, _ x: Tensor, _ p: [Tensor], r: Tensor, c: Tensor, createGraph: Bool) -> Tensor {
        let g = critic(x, p).gradients(withRespectTo: [x], seed: r, createGraph: createGraph)[0]
        return (g * c).sum() + (g * g).sum()
    }

    @Test func firstOrderGradientsEqualBackward() {
        let critic = Critic(seed: 10)
        let x = TestData.randn([2, 2, 8, 8], seed: 1).requiringGrad()
        let p = critic.parameters.map { $0.requiringGrad() }
        let y = critic(x, p).sum()
        let returned = y.gradients(withRespectTo: [x] + p)
        y.backward()
        for (tensor, gradient) in zip([x] + p, returned) {
            #expect(tensor.grad!.scalars == gradient.scalars)
        }
        // gradients() adds nothing to `grad`.
        let again = critic(x, p).sum().gradients(withRespectTo: [x])
        #expect(again[0].scalars == x.grad!.scalars)
    }

    @Test func secondOrderOfAPolynomialIsExact() {
        // f = Σ x³ (as x·x·x) + Σ 2x: ∇f = 3x² + 2; h = Σ v · ∇f → ∇h = 6 x v.
        let x = Tensor([1, -2, 0.5, 3]).requiringGrad()
        let v = Tensor([0.5, 1, -2, 0.25])
        let g = (x * x * x + x * 2).sum().gradients(withRespectTo: [x], createGraph: true)[0]
        #expect(g.scalars == x.scalars.map { 3 * $0 * $0 + 2 })
        #expect(g.requiresGrad)
        (g * v).sum().backward()
        #expect(x.grad!.scalars == zip(x.scalars, v.scalars).map { 6 * $0 * $1 })
    }

    @Test func gradientsOfIntermediateResultsAndUnusedInputs() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let unused = Tensor([5, 6]).requiringGrad()
        let h = x * x
        let grads = (h * 3).sum().gradients(withRespectTo: [h, x, unused])
        #expect(grads[0].scalars == [3, 3, 3])
        #expect(grads[1].scalars == [6, 12, 18])
        #expect(grads[2].scalars == [0, 0])
    }

    @Test func secondOrderThroughTheCriticMatchesFiniteDifferences() {
        let critic = Critic(seed: 20)
        let x0 = TestData.randn([2, 2, 8, 8], seed: 2)
        let r = TestData.randn([2, 1, 4, 4], seed: 3)
        let c = TestData.randn([2, 2, 8, 8], seed: 4, std: 0.5)
        let leaves = [x0] + critic.parameters
        let tracked = leaves.map { $0.requiringGrad() }
        let p = Self.penalty(critic, tracked[0], Array(tracked[1...]), r: r, c: c, createGraph: true)
        p.backward()

        // Directional derivatives along random directions, one per tensor, by central differences of P computed
        // with first-order gradients only. The LeakyReLU masks make P piecewise smooth with jumps where a mask
        // flips (one lies 1.5e-3 along the first weight's direction here), so the step stays well below that;
        // P ≈ 126 carries Float rounding of ~2e-5, i.e. ~0.05 in the quotient.
        let eps: Float = 2e-4
        func value(_ tensors: [Tensor]) -> Double {
            let t = tensors.map { $0.requiringGrad() }
            return Double(Self.penalty(critic, t[0], Array(t[1...]), r: r, c: c, createGraph: false).item)
        }
        for (index, leaf) in tracked.enumerated() {
            let direction = TestData.randn(leaf.shape, seed: 100 + UInt64(index))
            // The last bias and the biases feeding a normalisation do not change ∇ₓD: no gradient reaches them.
            let gradient = leaf.grad ?? Tensor.zeros(leaf.shape)
            let analytic = zip(gradient.scalars, direction.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            var plus = leaves, minus = leaves
            plus[index] = leaves[index] + direction * eps
            minus[index] = leaves[index] - direction * eps
            let numeric = (value(plus) - value(minus)) / (2 * Double(eps))
            #expect(abs(analytic - numeric) <= 1e-2 * max(abs(analytic), abs(numeric)) + 0.2,
                    "tensor \(index): analytic \(analytic), numeric \(numeric)")
        }
    }
}

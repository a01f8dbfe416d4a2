import Foundation
import MedTensorTestSupport
import Testing
@testable import MedTensor

/// Binary cross-entropy with logits.
@Suite struct ClassificationLossTests {
    @Test func valuesMatchTheDefinition() {
        let x = Tensor([-3, -0.5, 0, 2, 40, -40], shape: [2, 3]), t = Tensor([0, 1, 0.5, 1, 0, 1], shape: [2, 3])
        // −[t log σ(x) + (1 − t) log(1 − σ(x))] in Double; the extreme logits use the asymptotes |x|·(1 − t or t).
        var expected = 0.0
        for (xi, ti) in zip(x.scalars.map(Double.init), t.scalars.map(Double.init)) {
            let sigma = 1 / (1 + Foundation.exp(-xi))
            let term = Swift.abs(xi) > 30 ? (xi > 0 ? xi * (1 - ti) : -xi * ti)
                                          : -(ti * Foundation.log(sigma) + (1 - ti) * Foundation.log(1 - sigma))
            expected += term
        }
        expected /= 6
        let loss = binaryCrossEntropyWithLogits(x, t)
        #expect(loss.shape == [])
        #expect(Swift.abs(Double(loss.item) - expected) < 1e-5 * expected)
        // At x = 0 the loss is log 2 whatever the target.
        #expect(Swift.abs(binaryCrossEntropyWithLogits(Tensor([0, 0]), Tensor([0, 1])).item - Float(Foundation.log(2.0))) < 1e-6)
    }

    @Test func gradientsForLogitsAndTargets() {
        let x = TestData.randn([3, 4], seed: 300, std: 2)
        let t = TestData.uniform([3, 4], seed: 301, 0, 1)
        GradCheck.check([x, t]) { binaryCrossEntropyWithLogits($0[0], $0[1]) }
    }

    @Test func gradientAtZeroLogitIsSigmoidMinusTarget() {
        let x = Tensor.zeros([4]).requiringGrad(), t = Tensor([0, 1, 0.25, 1])
        binaryCrossEntropyWithLogits(x, t).backward()
        #expect(x.grad!.scalars == t.scalars.map { (0.5 - $0) / 4 })
        #expect(t.grad == nil)
    }
}

import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// MSE and L1 losses.
@Suite struct LossTests {
    @Test func values() {
        let p = Tensor([1, 2, 3, 4], shape: [2, 2]), t = Tensor([0, 2, 5, 3], shape: [2, 2])
        #expect(mseLoss(p, t).item == Float(1 + 0 + 4 + 1) / 4)
        #expect(l1Loss(p, t).item == Float(1 + 0 + 2 + 1) / 4)
        #expect(mseLoss(p, t).shape == [])
    }

    @Test func gradientsForPredictionAndTarget() {
        let p = TestData.randn([2, 3, 4], seed: 100)
        let t = p + TestData.awayFromZero([2, 3, 4], seed: 101)  // |p − t| ≥ 0.1: away from the L1 kink
        GradCheck.check([p, t]) { mseLoss($0[0], $0[1]) }
        GradCheck.check([p, t]) { l1Loss($0[0], $0[1]) }
        GradCheck.check([p]) { 10 * l1Loss($0[0], t) + mseLoss($0[0], Tensor.ones(like: t)) }
    }

    @Test func constantTargetGetsNoGradient() {
        let p = TestData.randn([5], seed: 102).requiringGrad(), t = Tensor.zeros([5])
        mseLoss(p, t).backward()
        #expect(t.grad == nil)
        expectClose(p.grad!.scalars, p.scalars.map { 2 * $0 / 5 }, rtol: 1e-6, atol: 1e-7)
    }
}

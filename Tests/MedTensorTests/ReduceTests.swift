import MedTensorTestSupport
import Testing
@testable import MedTensor

/// Sums and means over all values and over axes.
@Suite struct ReduceTests {
    let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])

    @Test func sumAndMeanValues() {
        #expect(x.sum().item == 276 && x.sum().shape == [])
        #expect(x.mean().item == 11.5)
        let s1 = x.sum(axes: [1])
        #expect(s1.shape == [2, 4] && s1[1, 2] == 14 + 18 + 22)
        let s02 = x.sum(axes: [0, 2], keepDims: true)
        #expect(s02.shape == [1, 3, 1] && s02[0, 1, 0] == (4 + 5 + 6 + 7) + (16 + 17 + 18 + 19))
        #expect(x.sum(axes: [-1]).shape == [2, 3] && x.sum(axes: [-1])[1, 0] == 12 + 13 + 14 + 15)
        #expect(x.sum(axes: [0, 1, 2]).item == 276)
        #expect(x.mean(axes: [1, 2]).scalars == [5.5, 17.5])
    }

    @Test func largeSumIsAccurate() {
        // 2²⁰ values of 0.1: a naive Float accumulator drifts by ~1e-3 relative; blocked Double sums do not.
        let t = Tensor.full([1 << 20], 0.1)
        #expect(Swift.abs(Double(t.sum().item) - 104857.6) < 0.05)
        let rows = Tensor.full([4, 1 << 18], 0.1).sum(axes: [1])
        #expect(rows.scalars.allSatisfy { Swift.abs(Double($0) - 26214.4) < 0.02 })
    }

    @Test func gradients() {
        let r = TestData.randn([2, 3, 4], seed: 30)
        GradCheck.check([r]) { $0[0].sum() }
        GradCheck.check([r]) { $0[0].mean() }
        GradCheck.check([r]) { $0[0].sum(axes: [1]) }
        GradCheck.check([r]) { $0[0].sum(axes: [0, 2], keepDims: true) }
        GradCheck.check([r]) { $0[0].mean(axes: [2]) }
        GradCheck.check([r]) { $0[0].mean(axes: [0, 1], keepDims: true) }
    }
}

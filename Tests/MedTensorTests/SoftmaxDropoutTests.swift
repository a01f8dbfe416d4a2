import MedCore
import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Softmax, log-softmax and dropout.
@Suite struct SoftmaxDropoutTests {
    @Test(arguments: [0, 1, 2, -1])
    func softmaxMatchesDefinition(axis: Int) {
        let x = TestData.randn([3, 4, 5], seed: 170)
        let a = axis < 0 ? axis + 3 : axis
        let g = SoftmaxKernel.Geometry(outer: x.shape[..<a].reduce(1, *), n: x.shape[a], inner: x.shape[(a + 1)...].reduce(1, *))
        expectClose(x.softmax(axis: axis).scalars, SoftmaxKernel.reference(x.scalars, g, log: false), rtol: 1e-5, atol: 1e-6)
        expectClose(x.logSoftmax(axis: axis).scalars, SoftmaxKernel.reference(x.scalars, g, log: true), rtol: 1e-5, atol: 1e-5)
        let sums = x.softmax(axis: axis).sum(axes: [axis]).scalars
        expectClose(sums, [Float](repeating: 1, count: sums.count), rtol: 1e-6, atol: 1e-6)
    }

    @Test func largeInputsDoNotOverflow() {
        let x = Tensor([1000, 1001, 999], shape: [1, 3])
        let s = x.softmax(axis: 1).scalars
        #expect(s.allSatisfy { $0.isFinite } && Swift.abs(s.reduce(0, +) - 1) < 1e-6)
        #expect(x.logSoftmax(axis: 1).scalars.allSatisfy { $0.isFinite })
    }

    @Test func softmaxGradients() {
        let x = TestData.randn([2, 3, 4], seed: 171)
        GradCheck.check([x]) { $0[0].softmax(axis: 1) }
        GradCheck.check([x]) { $0[0].softmax(axis: -1) }
        GradCheck.check([x]) { $0[0].logSoftmax(axis: 0) }
        GradCheck.check([x]) { $0[0].logSoftmax(axis: 2) }
    }

    @Test func dropoutKeepsTheExpectedValueAndIsReproducible() {
        let x = Tensor.ones([100_000])
        var g1 = SeededGenerator(seed: 3), g2 = SeededGenerator(seed: 3)
        let a = x.dropout(probability: 0.3, using: &g1), b = x.dropout(probability: 0.3, using: &g2)
        #expect(a.scalars == b.scalars)
        let values = a.scalars
        #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
        let dropped = Double(values.filter { $0 == 0 }.count) / 100_000
        #expect(Swift.abs(dropped - 0.3) < 0.01)
        #expect(Swift.abs(Double(a.mean().item) - 1) < 0.02)
        #expect(x.dropout(probability: 0, using: &g1).scalars == x.scalars)
        #expect(x.dropout(probability: 1, using: &g1).scalars.allSatisfy { $0 == 0 })
    }

    @Test func dropoutGradientUsesTheSameMask() {
        var g = SeededGenerator(seed: 4)
        let x = TestData.randn([50], seed: 172).requiringGrad()
        let y = x.dropout(probability: 0.5, using: &g)
        y.sum().backward()
        // dL/dx is the mask: 2 where the value was kept, 0 where it was dropped.
        for (gi, (yi, xi)) in zip(x.grad!.scalars, zip(y.scalars, x.scalars)) {
            #expect(gi == (yi == 0 && xi != 0 ? 0 : 2))
        }
    }
}

import Foundation
import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Elementwise ops: values against Double math, gradients against finite differences.
@Suite struct ElementwiseTests {
    let x = TestData.randn([3, 4], seed: 10)
    let y = TestData.randn([3, 4], seed: 11)
    let positive = TestData.uniform([3, 4], seed: 12, 0.5, 2)
    let kinked = TestData.awayFromZero([3, 4], seed: 13)

    /// Checks an op's values against a Double definition.
    func expectValues(_ t: Tensor, _ input: Tensor, _ f: (Double) -> Double,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(t.scalars, input.scalars.map { Float(f(Double($0))) }, rtol: 1e-5, atol: 1e-6,
                    sourceLocation: sourceLocation)
    }

    @Test func unaryValues() {
        expectValues(x.exp(), x, Foundation.exp)
        expectValues(positive.log(), positive, Foundation.log)
        expectValues(positive.sqrt(), positive, Foundation.sqrt)
        expectValues(x.abs(), x, Swift.abs)
        expectValues(-x, x, { -$0 })
        expectValues(x.pow(2), x, { $0 * $0 })
        expectValues(positive.pow(1.5), positive, { Foundation.pow($0, 1.5) })
        expectValues(x.relu(), x, { max($0, 0) })
        expectValues(x.leakyRelu(slope: 0.2), x, { $0 > 0 ? $0 : 0.2 * $0 })
        expectValues(x.tanh(), x, Foundation.tanh)
        expectValues(x.sigmoid(), x, { 1 / (1 + Foundation.exp(-$0)) })
        expectValues(x * 3 + 1, x, { 3 * $0 + 1 })
        expectValues(2 - x / 4, x, { 2 - $0 / 4 })
        expectValues(3 / positive, positive, { 3 / $0 })
    }

    @Test func binaryValues() {
        let (a, b) = (x.scalars, positive.scalars)
        #expect((x + positive).scalars == zip(a, b).map { $0 + $1 })
        #expect((x - positive).scalars == zip(a, b).map { $0 - $1 })
        #expect((x * positive).scalars == zip(a, b).map { $0 * $1 })
        #expect((x / positive).scalars == zip(a, b).map { $0 / $1 })
    }

    @Test func sigmoidSaturatesWithoutNaN() {
        let s = Tensor([-200, 0, 200]).sigmoid().scalars
        #expect(s == [0, 0.5, 1])
    }

    @Test func unaryGradients() {
        GradCheck.check([x]) { -$0[0] }
        GradCheck.check([x]) { $0[0].exp() }
        GradCheck.check([positive], eps: 1e-3) { $0[0].log() }
        GradCheck.check([positive], eps: 1e-3) { $0[0].sqrt() }
        GradCheck.check([kinked]) { $0[0].abs() }
        GradCheck.check([x]) { $0[0].pow(2) }
        GradCheck.check([x]) { $0[0].pow(3) }
        GradCheck.check([positive], eps: 1e-3) { $0[0].pow(-0.5) }
        GradCheck.check([kinked]) { $0[0].relu() }
        GradCheck.check([kinked]) { $0[0].leakyRelu(slope: 0.2) }
        GradCheck.check([x]) { $0[0].tanh() }
        GradCheck.check([x]) { $0[0].sigmoid() }
    }

    @Test func scalarOpGradients() {
        GradCheck.check([x]) { $0[0] + 2 }
        GradCheck.check([x]) { 2 + $0[0] }
        GradCheck.check([x]) { $0[0] - 2 }
        GradCheck.check([x]) { 2 - $0[0] }
        GradCheck.check([x]) { $0[0] * 3 }
        GradCheck.check([x]) { -3 * $0[0] }
        GradCheck.check([x]) { $0[0] / 4 }
        GradCheck.check([positive], eps: 1e-3) { 3 / $0[0] }
    }

    @Test func binaryGradients() {
        GradCheck.check([x, y]) { $0[0] + $0[1] }
        GradCheck.check([x, y]) { $0[0] - $0[1] }
        GradCheck.check([x, y]) { $0[0] * $0[1] }
        GradCheck.check([x, positive], eps: 1e-3) { $0[0] / $0[1] }
    }

    @Test func largeTensorsTakeTheParallelPathWithTheSameValues() {
        let big = TestData.randn([3, 300, 300], seed: 14)
        let small = big.scalars.map { Swift.max($0, 0) * 2 }
        #expect((big.relu() * 2).scalars == small)
        let sum = (big + big).scalars
        #expect(sum == big.scalars.map { $0 + $0 })
    }
}

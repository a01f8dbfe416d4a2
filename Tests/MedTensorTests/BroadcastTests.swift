import MedTensorTestSupport
import Testing
@testable import MedTensor

/// NumPy broadcasting: result shapes, values, and gradients summed back to the operand shapes.
@Suite struct BroadcastTests {
    @Test func broadcastShapes() {
        #expect(Elementwise.broadcastShape([3, 1], [1, 4]) == [3, 4])
        #expect(Elementwise.broadcastShape([2, 3, 4], [4]) == [2, 3, 4])
        #expect(Elementwise.broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(Elementwise.broadcastShape([], [2, 2]) == [2, 2])
        #expect(Elementwise.broadcastShape([1, 64, 1, 1], [2, 64, 8, 8]) == [2, 64, 8, 8])
    }

    @Test func outerSumValues() {
        let col = Tensor([1, 2, 3], shape: [3, 1]), row = Tensor([10, 20, 30, 40], shape: [1, 4])
        let s = col + row
        #expect(s.shape == [3, 4])
        for i in 0..<3 { for j in 0..<4 { #expect(s[i, j] == col[i, 0] + row[0, j]) } }
        #expect((row - col)[2, 1] == 17)
        #expect((Tensor(scalar: 2) * col).scalars == [2, 4, 6])
    }

    @Test func channelBiasValues() {
        let x = TestData.randn([2, 3, 4, 5], seed: 20), b = Tensor([1, 2, 3], shape: [1, 3, 1, 1])
        let y = x + b
        for n in 0..<2 { for c in 0..<3 { for h in 0..<4 { for w in 0..<5 {
            #expect(y[n, c, h, w] == x[n, c, h, w] + b[0, c, 0, 0])
        } } } }
    }

    @Test func middleAxisAndStridedCases() {
        let a = TestData.randn([2, 1, 4], seed: 21), b = TestData.randn([3, 1], seed: 22)
        let y = a * b
        #expect(y.shape == [2, 3, 4])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(y[i, j, k] == a[i, 0, k] * b[j, 0]) } } }
        let big = TestData.randn([2, 64, 40, 40], seed: 23), scale = TestData.randn([64, 1, 1], seed: 24)
        let z = big / scale
        #expect(z[1, 37, 21, 5] == big[1, 37, 21, 5] / scale[37, 0, 0])
    }

    @Test func broadcastToAndItsGradient() {
        let v = Tensor([1, 2, 3], shape: [3, 1])
        let e = v.broadcast(to: [2, 3, 2])
        #expect(e.scalars == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        GradCheck.check([v]) { $0[0].broadcast(to: [2, 3, 2]) }
    }

    @Test func gradientsAreSummedBackToOperandShapes() {
        let x = TestData.randn([2, 3, 4], seed: 25)
        let row = TestData.randn([4], seed: 26), col = TestData.randn([3, 1], seed: 27)
        let scalar = Tensor(scalar: 1.5)
        GradCheck.check([x, row]) { $0[0] + $0[1] }
        GradCheck.check([x, col]) { $0[0] - $0[1] }
        GradCheck.check([col, row]) { $0[0] * $0[1] }
        GradCheck.check([x, scalar]) { $0[0] * $0[1] }
        GradCheck.check([x, TestData.uniform([1, 3, 1], seed: 28, 0.5, 2)], eps: 1e-3) { $0[0] / $0[1] }
        GradCheck.check([TestData.uniform([3, 1], seed: 29, 0.5, 2), row], eps: 1e-3) { $0[1] / $0[0] }
    }
}

import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Max and average pooling against the window definition, and their gradients.
@Suite struct PoolTests {
    /// (kernel, stride, padding) combinations, on a non-square odd input.
    static let cases: [[Int]] = [[2, 2, 0], [3, 2, 1], [3, 1, 1], [4, 3, 2], [5, 2, 2]]

    @Test(arguments: cases)
    func forwardMatchesDefinition(_ c: [Int]) {
        let x = TestData.randn([2, 3, 11, 9], seed: 120)
        let g = PoolGeometry(planes: 6, height: 11, width: 9, kernelH: c[0], kernelW: c[0], strideH: c[1], strideW: c[1],
                             padH: c[2], padW: c[2])
        let m = x.maxPool2d(kernel: c[0], stride: c[1], padding: c[2])
        #expect(m.shape == [2, 3, g.outHeight, g.outWidth])
        #expect(m.scalars == PoolKernel.reference(x.scalars, g, max: true))
        expectClose(x.avgPool2d(kernel: c[0], stride: c[1], padding: c[2]).scalars,
                    PoolKernel.reference(x.scalars, g, max: false), rtol: 1e-5, atol: 1e-6)
        expectClose(x.avgPool2d(kernel: c[0], stride: c[1], padding: c[2], countIncludePad: false).scalars,
                    PoolKernel.reference(x.scalars, g, max: false, countIncludePad: false), rtol: 1e-5, atol: 1e-6)
    }

    @Test func knownValues() {
        let x = Tensor((1...16).map(Float.init), shape: [1, 1, 4, 4])
        #expect(x.maxPool2d(kernel: 2).scalars == [6, 8, 14, 16])
        #expect(x.avgPool2d(kernel: 2).scalars == [3.5, 5.5, 11.5, 13.5])
        // PyTorch: F.avg_pool2d(x, 3, 1, 1)[0, 0, 0, 0] = (1 + 2 + 5 + 6) / 9 with count_include_pad.
        #expect(x.avgPool2d(kernel: 3, stride: 1, padding: 1)[0, 0, 0, 0] == Float(14) / 9)
        #expect(x.avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: false)[0, 0, 0, 0] == Float(14) / 4)
    }

    @Test func maxPoolPropagatesNaN() {
        let x = Tensor([1, .nan, 3, 4], shape: [1, 1, 2, 2])
        #expect(x.maxPool2d(kernel: 2).item.isNaN)
    }

    @Test(arguments: cases)
    func gradients(_ c: [Int]) {
        // Distinct, well-separated values so that the maximum of a window does not change under ±ε.
        let values = (0..<60).map { Float(($0 * 37) % 60) * 0.1 }
        let x = Tensor(values, shape: [1, 2, 5, 6])
        GradCheck.check([x]) { $0[0].maxPool2d(kernel: c[0], stride: c[1], padding: c[2]) }
        GradCheck.check([TestData.randn([1, 2, 5, 6], seed: 121)]) { $0[0].avgPool2d(kernel: c[0], stride: c[1], padding: c[2]) }
        GradCheck.check([TestData.randn([1, 2, 5, 6], seed: 122)]) {
            $0[0].avgPool2d(kernel: c[0], stride: c[1], padding: c[2], countIncludePad: false)
        }
    }
}

/// 3-D pooling against the window definition, and its gradients.
@Suite struct Pool3dTests {
    @Test(arguments: [[2, 2, 0], [3, 2, 1], [3, 1, 1]])
    func forwardMatchesDefinitionAndGradients(_ c: [Int]) {
        let x = TestData.randn([2, 2, 5, 6, 7], seed: 125)
        let g = PoolGeometry(planes: 4, depth: 5, height: 6, width: 7, kernelD: c[0], kernelH: c[0], kernelW: c[0],
                             strideD: c[1], strideH: c[1], strideW: c[1], padD: c[2], padH: c[2], padW: c[2])
        let m = x.maxPool3d(kernel: c[0], stride: c[1], padding: c[2])
        #expect(m.shape == [2, 2, g.outDepth, g.outHeight, g.outWidth])
        #expect(m.scalars == PoolKernel.reference(x.scalars, g, max: true))
        expectClose(x.avgPool3d(kernel: c[0], stride: c[1], padding: c[2]).scalars,
                    PoolKernel.reference(x.scalars, g, max: false), rtol: 1e-5, atol: 1e-6)
        expectClose(x.avgPool3d(kernel: c[0], stride: c[1], padding: c[2], countIncludePad: false).scalars,
                    PoolKernel.reference(x.scalars, g, max: false, countIncludePad: false), rtol: 1e-5, atol: 1e-6)
        let distinct = Tensor((0..<72).map { Float(($0 * 29) % 72) * 0.1 }, shape: [1, 2, 3, 4, 3])
        GradCheck.check([distinct]) { $0[0].maxPool3d(kernel: c[0], stride: c[1], padding: c[2]) }
        GradCheck.check([TestData.randn([1, 2, 3, 4, 3], seed: 126)]) { $0[0].avgPool3d(kernel: c[0], stride: c[1], padding: c[2]) }
    }
}

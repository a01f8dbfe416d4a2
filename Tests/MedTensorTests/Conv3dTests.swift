import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// conv3d and convTranspose3d against the direct loops, and their gradients.
@Suite struct Conv3dTests {
    /// x [n, c, d, h, w], k output channels, cubic kernel, stride, padding.
    static let cases: [[Int]] = [
        [1, 2, 5, 6, 7, 3, 3, 1, 1],
        [2, 3, 7, 5, 6, 2, 3, 2, 1],
        [1, 2, 6, 5, 4, 3, 2, 2, 0],
        [1, 4, 3, 4, 5, 2, 1, 1, 0],  // 1×1×1: no im2col
    ]

    @Test(arguments: cases)
    func forwardAndBackwardMatchDirectLoops(_ c: [Int]) {
        let (n, ch, k, kernel, stride, padding) = (c[0], c[1], c[5], c[6], c[7], c[8])
        let x = TestData.randn([n, ch, c[2], c[3], c[4]], seed: 180).requiringGrad()
        let w = TestData.randn([k, ch, kernel, kernel, kernel], seed: 181).requiringGrad()
        let b = TestData.randn([k], seed: 182).requiringGrad()
        let g = ConvGeometry(channels: ch, depth: c[2], height: c[3], width: c[4], kernelD: kernel, kernelH: kernel,
                             kernelW: kernel, strideD: stride, strideH: stride, strideW: stride,
                             padD: padding, padH: padding, padW: padding)
        let y = x.conv3d(weight: w, bias: b, stride: stride, padding: padding)
        #expect(y.shape == [n, k, g.outDepth, g.outHeight, g.outWidth])
        expectClose(y.scalars, ConvKernel.forwardReference(x.scalars, batch: n, g, weight: w.scalars, outChannels: k,
                                                           bias: b.scalars))
        let gy = TestData.randn(y.shape, seed: 183)
        (y * gy).sum().backward()
        expectClose(x.grad!.scalars, ConvKernel.backwardDataReference(gy.scalars, batch: n, g, weight: w.scalars, outChannels: k))
        expectClose(w.grad!.scalars, ConvKernel.backwardWeightReference(x.scalars, gy.scalars, batch: n, g, outChannels: k),
                    rtol: 1e-4, atol: 1e-3)
        expectClose(b.grad!.scalars, gy.sum(axes: [0, 2, 3, 4]).scalars, rtol: 1e-5, atol: 1e-5)
    }

    @Test(arguments: [[3, 2, 1, 1], [4, 2, 1, 0], [3, 1, 1, 0]])
    func transposedForwardMatchesScatterDefinition(_ c: [Int]) {
        let (kernel, stride, padding, outputPadding) = (c[0], c[1], c[2], c[3])
        let x = TestData.randn([2, 3, 3, 4, 2], seed: 184)
        let w = TestData.randn([3, 2, kernel, kernel, kernel], seed: 185), b = TestData.randn([2], seed: 186)
        let y = x.convTranspose3d(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding)
        #expect(y.shape == [2, 2] + [3, 4, 2].map { ($0 - 1) * stride - 2 * padding + kernel + outputPadding })
        expectClose(y.scalars, ConvKernel.transposedReference(x.scalars, batch: 2, inChannels: 3, inputSize: [3, 4, 2],
                                                              weight: w.scalars, outChannels: 2,
                                                              kernel: [kernel, kernel, kernel], stride: stride,
                                                              padding: padding, outputPadding: outputPadding,
                                                              bias: b.scalars))
    }

    @Test func gradients() {
        let x = TestData.randn([1, 2, 3, 4, 3], seed: 187)
        GradCheck.check([x, TestData.randn([2, 2, 3, 3, 3], seed: 188, std: 0.5), TestData.randn([2], seed: 189)]) {
            $0[0].conv3d(weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        GradCheck.check([x, TestData.randn([2, 3, 3, 3, 3], seed: 190, std: 0.5), TestData.randn([3], seed: 191)]) {
            $0[0].convTranspose3d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }
    }
}

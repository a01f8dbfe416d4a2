import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// conv2d and convTranspose2d: the im2col + sgemm kernels against direct loops, and their gradients.
@Suite struct ConvTests {
    /// One convolution case: input [n, c, h, w], k output channels, square kernel, stride, padding.
    struct Case: CustomTestStringConvertible, Sendable {
        let n: Int, c: Int, h: Int, w: Int, k: Int, kernel: Int, stride: Int, padding: Int
        var testDescription: String { "x[\(n),\(c),\(h),\(w)] k\(kernel) s\(stride) p\(padding) → \(k)" }
        var geometry: ConvGeometry {
            ConvGeometry(channels: c, height: h, width: w, kernelH: kernel, kernelW: kernel,
                         strideH: stride, strideW: stride, padH: padding, padW: padding)
        }
    }

    static let cases: [Case] = [
        Case(n: 2, c: 3, h: 9, w: 7, k: 4, kernel: 3, stride: 1, padding: 1),
        Case(n: 1, c: 4, h: 10, w: 11, k: 5, kernel: 3, stride: 2, padding: 1),  // downsampling
        Case(n: 1, c: 2, h: 13, w: 9, k: 3, kernel: 7, stride: 1, padding: 3),   // generator stem
        Case(n: 2, c: 3, h: 12, w: 10, k: 2, kernel: 4, stride: 2, padding: 1),  // PatchGAN
        Case(n: 1, c: 2, h: 9, w: 9, k: 1, kernel: 4, stride: 1, padding: 1),    // PatchGAN head
        Case(n: 2, c: 5, h: 6, w: 7, k: 3, kernel: 1, stride: 1, padding: 0),    // 1×1: no im2col
        Case(n: 1, c: 3, h: 11, w: 8, k: 2, kernel: 5, stride: 3, padding: 2),
        Case(n: 1, c: 2, h: 5, w: 6, k: 3, kernel: 3, stride: 1, padding: 0),
    ]

    @Test(arguments: cases)
    func forwardMatchesDirectLoops(_ tc: Case) {
        let x = TestData.randn([tc.n, tc.c, tc.h, tc.w], seed: 50)
        let w = TestData.randn([tc.k, tc.c, tc.kernel, tc.kernel], seed: 51)
        let b = TestData.randn([tc.k], seed: 52)
        let g = tc.geometry
        let y = x.conv2d(weight: w, bias: b, stride: tc.stride, padding: tc.padding)
        #expect(y.shape == [tc.n, tc.k, g.outHeight, g.outWidth])
        expectClose(y.scalars, ConvKernel.forwardReference(x.scalars, batch: tc.n, g, weight: w.scalars,
                                                             outChannels: tc.k, bias: b.scalars))
        let noBias = x.conv2d(weight: w, stride: tc.stride, padding: tc.padding)
        expectClose(noBias.scalars, ConvKernel.forwardReference(x.scalars, batch: tc.n, g, weight: w.scalars,
                                                                  outChannels: tc.k, bias: []))
    }

    @Test(arguments: cases)
    func backwardMatchesDirectLoops(_ tc: Case) {
        let x = TestData.randn([tc.n, tc.c, tc.h, tc.w], seed: 53).requiringGrad()
        let w = TestData.randn([tc.k, tc.c, tc.kernel, tc.kernel], seed: 54).requiringGrad()
        let b = TestData.randn([tc.k], seed: 55).requiringGrad()
        let y = x.conv2d(weight: w, bias: b, stride: tc.stride, padding: tc.padding)
        let gy = TestData.randn(y.shape, seed: 56)
        (y * gy).sum().backward()
        let g = tc.geometry
        expectClose(x.grad!.scalars, ConvKernel.backwardDataReference(gy.scalars, batch: tc.n, g, weight: w.scalars,
                                                                       outChannels: tc.k))
        expectClose(w.grad!.scalars, ConvKernel.backwardWeightReference(x.scalars, gy.scalars, batch: tc.n, g,
                                                                         outChannels: tc.k), rtol: 1e-4, atol: 1e-3)
        let biasRef = (0..<tc.k).map { o in
            (0..<tc.n).flatMap { n in gy.sliced(axis: 0, n..<(n + 1)).sliced(axis: 1, o..<(o + 1)).scalars }
                .reduce(0, +)
        }
        expectClose(b.grad!.scalars, biasRef, rtol: 1e-4, atol: 1e-4)
    }

    /// The column matrix built in tiles of window-grid rows (here 1, 2 and 3 rows per tile, and a 3-D grid
    /// whose tiles cross depth slices) gives the same results as the direct loops.
    @Test(arguments: [1, 2, 3])
    func tiledKernelsMatchDirectLoops(_ rowsPerTile: Int) {
        let geometries = [
            (n: 2, k: 3, g: ConvGeometry(channels: 3, height: 9, width: 7, kernelH: 3, kernelW: 3,
                                         strideH: 1, strideW: 1, padH: 1, padW: 1)),
            (n: 1, k: 2, g: ConvGeometry(channels: 2, height: 11, width: 8, kernelH: 5, kernelW: 5,
                                         strideH: 2, strideW: 2, padH: 2, padW: 2)),
            (n: 1, k: 2, g: ConvGeometry(channels: 2, depth: 5, height: 4, width: 6, kernelD: 3, kernelH: 3, kernelW: 3,
                                         strideD: 1, strideH: 1, strideW: 1, padD: 1, padH: 1, padW: 1)),
        ]
        for (n, k, g) in geometries {
            let budget = rowsPerTile * g.columnRows * g.outWidth
            #expect(ConvKernel.tileRows(g, budget: budget) == min(rowsPerTile, Im2col.gridRows(g)))
            let x = TestData.randn([n * g.imageSize], seed: 60).scalars
            let w = TestData.randn([k * g.columnRows], seed: 61).scalars
            let b = TestData.randn([k], seed: 62).scalars
            let gy = TestData.randn([n * k * g.columnCount], seed: 63).scalars
            var y = [Float](repeating: .nan, count: n * k * g.columnCount)
            var gx = [Float](repeating: .nan, count: n * g.imageSize)
            var gw = [Float](repeating: .nan, count: k * g.columnRows)
            ConvKernel.forward(x, batch: n, g, weight: w, outChannels: k, bias: b, &y, tileBudget: budget)
            ConvKernel.backwardData(gy, batch: n, g, weight: w, outChannels: k, &gx, tileBudget: budget)
            ConvKernel.backwardWeight(x, gy, batch: n, g, outChannels: k, &gw, tileBudget: budget)
            expectClose(y, ConvKernel.forwardReference(x, batch: n, g, weight: w, outChannels: k, bias: b))
            expectClose(gx, ConvKernel.backwardDataReference(gy, batch: n, g, weight: w, outChannels: k))
            expectClose(gw, ConvKernel.backwardWeightReference(x, gy, batch: n, g, outChannels: k), rtol: 1e-4, atol: 1e-3)
        }
    }

    @Test func conv2dGradients() {
        let x = TestData.randn([2, 2, 5, 6], seed: 57)
        let w = TestData.randn([3, 2, 3, 3], seed: 58, std: 0.5), b = TestData.randn([3], seed: 59)
        GradCheck.check([x, w, b]) { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 1, padding: 1) }
        GradCheck.check([x, w]) { $0[0].conv2d(weight: $0[1], stride: 2, padding: 1) }
        GradCheck.check([x, TestData.randn([2, 2, 1, 1], seed: 60)]) { $0[0].conv2d(weight: $0[1]) }
    }

    /// A transposed-convolution case: input [n, cin, h, w] -> cout channels.
    struct TransposedCase: CustomTestStringConvertible, Sendable {
        let n: Int, cin: Int, h: Int, w: Int, cout: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int
        var testDescription: String { "x[\(n),\(cin),\(h),\(w)] k\(kernel) s\(stride) p\(padding) op\(outputPadding) → \(cout)" }
    }

    static let transposedCases: [TransposedCase] = [
        TransposedCase(n: 1, cin: 4, h: 5, w: 6, cout: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1),  // generator
        TransposedCase(n: 2, cin: 3, h: 4, w: 7, cout: 2, kernel: 4, stride: 2, padding: 1, outputPadding: 0),
        TransposedCase(n: 1, cin: 2, h: 6, w: 5, cout: 3, kernel: 3, stride: 1, padding: 1, outputPadding: 0),
        TransposedCase(n: 1, cin: 3, h: 4, w: 3, cout: 2, kernel: 5, stride: 3, padding: 2, outputPadding: 2),
        TransposedCase(n: 2, cin: 2, h: 3, w: 4, cout: 4, kernel: 1, stride: 1, padding: 0, outputPadding: 0),
    ]

    @Test(arguments: transposedCases)
    func transposedForwardMatchesScatterDefinition(_ tc: TransposedCase) {
        let x = TestData.randn([tc.n, tc.cin, tc.h, tc.w], seed: 61)
        let w = TestData.randn([tc.cin, tc.cout, tc.kernel, tc.kernel], seed: 62)
        let b = TestData.randn([tc.cout], seed: 63)
        let y = x.convTranspose2d(weight: w, bias: b, stride: tc.stride, padding: tc.padding, outputPadding: tc.outputPadding)
        let oh = (tc.h - 1) * tc.stride - 2 * tc.padding + tc.kernel + tc.outputPadding
        let ow = (tc.w - 1) * tc.stride - 2 * tc.padding + tc.kernel + tc.outputPadding
        #expect(y.shape == [tc.n, tc.cout, oh, ow])
        let ref = ConvKernel.transposedReference(x.scalars, batch: tc.n, inChannels: tc.cin, inputSize: [tc.h, tc.w],
                                                 weight: w.scalars, outChannels: tc.cout, kernel: [tc.kernel, tc.kernel],
                                                 stride: tc.stride, padding: tc.padding,
                                                 outputPadding: tc.outputPadding, bias: b.scalars)
        expectClose(y.scalars, ref)
    }

    @Test func transposedIsTheAdjointOfConv() {
        // <conv(x), u> = <x, convT(u)> for the same weight, stride and padding.
        // Sizes where the strided windows cover the whole input ((9 + 2 − 3) and (7 + 2 − 3) divide by 2).
        let x = TestData.randn([1, 3, 9, 7], seed: 64), w = TestData.randn([4, 3, 3, 3], seed: 65)
        let cx = x.conv2d(weight: w, stride: 2, padding: 1)
        let u = TestData.randn(cx.shape, seed: 66)
        let ctu = u.convTranspose2d(weight: w, stride: 2, padding: 1, outputPadding: 0)
        #expect(ctu.shape == x.shape)
        let lhs = zip(cx.scalars, u.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x.scalars, ctu.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(Swift.abs(lhs - rhs) < 1e-3 * max(1, Swift.abs(lhs)))
    }

    @Test func transposedGradients() {
        let x = TestData.randn([2, 2, 3, 4], seed: 67)
        let w = TestData.randn([2, 3, 3, 3], seed: 68, std: 0.5), b = TestData.randn([3], seed: 69)
        GradCheck.check([x, w, b]) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }
        GradCheck.check([x, w]) { $0[0].convTranspose2d(weight: $0[1], stride: 1, padding: 1) }
        GradCheck.check([x, TestData.randn([2, 1, 4, 4], seed: 70)]) {
            $0[0].convTranspose2d(weight: $0[1], stride: 2, padding: 1)
        }
    }

    @Test func largeChannelCountsUseTheParallelIm2colPath() {
        let x = TestData.randn([1, 16, 40, 36], seed: 71), w = TestData.randn([8, 16, 3, 3], seed: 72)
        let g = ConvGeometry(channels: 16, height: 40, width: 36, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1)
        expectClose(x.conv2d(weight: w, padding: 1).scalars,
                    ConvKernel.forwardReference(x.scalars, batch: 1, g, weight: w.scalars, outChannels: 8, bias: []),
                    rtol: 1e-4, atol: 1e-3)
    }
}

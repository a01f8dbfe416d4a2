import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Nearest and bilinear resizing: PyTorch's values, the per-pixel definition, and gradients.
@Suite struct ResizeTests {
    let square = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])

    @Test func nearestUpsamplingRepeatsPixels() {
        #expect(square.resizedNearest(height: 4, width: 4).scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // F.interpolate(torch.arange(1., 7.).view(1, 1, 1, 6), size=(1, 4), mode="nearest") → 1, 2, 4, 5
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [1, 1, 1, 6]).resizedNearest(height: 1, width: 4).scalars == [1, 2, 4, 5])
    }

    @Test func bilinearMatchesPyTorch() {
        // F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        let expected: [Float] = [1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0]
        expectClose(square.resizedBilinear(height: 4, width: 4).scalars, expected, rtol: 1e-6, atol: 1e-6)
        // align_corners=True
        let aligned: [Float] = [1, 4 / 3, 5 / 3, 2, 5 / 3, 2, 7 / 3, 8 / 3, 7 / 3, 8 / 3, 3, 10 / 3, 3, 10 / 3, 11 / 3, 4]
        expectClose(square.resizedBilinear(height: 4, width: 4, alignCorners: true).scalars, aligned, rtol: 1e-6, atol: 1e-6)
    }

    @Test(arguments: [(7, 10), (3, 4), (12, 5), (5, 9)], [false, true])
    func bilinearMatchesDefinition(size: (Int, Int), alignCorners: Bool) {
        let x = TestData.randn([2, 2, 5, 7], seed: 130)
        let g = ResizeKernel.Geometry(planes: 4, height: 5, width: 7, outHeight: size.0, outWidth: size.1)
        expectClose(x.resizedBilinear(height: size.0, width: size.1, alignCorners: alignCorners).scalars,
                    ResizeKernel.linearReference(x.scalars, g, alignCorners: alignCorners), rtol: 1e-5, atol: 1e-5)
    }

    @Test func gradients() {
        let x = TestData.randn([1, 2, 3, 4], seed: 131)
        GradCheck.check([x]) { $0[0].resizedNearest(height: 6, width: 8) }
        GradCheck.check([x]) { $0[0].resizedNearest(height: 2, width: 7) }
        GradCheck.check([x]) { $0[0].resizedBilinear(height: 7, width: 9) }
        GradCheck.check([x]) { $0[0].resizedBilinear(height: 5, width: 3, alignCorners: true) }
    }
}

/// Nearest and trilinear resizing of volumes.
@Suite struct Resize3dTests {
    @Test(arguments: [[6, 8, 10], [2, 3, 4], [5, 7, 3]], [false, true])
    func trilinearMatchesDefinition(size: [Int], alignCorners: Bool) {
        let x = TestData.randn([1, 2, 3, 4, 5], seed: 132)
        let g = ResizeKernel.Geometry(planes: 2, depth: 3, height: 4, width: 5, outDepth: size[0], outHeight: size[1],
                                      outWidth: size[2])
        let y = x.resizedTrilinear(depth: size[0], height: size[1], width: size[2], alignCorners: alignCorners)
        #expect(y.shape == [1, 2] + size)
        expectClose(y.scalars, ResizeKernel.linearReference(x.scalars, g, alignCorners: alignCorners), rtol: 1e-5, atol: 1e-5)
    }

    @Test func nearestVolumeRepeatsVoxels() {
        let x = TestData.randn([1, 1, 2, 3, 2], seed: 133)
        let y = x.resizedNearest(depth: 4, height: 6, width: 2)
        for s in 0..<4 { for r in 0..<6 { for q in 0..<2 { #expect(y[0, 0, s, r, q] == x[0, 0, s / 2, r / 2, q]) } } }
    }

    @Test func gradients() {
        let x = TestData.randn([1, 2, 2, 3, 3], seed: 134)
        GradCheck.check([x]) { $0[0].resizedTrilinear(depth: 4, height: 5, width: 4) }
        GradCheck.check([x]) { $0[0].resizedTrilinear(depth: 3, height: 2, width: 5, alignCorners: true) }
        GradCheck.check([x]) { $0[0].resizedNearest(depth: 3, height: 6, width: 2) }
    }
}

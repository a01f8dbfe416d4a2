import MedTensorTestSupport
import Testing
@testable import MedTensor

/// Reshape, permute, slice, concatenate and pad: values and gradients.
@Suite struct TensorShapeTests {
    @Test func reshapeInfersOneDimension() {
        let t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        #expect(t.reshaped([4, -1]).shape == [4, 6])
        #expect(t.reshaped([-1]).scalars == t.scalars)
    }

    @Test func permuteMatchesIndexDefinition() {
        let t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = t.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        for i in 0..<4 { for j in 0..<2 { for k in 0..<3 { #expect(p[i, j, k] == t[j, k, i]) } } }
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).transposed().scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func sliceAndConcatenate() {
        let t = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let s = t.sliced(axis: 1, 1..<3)
        #expect(s.shape == [2, 2, 4])
        #expect(s[1, 0, 2] == t[1, 1, 2] && s[0, 1, 3] == t[0, 2, 3])
        let joined = Tensor.concatenate([t.sliced(axis: 1, 0..<1), s], axis: 1)
        #expect(joined.scalars == t.scalars)
        let last = Tensor.concatenate([t, t], axis: -1)
        #expect(last.shape == [2, 3, 8] && last[1, 2, 5] == t[1, 2, 1])
    }

    @Test func padModesMatchPyTorch() {
        // torch.nn.functional.pad(torch.tensor([[[[1., 2., 3.]]]]), (2, 2, 0, 0), mode=…)
        let row = Tensor([1, 2, 3], shape: [1, 1, 1, 3])
        #expect(row.padded(top: 0, bottom: 0, left: 2, right: 2, mode: .reflect).scalars == [3, 2, 1, 2, 3, 2, 1])
        #expect(row.padded(top: 0, bottom: 0, left: 2, right: 2, mode: .replicate).scalars == [1, 1, 1, 2, 3, 3, 3])
        #expect(row.padded(top: 0, bottom: 0, left: 2, right: 2, mode: .zero).scalars == [0, 0, 1, 2, 3, 0, 0])
        let image = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        #expect(image.padded(1, mode: .reflect).scalars == [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1])
    }

    @Test(arguments: PaddingMode.allCases)
    func padMatchesReference(mode: PaddingMode) {
        let x = TestData.randn([2, 3, 5, 7], seed: 1)
        let (top, bottom, left, right) = (3, 1, 2, 4)
        let y = x.padded(top: top, bottom: bottom, left: left, right: right, mode: mode)
        #expect(y.shape == [2, 3, 9, 13])
        let g = PadKernel.Geometry(planes: 6, height: 5, width: 7, top: top, bottom: bottom, left: left, right: right, mode: mode)
        #expect(y.scalars == PadKernel.forwardReference(x.scalars, g))
    }

    @Test(arguments: PaddingMode.allCases)
    func padGradient(mode: PaddingMode) {
        GradCheck.check([TestData.randn([1, 2, 4, 5], seed: 2)]) { $0[0].padded(top: 2, bottom: 1, left: 3, right: 2, mode: mode) }
    }

    @Test(arguments: PaddingMode.allCases)
    func volumePadMatchesDefinition(mode: PaddingMode) {
        let (d, h, w) = (4, 5, 3)
        let x = TestData.randn([2, 1, d, h, w], seed: 5)
        let (front, back, top, bottom, left, right) = (2, 1, 3, 0, 1, 2)
        let y = x.padded(front: front, back: back, top: top, bottom: bottom, left: left, right: right, mode: mode)
        #expect(y.shape == [2, 1, d + 3, h + 3, w + 3])
        for n in 0..<2 { for z in 0..<(d + 3) { for r in 0..<(h + 3) { for q in 0..<(w + 3) {
            let sz = PadKernel.sourceIndex(z, before: front, extent: d, mode: mode)
            let sr = PadKernel.sourceIndex(r, before: top, extent: h, mode: mode)
            let sq = PadKernel.sourceIndex(q, before: left, extent: w, mode: mode)
            let expected = sz < 0 || sr < 0 || sq < 0 ? 0 : x[n, 0, sz, sr, sq]
            #expect(y[n, 0, z, r, q] == expected)
        } } } }
        GradCheck.check([TestData.randn([1, 2, 3, 3, 4], seed: 6)]) {
            $0[0].padded(front: 1, back: 2, top: 2, bottom: 1, left: 0, right: 2, mode: mode)
        }
        #expect(x.padded3d(1, mode: mode).shape == [2, 1, d + 2, h + 2, w + 2])
    }

    @Test func shapeOpGradients() {
        let x = TestData.randn([2, 3, 4], seed: 3)
        GradCheck.check([x]) { $0[0].reshaped([4, 6]) }
        GradCheck.check([x]) { $0[0].permuted([1, 2, 0]) }
        GradCheck.check([x]) { $0[0].sliced(axis: 2, 1..<3) }
        GradCheck.check([x, TestData.randn([2, 1, 4], seed: 4)]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1) }
    }
}

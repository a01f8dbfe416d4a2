import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// Matrix products through sgemm against the Double triple loop.
@Suite struct MatmulTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesReference(transA: Bool, transB: Bool) {
        let (m, n, k) = (13, 7, 19)
        let a = TestData.randn([m * k], seed: 40).scalars, b = TestData.randn([k * n], seed: 41).scalars
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            Gemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: transA ? m : k,
                       b: bp.baseAddress!, ldb: transB ? k : n, c: cp.baseAddress!, ldc: n)
        } } }
        expectClose(c, Gemm.reference(transA: transA, transB: transB, m: m, n: n, k: k, a: a, b: b), rtol: 1e-5, atol: 1e-5)
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let y = Tensor.zeros([3, 0]).matmul(Tensor.zeros([0, 2]))
        #expect(y.scalars == [0, 0, 0, 0, 0, 0])
    }

    @Test func matmulValuesAndGradients() {
        let a = TestData.randn([5, 6], seed: 42), b = TestData.randn([6, 3], seed: 43)
        expectClose(a.matmul(b).scalars, Gemm.reference(transA: false, transB: false, m: 5, n: 3, k: 6,
                                                        a: a.scalars, b: b.scalars), rtol: 1e-5, atol: 1e-5)
        GradCheck.check([a, b]) { $0[0].matmul($0[1]) }
        GradCheck.check([a]) { $0[0].matmul($0[0].transposed()) }
    }
}

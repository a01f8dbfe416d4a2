extension Tensor {
    /// The matrix product of two rank-2 tensors (cblas_sgemm).
    /// - Parameter other: shape [k, n] when `self` is [m, k].
    /// - Returns: shape [m, n].
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank == 2 && other.rank == 2 && shape[1] == other.shape[0],
                     "matmul needs [m, k] · [k, n], got \(shape) · \(other.shape)")
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        // a: [m, k], b: [k, n] -> y: [m, n]
        let y = Tensor(uninitializedShape: [m, n])
        Gemm.sgemm(m: m, n: n, k: k, a: storage.pointer, lda: k, b: other.storage.pointer, ldb: n,
                   c: y.storage.pointer, ldc: n)
        let (aSaved, bSaved) = (detached(), other.detached())
        let (needA, needB) = (requiresGrad, other.requiresGrad)
        return withExtendedLifetime((self, other)) { y }.recorded("matmul", from: [self, other]) { g in
            var ga: Tensor?, gb: Tensor?
            if needA {
                // ga: [m, k] = g [m, n] · bᵀ
                let t = Tensor(uninitializedShape: [m, k])
                Gemm.sgemm(transB: true, m: m, n: k, k: n, a: g.storage.pointer, lda: n,
                           b: bSaved.storage.pointer, ldb: n, c: t.storage.pointer, ldc: k)
                ga = t
            }
            if needB {
                // gb: [k, n] = aᵀ · g [m, n]
                let t = Tensor(uninitializedShape: [k, n])
                Gemm.sgemm(transA: true, m: k, n: n, k: m, a: aSaved.storage.pointer, lda: k,
                           b: g.storage.pointer, ldb: n, c: t.storage.pointer, ldc: n)
                gb = t
            }
            return withExtendedLifetime((g, aSaved, bSaved)) { [ga, gb] }
        }
    }
}

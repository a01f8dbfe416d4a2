import COpenBLAS
import MedCore

/// Row-major single-precision matrix products through OpenBLAS (which runs its own threads).
enum Gemm {
    /// C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] + beta · C, all row-major.
    /// - Parameters:
    ///   - transA: A is stored as [k, m] and used transposed (else stored [m, k]).
    ///   - transB: B is stored as [n, k] and used transposed (else stored [k, n]).
    ///   - lda: the row stride of A as stored; likewise `ldb`, `ldc`.
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C = beta · C (BLAS implementations disagree on k = 0).
            for i in 0..<m {
                let row = c + i * ldc
                for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
            }
            return
        }
        // OpenBLAS's fork handler must not run while its threads work (ForkGate).
        ForkGate.withoutForks {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    // MARK: - Reference

    /// The triple loop in Double, C = op(A) · op(B), as the test oracle for `sgemm`.
    static func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }
}

/// The QR factorisation of a tall matrix by Householder reflections, in Double (used by orthogonal
/// initialisation; small matrices, so a plain reference implementation).
///
/// For A [m, n] with m ≥ n: A = Q R with Q [m, n] having orthonormal columns and R [n, n] upper triangular.
/// Reflection k maps column k below the diagonal onto a multiple of e_k: H_k = I − 2 v vᵀ / (vᵀv) with
/// v = x + sign(x₀)‖x‖ e₀, so R's diagonal is −sign(x₀)‖x‖ (LAPACK's convention, which PyTorch's `qr` follows).
struct HouseholderQR {
    /// Rows of A.
    let rows: Int
    /// Columns of A.
    let columns: Int
    /// R in the upper triangle (row-major [m, n]); below the diagonal the entries are zero.
    private var reduced: [Double]
    /// The Householder vectors, one per column (length m, zero above index k).
    private var reflectors: [[Double]]

    /// Factors `matrix` ([rows, columns] row-major, rows ≥ columns).
    init(_ matrix: [Double], rows: Int, columns: Int) {
        precondition(rows >= columns && matrix.count == rows * columns,
                     "Householder QR needs a tall [m, n] matrix with m ≥ n, got \(rows)×\(columns) with \(matrix.count) values")
        self.rows = rows
        self.columns = columns
        var a = matrix
        var vs: [[Double]] = []
        for k in 0..<columns {
            var v = [Double](repeating: 0, count: rows)
            var norm = 0.0
            for i in k..<rows { v[i] = a[i * columns + k]; norm += v[i] * v[i] }
            norm = norm.squareRoot()
            v[k] += v[k] >= 0 ? norm : -norm
            let vv = v[k...].reduce(0) { $0 + $1 * $1 }
            if vv > 0 {
                // A ← (I − 2vvᵀ/vᵀv) A on columns k… (earlier columns are already zero below the diagonal).
                for j in k..<columns {
                    var dot = 0.0
                    for i in k..<rows { dot += v[i] * a[i * columns + j] }
                    let s = 2 * dot / vv
                    for i in k..<rows { a[i * columns + j] -= s * v[i] }
                }
            }
            for i in (k + 1)..<max(k + 1, rows) { a[i * columns + k] = 0 }
            vs.append(vv > 0 ? v : [])
        }
        reduced = a
        reflectors = vs
    }

    /// R[i, j].
    func r(_ i: Int, _ j: Int) -> Double { i <= j ? reduced[i * columns + j] : 0 }

    /// The thin Q [m, n], row-major: H₀ H₁ … H_{n−1} applied to the first n columns of the identity.
    func thinQ() -> [Double] {
        var q = [Double](repeating: 0, count: rows * columns)
        for j in 0..<columns { q[j * columns + j] = 1 }
        for k in stride(from: columns - 1, through: 0, by: -1) {
            let v = reflectors[k]
            guard !v.isEmpty else { continue }
            let vv = v[k...].reduce(0) { $0 + $1 * $1 }
            for j in 0..<columns {
                var dot = 0.0
                for i in k..<rows { dot += v[i] * q[i * columns + j] }
                let s = 2 * dot / vv
                for i in k..<rows { q[i * columns + j] -= s * v[i] }
            }
        }
        return q
    }
}

/// A 3×3 Double matrix, row-major: the linear part of spatial transforms.
public struct Matrix3: Sendable, Equatable {
    /// The nine entries, row-major.
    public var rows: [Double]

    /// Creates a matrix from nine row-major entries.
    /// - Precondition: `rows.count == 9`.
    public init(rows: [Double]) {
        precondition(rows.count == 9, "a 3x3 matrix has 9 entries, got \(rows.count)")
        self.rows = rows
    }

    /// The identity.
    public static let identity = Matrix3(rows: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// Entry at row `r`, column `c`.
    public subscript(r: Int, c: Int) -> Double { rows[r * 3 + c] }

    /// The product self · v.
    public func apply(_ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(rows[0] * v.x + rows[1] * v.y + rows[2] * v.z,
              rows[3] * v.x + rows[4] * v.y + rows[5] * v.z,
              rows[6] * v.x + rows[7] * v.y + rows[8] * v.z)
    }

    /// The product a · b.
    public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        var out = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for c in 0..<3 { out[r * 3 + c] = (0..<3).reduce(0) { $0 + a[r, $1] * b[$1, c] } } }
        return Matrix3(rows: out)
    }

    /// The determinant.
    public var determinant: Double {
        self[0, 0] * (self[1, 1] * self[2, 2] - self[1, 2] * self[2, 1])
            - self[0, 1] * (self[1, 0] * self[2, 2] - self[1, 2] * self[2, 0])
            + self[0, 2] * (self[1, 0] * self[2, 1] - self[1, 1] * self[2, 0])
    }

    /// The inverse by the adjugate, or nil when |det| < 1e-12. The identity's inverse is exactly the identity.
    public var inverse: Matrix3? {
        let det = determinant
        guard abs(det) >= 1e-12, det.isFinite else { return nil }
        let m = self
        let cof: [Double] = [
            m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1], m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2], m[0, 1] * m[1, 2] - m[0, 2] * m[1, 1],
            m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2], m[0, 0] * m[2, 2] - m[0, 2] * m[2, 0], m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2],
            m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0], m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1], m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0],
        ]
        return Matrix3(rows: cof.map { $0 / det })
    }
}

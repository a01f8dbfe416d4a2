/// A 4×4 voxel-to-world transform, row-major, mapping voxel indices (i, j, k, 1) to world millimetres
/// (x, y, z, 1) in NIfTI's RAS+ convention. i runs along a volume's width (fastest axis), j along its height
/// and k along its depth (slices).
public struct Affine: Equatable, Codable, Sendable, CustomStringConvertible {
    /// The 16 entries, row-major; the last row is (0, 0, 0, 1) for every affine MedSynth writes.
    public var rowMajor: [Double]

    /// Creates an affine from 16 row-major entries.
    /// - Precondition: `rowMajor.count == 16`.
    public init(rowMajor: [Double]) {
        precondition(rowMajor.count == 16, "an affine has 16 entries, got \(rowMajor.count)")
        self.rowMajor = rowMajor
    }

    /// The identity (1 mm isotropic voxels at the origin).
    public static let identity = Affine(spacingMM: SIMD3(1, 1, 1))

    /// A diagonal affine: voxel (i, j, k) maps to (i·sx, j·sy, k·sz) + origin.
    /// - Parameters:
    ///   - spacingMM: voxel size along i, j, k in millimetres.
    ///   - originMM: world position of voxel (0, 0, 0).
    public init(spacingMM: SIMD3<Double>, originMM: SIMD3<Double> = .zero) {
        rowMajor = [spacingMM.x, 0, 0, originMM.x,
                    0, spacingMM.y, 0, originMM.y,
                    0, 0, spacingMM.z, originMM.z,
                    0, 0, 0, 1]
    }

    /// Entry at row `r`, column `c`.
    public subscript(r: Int, c: Int) -> Double {
        get { rowMajor[r * 4 + c] }
        set { rowMajor[r * 4 + c] = newValue }
    }

    /// The length of each of the first three columns: the voxel spacing in mm along i, j, k.
    public var columnLengthsMM: SIMD3<Double> {
        func len(_ c: Int) -> Double { (self[0, c] * self[0, c] + self[1, c] * self[1, c] + self[2, c] * self[2, c]).squareRoot() }
        return SIMD3(len(0), len(1), len(2))
    }

    /// The world position of voxel index (i, j, k).
    public func apply(_ ijk: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(self[0, 0] * ijk.x + self[0, 1] * ijk.y + self[0, 2] * ijk.z + self[0, 3],
              self[1, 0] * ijk.x + self[1, 1] * ijk.y + self[1, 2] * ijk.z + self[1, 3],
              self[2, 0] * ijk.x + self[2, 1] * ijk.y + self[2, 2] * ijk.z + self[2, 3])
    }

    /// This affine for a sub-volume starting at voxel (i0, j0, k0): the origin moves, the axes stay.
    public func shifted(byVoxels offset: SIMD3<Double>) -> Affine {
        var out = self
        let origin = apply(offset)
        out[0, 3] = origin.x
        out[1, 3] = origin.y
        out[2, 3] = origin.z
        return out
    }

    /// The inverse transform (world → voxel), nil when the 3×3 part is singular. The last row must be 0 0 0 1.
    public func inverted() -> Affine? {
        let a = self[0, 0], b = self[0, 1], c = self[0, 2], d = self[1, 0], e = self[1, 1], f = self[1, 2]
        let g = self[2, 0], h = self[2, 1], i = self[2, 2]
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        guard det.isFinite, abs(det) > 1e-12 else { return nil }
        let r = [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
                 (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
                 (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]
        var out = [Double](repeating: 0, count: 16)
        for row in 0..<3 {
            for col in 0..<3 { out[row * 4 + col] = r[row * 3 + col] }
            out[row * 4 + 3] = -(r[row * 3] * self[0, 3] + r[row * 3 + 1] * self[1, 3] + r[row * 3 + 2] * self[2, 3])
        }
        out[15] = 1
        return Affine(rowMajor: out)
    }

    /// The product self · other (apply `other` first).
    public func concatenating(_ other: Affine) -> Affine {
        var out = [Double](repeating: 0, count: 16)
        for r in 0..<4 {
            for c in 0..<4 { out[r * 4 + c] = (0..<4).reduce(0) { $0 + self[r, $1] * other[$1, c] } }
        }
        return Affine(rowMajor: out)
    }

    /// True when every entry differs by at most `tolerance`.
    public func isClose(to other: Affine, tolerance: Double = 1e-4) -> Bool {
        zip(rowMajor, other.rowMajor).allSatisfy { abs($0 - $1) <= tolerance }
    }

    public var description: String {
        (0..<4).map { r in "[" + (0..<4).map { c in String(format6(self[r, c])) }.joined(separator: ", ") + "]" }
            .joined(separator: " ")
    }
}

/// Formats a number compactly with up to six significant decimals.
func format6(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    var s = String(x)
    if s.count > 12, let d = Double(s) { s = String(Float(d)) }
    return s
}

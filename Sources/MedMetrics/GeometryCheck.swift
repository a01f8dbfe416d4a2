import MedCore
import MedIO

/// Checks that two volumes describe the same grid before they are compared voxel by voxel.
public enum GeometryCheck {
    /// Throws unless `a` and `b` have the same shape, the same voxel spacing (within `spacingToleranceMM`) and
    /// the same orientation (axis directions within `directionTolerance`), saying how they differ.
    /// - Parameters:
    ///   - a: first volume, named `aName` in messages.
    ///   - b: second volume, named `bName`.
    /// - Returns: notes about harmless differences (origins that differ: the grids are compared voxel by voxel).
    /// - Throws: `MedSynthError(.mismatch)` quoting both values.
    @discardableResult
    public static func requireComparable(_ a: Volume, _ aName: String, _ b: Volume, _ bName: String,
                                         spacingToleranceMM: Double = 1e-3, directionTolerance: Double = 1e-3) throws -> [String] {
        if a.shape != b.shape {
            throw MedSynthError(.mismatch, aName, "shape \(a.shape) differs from \(bName)'s \(b.shape) (depth x height x width)")
        }
        let sa = a.spacingMM, sb = b.spacingMM
        if (0..<3).contains(where: { abs(sa[$0] - sb[$0]) > spacingToleranceMM }) {
            throw MedSynthError(.mismatch, aName, "voxel spacing \(fmt(sa)) mm differs from \(bName)'s \(fmt(sb)) mm (x y z)")
        }
        for c in 0..<3 {
            let da = direction(a.affine, column: c), db = direction(b.affine, column: c)
            if (0..<3).contains(where: { abs(da[$0] - db[$0]) > directionTolerance }) {
                let axis = ["i (width)", "j (height)", "k (depth)"][c]
                throw MedSynthError(.mismatch, aName, "orientation differs from \(bName)'s: axis \(axis) points along \(fmt(da)) vs \(fmt(db)) (world RAS)")
            }
        }
        let oa = a.affine.apply(.zero), ob = b.affine.apply(.zero)
        let shift = ((oa - ob) * (oa - ob)).sum().squareRoot()
        return shift > spacingToleranceMM ? ["origins differ by \(String(format: "%.3g", shift)) mm; compared voxel by voxel"] : []
    }

    private static func direction(_ m: Affine, column c: Int) -> SIMD3<Double> {
        let v = SIMD3(m[0, c], m[1, c], m[2, c])
        let n = (v * v).sum().squareRoot()
        return n > 0 ? v / n : v
    }

    private static func fmt(_ v: SIMD3<Double>) -> String {
        "(" + (0..<3).map { String(format: "%.4g", v[$0]) }.joined(separator: ", ") + ")"
    }
}

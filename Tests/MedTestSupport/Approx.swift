/// Approximate comparisons with documented tolerances.
///
/// `isClose(a, b, rtol, atol)` is numpy's `allclose` rule: |a − b| ≤ atol + rtol·|b|.
public enum Approx {
    /// True when |a − b| ≤ atol + rtol·|b|, or both are NaN, or both are the same infinity.
    public static func isClose(_ a: Double, _ b: Double, rtol: Double = 1e-6, atol: Double = 1e-9) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= atol + rtol * abs(b)
    }

    /// The largest |a[i] − b[i]|, or infinity when the counts differ.
    public static func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
    where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        guard a.count == b.count else { return .infinity }
        var m = 0.0
        for (x, y) in zip(a, b) { m = max(m, abs(Double(x) - Double(y))) }
        return m
    }
}

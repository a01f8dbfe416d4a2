import Testing

/// Approximate comparisons with documented tolerances.
///
/// `isClose(a, b, rtol, atol)` is numpy's `allclose` rule: |a − b| ≤ atol + rtol·|b|.
///
/// NaN policy (every helper here): a NaN on either side is a mismatch, also NaN against NaN at the same index.
/// No caller compares arrays that are meant to hold NaN (values stored bit for bit, NaN included, are compared
/// with `==` on bit patterns by the I/O tests), so a NaN can only mean a broken computation, and it must fail
/// `maxAbsDifference(...) <= tol` as well as `maxAbsDifference(...) > minimum` (the "the step must move the
/// parameter" checks). `maxAbsDifference` therefore returns NaN, which compares false with everything.
public enum Approx {
    /// True when |a − b| ≤ atol + rtol·|b| (both finite), or a and b are the same infinity.
    /// False whenever either is NaN (NaN against NaN too: see the type's NaN policy).
    public static func isClose(_ a: Double, _ b: Double, rtol: Double = 1e-6, atol: Double = 1e-9) -> Bool {
        if a.isNaN || b.isNaN { return false }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= atol + rtol * abs(b)
    }

    /// The largest |a[i] − b[i]|; infinity when the counts differ; NaN when any |a[i] − b[i]| is NaN — a NaN on
    /// either side, or the same infinity on both (whose difference is undefined) — so that every comparison
    /// with the result (`<= tol`, `< tol`, `> minimum`) is false. Units: those of the values.
    public static func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
    where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
        guard a.count == b.count else { return .infinity }
        var m = 0.0
        for (x, y) in zip(a, b) {
            let d = abs(Double(x) - Double(y))
            if d.isNaN { return .nan }
            if d > m { m = d }
        }
        return m
    }

    /// The index of the first element where `a` and `b` are not `isClose` (NaN on either side included), or
    /// nil when all agree. Counts must match (checked by callers); extra elements of the longer side are ignored.
    public static func firstMismatch(_ a: [Float], _ b: [Float], rtol: Double, atol: Double) -> Int? {
        (0..<min(a.count, b.count)).first { !isClose(Double(a[$0]), Double(b[$0]), rtol: rtol, atol: atol) }
    }
}

/// Expects two value arrays to agree elementwise within |a − b| ≤ atol + rtol·|b| (`Approx.isClose`: a NaN on
/// either side fails) and to have the same count; records one issue at the first mismatch, quoting both values.
/// The defaults (1e-4, 1e-4) suit Float results of a few operations on values of order 1.
public func expectClose(_ a: [Float], _ b: [Float], rtol: Double = 1e-4, atol: Double = 1e-4,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "counts \(a.count) and \(b.count)", sourceLocation: sourceLocation)
    guard a.count == b.count else { return }
    if let i = Approx.firstMismatch(a, b, rtol: rtol, atol: atol) {
        Issue.record("element \(i): \(a[i]) vs expected \(b[i]) (max |diff| \(Approx.maxAbsDifference(a, b)), rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}

import Testing
import MedTestSupport

/// The shared comparison helpers fail on NaN: a NaN on either side (NaN against NaN too) is a mismatch, so a
/// network, kernel or metric that returns NaN can never pass a closeness check.
@Suite struct ApproxTests {
    /// maxAbsDifference: NaN on either side, at any index, makes the result NaN, which fails `<= tol`, `< tol`
    /// and `> minimum` alike; the same infinity on both sides (an undefined difference) does too.
    @Test func maxAbsDifferenceReportsNaN() {
        let clean: [Float] = [0, 1, 2, 3]
        let cases: [(String, [Float], [Float])] = [
            ("NaN left, first", [.nan, 1, 2, 3], clean), ("NaN right, last", clean, [0, 1, 2, .nan]),
            ("all NaN left", [Float](repeating: .nan, count: 4), clean), ("NaN both, same index", [0, .nan, 2, 3], [0, .nan, 2, 3]),
            ("+inf both", [0, .infinity, 2, 3], [0, .infinity, 2, 3]),
        ]
        for (what, a, b) in cases {
            let d = Approx.maxAbsDifference(a, b)
            #expect(d.isNaN, "\(what): maxAbsDifference \(d), expected NaN")
            #expect(!(d <= 1e30) && !(d < 1e30) && !(d > 0), "\(what): \(d) passed a comparison")
        }
        // Double against Float, NaN after a large finite difference (a running max must not drop it).
        #expect(Approx.maxAbsDifference([Double(100), .nan], [Float(0), 0]).isNaN)
        // Controls: finite values give the largest difference; an infinity against a finite value is infinite;
        // different counts are infinite.
        #expect(Approx.maxAbsDifference(clean, [0, 1.5, 2, 2]) == 1)
        #expect(Approx.maxAbsDifference([Float.infinity], [Float(1)]) == .infinity)
        #expect(Approx.maxAbsDifference(clean, [Float](clean.dropLast())) == .infinity)
        #expect(Approx.maxAbsDifference([Float](), [Float]()) == 0)
    }

    /// isClose: NaN is never close to anything, itself included; infinities only to the same infinity.
    @Test func isCloseRejectsNaN() {
        for (a, b) in [(Double.nan, 1.0), (1, .nan), (.nan, .nan), (.nan, .infinity), (.infinity, .nan)] {
            #expect(!Approx.isClose(a, b, rtol: 1, atol: 1e300), "isClose(\(a), \(b)) with any tolerance")
        }
        #expect(Approx.isClose(.infinity, .infinity) && !Approx.isClose(.infinity, -.infinity))
        #expect(!Approx.isClose(.infinity, 1e308, rtol: 1, atol: 1e308))
        #expect(Approx.isClose(1, 1 + 1e-7, rtol: 1e-6) && !Approx.isClose(1, 1 + 1e-5, rtol: 1e-6))
    }

    /// The predicate of `expectClose` (`Approx.firstMismatch`) finds a NaN at any index, on either side.
    @Test func expectClosePredicateReportsNaN() {
        let clean: [Float] = [0.5, 1, 2]
        #expect(Approx.firstMismatch(clean, clean, rtol: 1e-4, atol: 1e-4) == nil)
        #expect(Approx.firstMismatch([0.5, .nan, 2], clean, rtol: 1, atol: 1e30) == 1)
        #expect(Approx.firstMismatch(clean, [0.5, 1, .nan], rtol: 1, atol: 1e30) == 2)
        #expect(Approx.firstMismatch([.nan, 1, 2], [.nan, 1, 2], rtol: 1, atol: 1e30) == 0)
        #expect(Approx.firstMismatch([Float](repeating: .nan, count: 3), clean, rtol: 1, atol: 1e30) == 0)
        #expect(Approx.firstMismatch([0.5, 1.01, 2], clean, rtol: 1e-4, atol: 1e-4) == 1)
    }
}

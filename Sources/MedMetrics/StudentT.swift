import Foundation

/// Student's t distribution with ν degrees of freedom: CDF and quantile, for confidence intervals.
///
/// CDF(t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 (symmetric below 0), with I the regularized incomplete beta
/// function, evaluated by its continued fraction (modified Lentz) and the symmetry
/// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly. The quantile inverts the CDF by
/// bisection to full Double precision (tests compare with scipy.stats.t.ppf).
public struct StudentT: Sendable {
    /// ν > 0.
    public let degreesOfFreedom: Double

    /// Creates the distribution.
    /// - Precondition: ν > 0.
    public init(degreesOfFreedom: Double) {
        precondition(degreesOfFreedom > 0, "degrees of freedom must be positive, got \(degreesOfFreedom)")
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(T ≤ t).
    public func cdf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        if t.isInfinite { return t > 0 ? 1 : 0 }
        let v = degreesOfFreedom
        let tail = 0.5 * StudentT.regularizedIncompleteBeta(x: v / (v + t * t), a: v / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The t with P(T ≤ t) = p.
    /// - Precondition: 0 < p < 1.
    public func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile probability must be in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p) }
        var lo = 0.0, hi = 1.0
        while cdf(hi) < p { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            if cdf(mid) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// I_x(a, b) = B(x; a, b) / B(a, b), for 0 ≤ x ≤ 1, a, b > 0.
    public static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(lnFront) * betaContinuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(lnFront) * betaContinuedFraction(x: 1 - x, a: b, b: a) / b
    }

    /// The continued fraction of the incomplete beta function (modified Lentz's method).
    static func betaContinuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, eps = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let mm = Double(m)
            // Even step.
            var num = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            // Odd step.
            num = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < eps { break }
        }
        return h
    }
}

/// Rician noise: the magnitude of a complex signal whose real and imaginary channels carry independent Gaussian
/// noise of standard deviation σ. A true signal A becomes |A + σ·z₁ + i·σ·z₂| = √((A + σz₁)² + (σz₂)²).
///
/// The mean is biased upward: E = σ·√(π/2)·L½(−A²/(2σ²)) with the Laguerre polynomial
/// L½(x) = e^(x/2)·[(1 − x)·I₀(−x/2) − x·I₁(−x/2)] (Gudbjartsson & Patz 1995); it tends to σ·√(π/2) (Rayleigh)
/// for A = 0 and to √(A² + σ²) at high SNR.
public enum RicianNoise {
    /// One noisy magnitude from a true signal and two standard normal draws.
    @inline(__always)
    public static func sample(signal: Float, sigma: Float, z1: Float, z2: Float) -> Float {
        let re = signal + sigma * z1, im = sigma * z2
        return (re * re + im * im).squareRoot()
    }

    /// The expected magnitude E[|A + σ(z₁ + i z₂)|] for true signal `signal` ≥ 0 and noise `sigma` > 0.
    public static func mean(signal: Double, sigma: Double) -> Double {
        guard sigma > 0 else { return abs(signal) }
        // With y = A²/(4σ²): L½(−A²/(2σ²)) = (1 + 2y)·e^(−y)I₀(y) + 2y·e^(−y)I₁(y), written with the
        // exponentially scaled Bessel functions so that high SNR does not overflow.
        let y = signal * signal / (4 * sigma * sigma)
        let laguerre = (1 + 2 * y) * scaledBesselI0(y) + 2 * y * scaledBesselI1(y)
        return sigma * (Double.pi / 2).squareRoot() * laguerre
    }

    /// e^(−x)·I₀(x) for x ≥ 0 (Abramowitz & Stegun 9.8.1–9.8.2, |relative error| < 2e-7).
    public static func scaledBesselI0(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 3.75 {
            let t = (x / 3.75) * (x / 3.75)
            let i0 = 1 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 + t * (0.2659732 + t * (0.0360768 + t * 0.0045813)))))
            return i0 * exp(-ax)
        }
        let t = 3.75 / ax
        let p = 0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 + t * (0.00916281
            + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 + t * 0.00392377)))))))
        return p / ax.squareRoot()
    }

    /// e^(−x)·I₁(x) for x ≥ 0 (Abramowitz & Stegun 9.8.3–9.8.4, |relative error| < 3e-7).
    public static func scaledBesselI1(_ x: Double) -> Double {
        let ax = abs(x)
        if ax < 3.75 {
            let t = (x / 3.75) * (x / 3.75)
            let i1 = ax * (0.5 + t * (0.87890594 + t * (0.51498869 + t * (0.15084934 + t * (0.02658733
                + t * (0.00301532 + t * 0.00032411))))))
            return i1 * exp(-ax)
        }
        let t = 3.75 / ax
        let p = 0.39894228 + t * (-0.03988024 + t * (-0.00362018 + t * (0.00163801 + t * (-0.01031555
            + t * (0.02282967 + t * (-0.02895312 + t * (0.01787654 - t * 0.00420059)))))))
        return p / ax.squareRoot()
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

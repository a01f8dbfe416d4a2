import Foundation

/// A separable, normalised filter window: `weights` has 2r+1 taps summing to 1.
struct SSIMWindow: Sendable {
    /// The taps, centred; a uniform window has all taps equal to 1/(2r+1).
    let weights: [Double]
    /// True for a box window (the engine then uses running sums along height and depth).
    let isUniform: Bool
    /// r: taps on each side of the centre.
    var radius: Int { weights.count / 2 }
    /// 2r+1.
    var size: Int { weights.count }

    /// scipy.ndimage.uniform_filter's window of `size` (odd) taps.
    static func uniform(size: Int) -> SSIMWindow {
        SSIMWindow(weights: [Double](repeating: 1 / Double(size), count: size), isUniform: true)
    }

    /// scipy.ndimage.gaussian_filter's window: taps exp(−x²/(2σ²)) for x in −r…r, r = ⌊truncate·σ + 0.5⌋,
    /// normalised to sum 1 (pytorch_msssim's `_fspecial_gauss_1d` gives the same taps for size 2r+1).
    static func gaussian(sigma: Double, truncate: Double) -> SSIMWindow {
        let r = Int(truncate * sigma + 0.5)
        var w = (-r...r).map { x in exp(-0.5 * Double(x * x) / (sigma * sigma)) }
        let s = w.reduce(0, +)
        for i in w.indices { w[i] /= s }
        return SSIMWindow(weights: w, isUniform: false)
    }
}

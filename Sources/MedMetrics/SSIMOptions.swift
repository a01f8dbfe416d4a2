/// How SSIM is computed: the window, the covariance normalisation and the stabilising constants.
///
/// The two presets are the conventions users compare against:
/// - `scikitImageDefault`: scikit-image `structural_similarity(x, y, data_range=R)` — a 7-tap uniform window
///   (7×7 in 2D, 7×7×7 in 3D, scipy `uniform_filter`, 'reflect' borders), sample covariance NP/(NP−1).
/// - `wang2004`: Wang et al. 2004 — Gaussian window σ = 1.5, 11 taps (scipy `gaussian_filter`, truncate 3.5,
///   'reflect'), population covariance; scikit-image with `gaussian_weights=True, sigma=1.5,
///   use_sample_covariance=False`. (MONAI's `SSIMMetric` uses this window too, but with data range 1 by
///   default.)
public struct SSIMOptions: Equatable, Codable, Sendable {
    /// The local window.
    public enum Window: Equatable, Codable, Sendable {
        /// A box of `size` (odd) taps per axis.
        case uniform(size: Int)
        /// A Gaussian of standard deviation `sigma` voxels, truncated at r = ⌊3.5σ + 0.5⌋ (11 taps for 1.5).
        case gaussian(sigma: Double)
    }

    /// The local window, applied along every axis.
    public var window: Window
    /// True: variances and covariance scaled by NP/(NP−1), NP = sizeᵈ (d = 2 or 3); false: by 1.
    public var sampleCovariance: Bool
    /// K1 in C1 = (K1·R)².
    public var k1: Double
    /// K2 in C2 = (K2·R)².
    public var k2: Double

    /// Creates options.
    public init(window: Window, sampleCovariance: Bool, k1: Double = 0.01, k2: Double = 0.03) {
        self.window = window
        self.sampleCovariance = sampleCovariance
        self.k1 = k1
        self.k2 = k2
    }

    /// scikit-image's defaults: uniform 7, sample covariance, K1 0.01, K2 0.03.
    public static let scikitImageDefault = SSIMOptions(window: .uniform(size: 7), sampleCovariance: true)
    /// Wang et al. 2004: Gaussian σ 1.5 (11 taps), population covariance, K1 0.01, K2 0.03.
    public static let wang2004 = SSIMOptions(window: .gaussian(sigma: 1.5), sampleCovariance: false)

    /// scikit-image sets `truncate = 3.5` for Gaussian weights so that σ 1.5 gives 11 taps.
    static let gaussianTruncate = 3.5

    /// The separable window the engine applies.
    var engineWindow: SSIMWindow {
        switch window {
        case .uniform(let size): return .uniform(size: size)
        case .gaussian(let sigma): return .gaussian(sigma: sigma, truncate: SSIMOptions.gaussianTruncate)
        }
    }
}

import Foundation
import MedCore
import MedIO

/// Multi-scale SSIM (Wang, Simoncelli & Bovik 2003) as pytorch_msssim's `ms_ssim` defines it, 2D and 3D.
///
/// At scale s = 1…5, SSIM terms are computed with an 11-tap Gaussian window (σ = 1.5), *valid* filtering
/// (only windows entirely inside the image), population covariance, C1 = (0.01 R)², C2 = (0.03 R)²:
///
///     cs_s   = mean over valid voxels of (2 σxy + C2) / (σx² + σy² + C2)
///     ssim_5 = mean over valid voxels of ((2 μx μy + C1) / (μx² + μy² + C1)) · cs
///     MS-SSIM = Π_{s=1…4} relu(cs_s)^{w_s} · relu(ssim_5)^{w_5},  w = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
///
/// Between scales both images are average-pooled by 2 along every axis (`avg_pool` with padding n mod 2,
/// zero padding counted). Valid filtering equals scipy's 'reflect' filtering cropped by 5 voxels, which is
/// how it is computed here (Double precision; pytorch_msssim computes in the input's float32).
///
/// Minimum size: every extent (depth too, for 3D) must exceed (11 − 1)·2⁴ = 160 voxels, pytorch_msssim's
/// assertion, so that the 11-tap window fits at the fifth scale.
public enum MSSSIM {
    /// The five scale weights (Wang et al. 2003).
    public static let weights: [Double] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    /// The smallest allowed extent: 161.
    public static let minimumExtent = 161

    /// MS-SSIM of `x` (reference) and `y`.
    /// - Parameters:
    ///   - dataRange: R (e.g. 1 for [0, 1] images).
    /// - Throws: `MedSynthError(.mismatch)` for different shapes; `.invalidArgument` for a non-positive data range
    ///   or an extent below 161 (depth 1 = 2D is allowed).
    public static func compute(_ x: Volume, _ y: Volume, dataRange: Double) throws -> Double {
        try requireSameShape(x, y, metric: "MS-SSIM")
        guard dataRange > 0, dataRange.isFinite else {
            throw MedSynthError(.invalidArgument, "MS-SSIM", "data range \(dataRange) must be positive and finite")
        }
        let s = x.shape
        if s.height < minimumExtent || s.width < minimumExtent || (s.depth > 1 && s.depth < minimumExtent) {
            throw MedSynthError(.invalidArgument, "MS-SSIM",
                                "image \(s) is too small: every extent must be at least \(minimumExtent) (11-tap window after 4 halvings)")
        }
        let window = SSIMWindow.gaussian(sigma: 1.5, truncate: SSIMOptions.gaussianTruncate)
        let formula = StandardSSIMFormula(c1: (0.01 * dataRange) * (0.01 * dataRange), c2: (0.03 * dataRange) * (0.03 * dataRange))
        var shape = s
        var a = x.voxels.map(Double.init), b = y.voxels.map(Double.init)
        var product = 1.0
        for level in 0..<weights.count {
            let (sums, _) = SSIMEngine.run(x: a, y: b, shape: shape, window: window, covNorm: 1, formula: formula,
                                           crop: window.radius, mask: nil, wantMap: false)
            let n = Double(sums.count)
            if level < weights.count - 1 {
                product *= pow(max(sums.csSum / n, 0), weights[level])
                let da = Downsampling.halve(a, shape: shape, rule: .pytorchAvgPool)
                b = Downsampling.halve(b, shape: shape, rule: .pytorchAvgPool).values
                a = da.values
                shape = da.shape
            } else {
                product *= pow(max(sums.sum / n, 0), weights[level])
            }
        }
        return product
    }
}

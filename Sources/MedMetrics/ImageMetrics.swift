import Foundation
import MedCore
import MedIO

/// Voxel-wise error metrics between a reference image `x` and a test image `y` (2D = depth 1, or 3D), over all
/// voxels or over the voxels of a mask. Sums are accumulated in Double.
public enum ImageMetrics {
    /// Mean squared error: MSE = (1/N) Σ (x − y)², N the number of (masked) voxels.
    /// - Throws: `MedSynthError(.mismatch)` for different shapes or a mask on another grid; `.invalidArgument`
    ///   for an empty mask.
    public static func mse(_ x: Volume, _ y: Volume, mask: VoxelMask? = nil) throws -> Double {
        try requireSameShape(x, y, metric: "MSE")
        return try meanOver(x, y, mask: mask, metric: "MSE") { let d = $0 - $1; return d * d }
    }

    /// Mean absolute error: MAE = (1/N) Σ |x − y|.
    /// - Throws: as `mse`.
    public static func mae(_ x: Volume, _ y: Volume, mask: VoxelMask? = nil) throws -> Double {
        try requireSameShape(x, y, metric: "MAE")
        return try meanOver(x, y, mask: mask, metric: "MAE") { abs($0 - $1) }
    }

    /// Root mean squared error: RMSE = √MSE.
    /// - Throws: as `mse`.
    public static func rmse(_ x: Volume, _ y: Volume, mask: VoxelMask? = nil) throws -> Double {
        try mse(x, y, mask: mask).squareRoot()
    }

    /// Peak signal-to-noise ratio in dB: PSNR = 10·log10(R² / MSE), R the data range (scikit-image's
    /// `peak_signal_noise_ratio` with an explicit `data_range`). Identical images give `+infinity`.
    /// - Parameters:
    ///   - dataRange: R, the difference between the largest and smallest possible values (e.g. 4024 HU); > 0.
    /// - Throws: as `mse`, and `.invalidArgument` for a data range that is not positive and finite.
    public static func psnr(_ x: Volume, _ y: Volume, dataRange: Double, mask: VoxelMask? = nil) throws -> Double {
        guard dataRange > 0, dataRange.isFinite else {
            throw MedSynthError(.invalidArgument, "PSNR", "data range \(dataRange) must be positive and finite")
        }
        return psnr(mse: try mse(x, y, mask: mask), dataRange: dataRange)
    }

    /// PSNR from a precomputed MSE: 10·log10(R² / MSE); `+infinity` when MSE is 0.
    public static func psnr(mse: Double, dataRange: Double) -> Double {
        mse == 0 ? .infinity : 10 * log10(dataRange * dataRange / mse)
    }

    /// Normalised cross-correlation (Pearson's r): Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² · Σ(y − ȳ)²).
    /// Returns NaN when either image is constant over the region (the correlation is not defined).
    /// - Throws: as `mse`.
    public static func normalizedCrossCorrelation(_ x: Volume, _ y: Volume, mask: VoxelMask? = nil) throws -> Double {
        try requireSameShape(x, y, metric: "NCC")
        let mx = try meanOver(x, y, mask: mask, metric: "NCC") { a, _ in a }
        let my = try meanOver(x, y, mask: mask, metric: "NCC") { _, b in b }
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        let inside = mask?.isInside
        for n in 0..<x.voxels.count where inside?[n] ?? true {
            let a = Double(x.voxels[n]) - mx, b = Double(y.voxels[n]) - my
            sxy += a * b; sxx += a * a; syy += b * b
        }
        let den = (sxx * syy).squareRoot()
        return den == 0 ? .nan : sxy / den
    }

    /// (1/N) Σ f(x, y) over the mask (or all voxels), in Double.
    static func meanOver(_ x: Volume, _ y: Volume, mask: VoxelMask?, metric: String,
                         _ f: (Double, Double) -> Double) throws -> Double {
        if let mask { try mask.validate(for: x.shape, metric: metric) }
        var sum = 0.0
        let n: Int
        if let inside = mask?.isInside {
            for i in 0..<x.voxels.count where inside[i] { sum += f(Double(x.voxels[i]), Double(y.voxels[i])) }
            n = mask!.count
        } else {
            for i in 0..<x.voxels.count { sum += f(Double(x.voxels[i]), Double(y.voxels[i])) }
            n = x.voxels.count
        }
        return sum / Double(n)
    }
}

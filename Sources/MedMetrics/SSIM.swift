import Foundation
import MedCore
import MedIO

/// The structural similarity index (Wang et al. 2004), exactly as scikit-image's `structural_similarity`
/// computes it, for 2D images (depth 1) and 3D volumes.
///
/// With local means μx, μy, variances σx², σy² and covariance σxy from the window (see `SSIMOptions`),
/// the map is
///
///     SSIM = ((2 μx μy + C1)(2 σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = (K1 R)², C2 = (K2 R)²,
///
/// and the mean is taken over the map cropped by pad = (win − 1)/2 voxels on every side (3 for the uniform
/// 7-window, 5 for the 11-tap Gaussian). A 3D volume is filtered along all three axes (skimage's n-D SSIM);
/// a depth-1 volume is a 2D image.
///
/// Implementation: separable passes with scipy's 'reflect' borders, Double arithmetic, both cores
/// (`SSIMEngine`); `SSIMReference` in the tests is the direct window-loop oracle.
public enum SSIM {
    /// The outcome of one SSIM computation.
    public struct Result: Sendable {
        /// Mean of the map over the cropped interior (scikit-image's `mssim`).
        public var mean: Double
        /// Mean of the map over the cropped interior ∩ mask (the SynthRAD convention), when a mask was given.
        public var maskedMean: Double?
        /// The full map (every voxel, borders included, Float), when asked for.
        public var map: Volume?
    }

    /// Computes SSIM between `x` (reference) and `y`.
    ///
    /// - Parameters:
    ///   - x, y: images of the same shape; every extent ≥ the window size (7 or 11), depth 1 allowed (2D).
    ///   - dataRange: R, required as in scikit-image for float images (e.g. 1 for [0, 1] images, 4024 for
    ///     SynthRAD 2023 CT).
    ///   - options: window and covariance convention; default scikit-image's.
    ///   - mask: optional; adds the mean of the map over the cropped interior ∩ mask.
    ///   - keepMap: also return the full SSIM map.
    /// - Returns: the mean, the masked mean and the map.
    /// - Throws: `MedSynthError(.mismatch)` for different shapes or a mask on another grid;
    ///   `.invalidArgument` for a non-positive data range, an even window, an image smaller than the window, or
    ///   a mask with no voxel in the cropped interior.
    public static func compute(_ x: Volume, _ y: Volume, dataRange: Double, options: SSIMOptions = .scikitImageDefault,
                               mask: VoxelMask? = nil, keepMap: Bool = false) throws -> Result {
        try requireSameShape(x, y, metric: "SSIM")
        if let mask { try mask.validate(for: x.shape, metric: "SSIM") }
        guard dataRange > 0, dataRange.isFinite else {
            throw MedSynthError(.invalidArgument, "SSIM", "data range \(dataRange) must be positive and finite")
        }
        let window = options.engineWindow
        try checkExtents(x.shape, windowSize: window.size, metric: "SSIM")
        let ndim = x.shape.depth == 1 ? 2 : 3
        let np = pow(Double(window.size), Double(ndim))
        let formula = SSIMOnlyFormula(c1: (options.k1 * dataRange) * (options.k1 * dataRange),
                                          c2: (options.k2 * dataRange) * (options.k2 * dataRange))
        let (sums, map) = SSIMEngine.run(x: x.voxels, y: y.voxels, shape: x.shape, window: window,
                                         covNorm: options.sampleCovariance ? np / (np - 1) : 1, formula: formula,
                                         crop: window.radius, mask: mask?.isInside, wantMap: keepMap)
        var maskedMean: Double?
        if mask != nil {
            guard sums.maskedCount > 0 else {
                throw MedSynthError(.invalidArgument, "SSIM", "mask has no voxel inside the interior cropped by \(window.radius)")
            }
            maskedMean = sums.maskedSum / Double(sums.maskedCount)
        }
        return Result(mean: sums.sum / Double(sums.count), maskedMean: maskedMean,
                      map: map.map { Volume(shape: x.shape, voxels: $0, affine: x.affine) })
    }

    /// Mean SSIM (scikit-image's return value): `compute(...).mean`.
    /// - Throws: as `compute`.
    public static func mean(_ x: Volume, _ y: Volume, dataRange: Double,
                            options: SSIMOptions = .scikitImageDefault) throws -> Double {
        try compute(x, y, dataRange: dataRange, options: options).mean
    }

    /// Throws unless the window fits: height and width (and depth when > 1) ≥ `windowSize`, size odd.
    static func checkExtents(_ shape: VolumeShape, windowSize: Int, metric: String) throws {
        guard windowSize % 2 == 1, windowSize >= 1 else {
            throw MedSynthError(.invalidArgument, metric, "window size \(windowSize) must be odd")
        }
        let tooSmall = shape.height < windowSize || shape.width < windowSize || (shape.depth > 1 && shape.depth < windowSize)
        if tooSmall {
            throw MedSynthError(.invalidArgument, metric,
                                "image \(shape) is smaller than the \(windowSize)-voxel window along some axis (depth 1 = 2D is allowed)")
        }
    }
}

import MedCore
import MedIO

/// The SynthRAD challenge's image metrics (MR→CT and CBCT→CT synthesis), reproducing the official
/// evaluation code of each edition.
///
/// Both editions binarise the body mask as `mask > 0` and score:
/// - MAE = mean |CT − sCT| over the mask voxels, on the unclipped HU values;
/// - PSNR = 10·log10(R² / MSE) over the mask voxels after clipping both images to [lower, upper] HU,
///   R = upper − lower.
///
/// 2023 (range [−1024, 3000], R = 4024): SSIM on images clipped to the range, set to `lower` outside the mask,
/// shifted by −lower (so air is 0), scikit-image defaults (uniform 7, sample covariance) with data range R;
/// the SSIM map is averaged over the mask voxels inside the border-cropped (3 voxels) interior.
///
/// 2025 (range [−1024, 3071], R = 4095): masked MS-SSIM as the 2025 evaluation computes it
/// (`SynthRAD2025MSSSIM`): the same clipping, masking and shift; each extent edge-padded to at least 97;
/// at each of 5 levels an SSIM-like map (uniform 7 window, sample covariance, luminance · contrast ·
/// structure each clipped at 0 and raised to the level weight) averaged over the cropped mask; the 2×2×2
/// box-downsampled images (and the stride-2 mask) feed the next level; the score is
/// Π clip(masked mean, 0, 1) with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).
///
/// A depth-1 volume is scored as a 2D image (the challenge itself is 3D only).
public struct SynthRADPreset: Equatable, Sendable {
    /// Which structural index the edition reports.
    public enum StructuralIndex: Equatable, Sendable {
        /// Masked SSIM (2023).
        case maskedSSIM
        /// Masked MS-SSIM (2025).
        case maskedMSSSIM
    }

    /// Lower clip bound, HU (air).
    public var lowerHU: Double
    /// Upper clip bound, HU.
    public var upperHU: Double
    /// The structural index.
    public var structuralIndex: StructuralIndex

    /// R = upper − lower.
    public var dataRangeHU: Double { upperHU - lowerHU }

    /// SynthRAD 2023: [−1024, 3000] HU, masked SSIM.
    public static let synthrad2023 = SynthRADPreset(lowerHU: Modality.ctFloorHU, upperHU: 3000, structuralIndex: .maskedSSIM)
    /// SynthRAD 2025: [−1024, 3071] HU, masked MS-SSIM.
    public static let synthrad2025 = SynthRADPreset(lowerHU: Modality.ctFloorHU, upperHU: 3071, structuralIndex: .maskedMSSSIM)

    /// Scores one case.
    /// - Parameters:
    ///   - realCT: the ground-truth CT in HU.
    ///   - syntheticCT: the prediction in HU, same shape.
    ///   - bodyMask: the evaluation mask; voxels with value > 0 count (the challenge's binarisation).
    /// - Returns: MAE, PSNR and the edition's structural index.
    /// - Throws: `MedSynthError(.mismatch)` for different shapes; `.invalidArgument` for an empty mask or, for
    ///   2023, an image smaller than 7 voxels along an axis (depth 1 allowed).
    public func evaluate(realCT: Volume, syntheticCT: Volume, bodyMask: Volume) throws -> SynthRADScores {
        try requireSameShape(realCT, syntheticCT, metric: "SynthRAD")
        try requireSameShape(realCT, bodyMask, metric: "SynthRAD mask")
        let mask = VoxelMask(bodyMask, where: { $0 > 0 })
        try mask.validate(for: realCT.shape, metric: "SynthRAD")
        let mae = try ImageMetrics.mae(realCT, syntheticCT, mask: mask)
        let lo = lowerHU, hi = upperHU
        let clip: (Float) -> Double = { Swift.min(Swift.max(Double($0), lo), hi) }
        var se = 0.0
        for n in 0..<realCT.voxels.count where mask.isInside[n] {
            let d = clip(realCT.voxels[n]) - clip(syntheticCT.voxels[n])
            se += d * d
        }
        let psnr = ImageMetrics.psnr(mse: se / Double(mask.count), dataRange: dataRangeHU)
        // Clipped, masked (outside = lower) and shifted so that air is 0, as the challenge feeds SSIM.
        func prepared(_ v: Volume) -> [Double] {
            var out = [Double](repeating: 0, count: v.voxels.count)
            for n in out.indices where mask.isInside[n] { out[n] = clip(v.voxels[n]) - lo }
            return out
        }
        let a = prepared(realCT), b = prepared(syntheticCT)
        switch structuralIndex {
        case .maskedSSIM:
            let window = SSIMWindow.uniform(size: 7)
            try SSIM.checkExtents(realCT.shape, windowSize: window.size, metric: "SynthRAD SSIM")
            let np = realCT.shape.depth == 1 ? 49.0 : 343.0
            let r = dataRangeHU
            let (sums, _) = SSIMEngine.run(x: a, y: b, shape: realCT.shape, window: window, covNorm: np / (np - 1),
                                           formula: SSIMOnlyFormula(c1: (0.01 * r) * (0.01 * r), c2: (0.03 * r) * (0.03 * r)),
                                           crop: window.radius, mask: mask.isInside, wantMap: false)
            guard sums.maskedCount > 0 else {
                throw MedSynthError(.invalidArgument, "SynthRAD SSIM", "mask has no voxel inside the interior cropped by 3")
            }
            return SynthRADScores(maeHU: mae, psnrDB: psnr, ssim: sums.maskedSum / Double(sums.maskedCount))
        case .maskedMSSSIM:
            let ms = SynthRAD2025MSSSIM.compute(a, b, shape: realCT.shape, mask: mask.isInside, dataRange: dataRangeHU)
            return SynthRADScores(maeHU: mae, psnrDB: psnr, msSSIM: ms)
        }
    }
}

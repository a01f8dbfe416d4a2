/// The image-similarity scores of one SynthRAD case (real CT vs synthetic CT inside the body mask).
public struct SynthRADScores: Equatable, Codable, Sendable {
    /// Mean absolute error in HU over the mask voxels (unclipped values).
    public var maeHU: Double
    /// PSNR in dB over the mask voxels, both images clipped to the preset's HU range, R = upper − lower.
    public var psnrDB: Double
    /// SynthRAD 2023: masked SSIM (scikit-image defaults on clipped, masked, shifted images). nil for 2025.
    public var ssim: Double?
    /// SynthRAD 2025: masked MS-SSIM. nil for 2023.
    public var msSSIM: Double?

    /// Creates scores.
    public init(maeHU: Double, psnrDB: Double, ssim: Double? = nil, msSSIM: Double? = nil) {
        self.maeHU = maeHU
        self.psnrDB = psnrDB
        self.ssim = ssim
        self.msSSIM = msSSIM
    }
}

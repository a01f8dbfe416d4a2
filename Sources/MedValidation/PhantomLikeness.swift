import MedCore
import MedIO
import MedMetrics
import MedSynthesis

/// How much a phantom case's T1 looks like a real brain's: its SSIM and correlation against the brain template's
/// own T1 average seen through the case's map (`HeadPhantom.templateT1(for:)`: the case's pose and deformation,
/// so the comparison is made after the case's deformation is undone).
///
/// Both images are scaled to 0…1 by their own 1st and 99th percentiles inside the template's brain (the T1
/// average is in other units than the phantom's spin-echo signal), then SSIM (scikit-image's defaults, data
/// range 1, 3D) is averaged over the brain voxels and Pearson's r (`ImageMetrics.normalizedCrossCorrelation`) taken
/// over the same voxels. For a
/// procedural-brain case the undeformed template is placed at the head's pose: the baseline the template brain
/// is measured against.
public enum PhantomLikeness {
    /// One case's likeness.
    public struct Measurement: Sendable, Equatable {
        /// Mean SSIM over the template's brain voxels.
        public var ssim: Double
        /// Pearson's correlation over the same voxels.
        public var correlation: Double
        /// Brain voxels compared.
        public var voxelCount: Int
    }

    /// Renders case `index` of dataset `seed` and measures it.
    /// - Throws: rendering or metric errors (e.g. a grid smaller than the SSIM window).
    public static func measure(_ phantom: HeadPhantom, seed: UInt64, index: Int) throws -> Measurement {
        let c = try phantom.makeCase(seed: seed, index: index)
        return try measure(t1: c.t1, reference: phantom.templateT1(for: c.parameters))
    }

    /// Measures a T1 image against a reference on the same grid (brain = reference > 0).
    /// - Throws: `MedSynthError(.invalidArgument)` when the reference holds no brain voxel; metric errors.
    public static func measure(t1: Volume, reference: Volume) throws -> Measurement {
        let brain = reference.voxels.map { $0 > 0 }
        let count = brain.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard count > 0 else {
            throw MedSynthError(.invalidArgument, "likeness reference", "holds no brain voxel on the case's grid")
        }
        func scaled(_ v: Volume) -> Volume {
            let inside = zip(v.voxels, brain).compactMap { $1 ? $0 : nil }.sorted()
            let lo = inside[Int(0.01 * Double(inside.count - 1))], hi = inside[Int(0.99 * Double(inside.count - 1))]
            let range = max(hi - lo, 1e-12)
            var out = v
            out.voxels = v.voxels.map { min(max(($0 - lo) / range, 0), 1) }
            return out
        }
        let x = scaled(reference), y = scaled(t1)
        let mask = try VoxelMask(shape: reference.shape, isInside: brain)
        let ssim = try SSIM.compute(x, y, dataRange: 1, mask: mask)
        let r = try ImageMetrics.normalizedCrossCorrelation(x, y, mask: mask)
        return Measurement(ssim: ssim.maskedMean ?? ssim.mean, correlation: r,
                           voxelCount: count)
    }
}

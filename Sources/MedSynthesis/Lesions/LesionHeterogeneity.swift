import MedCore
import MedIO

/// Smooth internal heterogeneity of a lesion: its inserted change is multiplied, voxel by voxel, by
///
///   m(x) = clamp(1 + a·g(x), 0, 2)
///
/// with a = `amplitude` and g a unit-variance Gaussian-smoothed white-noise field (σ = `correlationMM`) drawn from
/// `seed` on the lesion's box. m never changes the sign of the change, so a type keeps its documented appearance
/// everywhere; its mean is ≈ 1, so the lesion's mean contrast stays about what its appearance says. One field per
/// lesion, shared by all its parts and all modalities (one tissue, seen by every modality). Recorded in
/// `LesionParameters.heterogeneity`, so the same seed gives the same field.
public struct LesionHeterogeneity: Codable, Sendable, Equatable {
    /// Seed of the field's white noise.
    public var seed: UInt64
    /// a: the field's standard deviation as a fraction of the change (0: uniform).
    public var amplitude: Double
    /// σ of the field's Gaussian smoothing (mm).
    public var correlationMM: Double

    /// Creates a heterogeneity.
    public init(seed: UInt64, amplitude: Double, correlationMM: Double) {
        self.seed = seed
        self.amplitude = amplitude
        self.correlationMM = correlationMM
    }

    /// m(x) on every voxel of `box` (C order) of a grid with voxel-to-world `affine`.
    ///
    /// The field is drawn on the box itself, so it depends on the box's shape, not on where the box lies.
    public func modulation(box: LesionBox, affine: Affine) -> [Float] {
        var g = SeededGenerator(seed: seed)
        var field = (0..<box.shape.voxelCount).map { _ in Float(g.nextNormal()) }
        let sigma = SIMD3(repeating: correlationMM) / affine.columnLengthsMM
        let kernels = (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: 3),
                       y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: 3),
                       z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: 3))
        GaussianBlur3D.blurSeparable(&field, shape: box.shape, kernels: kernels)
        // Var of smoothed unit white noise = Π over axes of Σ kernel².
        let variance = [kernels.x, kernels.y, kernels.z].map { $0.reduce(Float(0)) { $0 + $1 * $1 } }.reduce(1, *)
        let scale = Float(amplitude) / max(variance, 1e-12).squareRoot()
        return field.map { min(2, max(0, 1 + scale * $0)) }
    }
}

import MedIO

/// `GaussianBlur3D.blurSeparable` (zero padding) made to pad with the image's background instead: the border
/// mean b is subtracted before and added after, so a CT padded with 0 HU does not gain a bright rim.
enum PaddedBlur {
    /// σ in voxels from σ in mm.
    static func kernels(sigmaMM: SIMD3<Double>, spacingMM: SIMD3<Double>) -> (x: [Float], y: [Float], z: [Float]) {
        let s = sigmaMM / spacingMM
        return (GaussianBlur3D.kernel(sigmaVoxels: s.x, radiusSigmas: radiusSigmas),
                GaussianBlur3D.kernel(sigmaVoxels: s.y, radiusSigmas: radiusSigmas),
                GaussianBlur3D.kernel(sigmaVoxels: s.z, radiusSigmas: radiusSigmas))
    }

    /// Kernel truncation in multiples of σ (3σ keeps 99.7 % of the mass).
    static let radiusSigmas = 3.0

    /// The blurred copy of `voxels`.
    static func blur(_ voxels: [Float], shape: VolumeShape, kernels: (x: [Float], y: [Float], z: [Float])) -> [Float] {
        if kernels.x.count == 1, kernels.y.count == 1, kernels.z.count == 1 { return voxels }
        let pad = Float(IntensityStatistics.borderMean(voxels, shape: shape))
        var v = VoxelMap.map(voxels) { $0 - pad }
        GaussianBlur3D.blurSeparable(&v, shape: shape, kernels: kernels)
        VoxelMap.update(&v) { $0 + pad }
        return v
    }
}

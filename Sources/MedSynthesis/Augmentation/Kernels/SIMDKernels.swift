import MedCore
import MedKernels
import MedKernelsV3
import MedKernelsV4

/// `VoxelKernels` at the SIMD level this process uses (`SIMDLevel.active`): the same functions, compiled for
/// baseline x86-64 (`MedKernels`), x86-64-v3 (`MedKernelsV3`, AVX2) or x86-64-v4 (`MedKernelsV4`, AVX-512).
/// All levels give the same bits; only the speed differs.
enum SIMDKernels {
    /// The level used (read once).
    static let level = SIMDLevel.active

    /// `VoxelKernels.addGaussianNoise` at `level` (or at `at` when given: the tests compare levels).
    static func addGaussianNoise(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                                 sigma: Float, seededBy g: SeededGenerator, at: SIMDLevel = level) {
        switch at {
        case .v4: MedKernelsV4.VoxelKernels.addGaussianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        case .v3: MedKernelsV3.VoxelKernels.addGaussianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        case .baseline: MedKernels.VoxelKernels.addGaussianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        }
    }

    /// `VoxelKernels.addRicianNoise` at `level` (or `at`).
    static func addRicianNoise(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                               sigma: Float, seededBy g: SeededGenerator, at: SIMDLevel = level) {
        switch at {
        case .v4: MedKernelsV4.VoxelKernels.addRicianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        case .v3: MedKernelsV3.VoxelKernels.addRicianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        case .baseline: MedKernels.VoxelKernels.addRicianNoise(src, dst, count: count, sigma: sigma, seededBy: g)
        }
    }

    /// `VoxelKernels.gammaCurve` at `level` (or `at`).
    static func gammaCurve(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int,
                           gamma: Float, lower: Float, span: Float, at: SIMDLevel = level) {
        switch at {
        case .v4: MedKernelsV4.VoxelKernels.gammaCurve(src, dst, count: count, gamma: gamma, lower: lower, span: span)
        case .v3: MedKernelsV3.VoxelKernels.gammaCurve(src, dst, count: count, gamma: gamma, lower: lower, span: span)
        case .baseline: MedKernels.VoxelKernels.gammaCurve(src, dst, count: count, gamma: gamma, lower: lower, span: span)
        }
    }

    /// `VoxelKernels.range` at `level` (or `at`).
    static func range(_ p: UnsafePointer<Float>, count: Int, at: SIMDLevel = level) -> (lower: Float, upper: Float) {
        switch at {
        case .v4: return MedKernelsV4.VoxelKernels.range(p, count: count)
        case .v3: return MedKernelsV3.VoxelKernels.range(p, count: count)
        case .baseline: return MedKernels.VoxelKernels.range(p, count: count)
        }
    }

    /// `VoxelKernels.trilinearInterior` at `level` (or `at`).
    static func trilinearInterior(_ src: UnsafePointer<Float>, width: Int, height: Int, base: SIMD3<Float>,
                                  step: SIMD3<Float>, from: Int, to: Int, out: UnsafeMutablePointer<Float>,
                                  at: SIMDLevel = level) -> Int {
        switch at {
        case .v4: return MedKernelsV4.VoxelKernels.trilinearInterior(src, width: width, height: height, base: base, step: step, from: from, to: to, out: out)
        case .v3: return MedKernelsV3.VoxelKernels.trilinearInterior(src, width: width, height: height, base: base, step: step, from: from, to: to, out: out)
        case .baseline: return MedKernels.VoxelKernels.trilinearInterior(src, width: width, height: height, base: base, step: step, from: from, to: to, out: out)
        }
    }

    /// `VoxelKernels.weightedRowSum` at `level` (or `at`).
    static func weightedRowSum(rows: UnsafePointer<UnsafePointer<Float>>, weights: UnsafePointer<Float>, taps: Int,
                               width: Int, out: UnsafeMutablePointer<Float>, at: SIMDLevel = level) {
        switch at {
        case .v4: MedKernelsV4.VoxelKernels.weightedRowSum(rows: rows, weights: weights, taps: taps, width: width, out: out)
        case .v3: MedKernelsV3.VoxelKernels.weightedRowSum(rows: rows, weights: weights, taps: taps, width: width, out: out)
        case .baseline: MedKernels.VoxelKernels.weightedRowSum(rows: rows, weights: weights, taps: taps, width: width, out: out)
        }
    }
}

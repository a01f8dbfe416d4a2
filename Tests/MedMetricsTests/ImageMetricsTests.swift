import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedMetrics

/// MSE / MAE / RMSE / PSNR / NCC against numpy and scikit-image, and their properties.
@Suite struct ImageMetricsTests {
    @Test(arguments: ["pair2d", "pair3d"])
    func matchesNumpyReference(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let shape = MetricsFixture.shape(e)
        let x = MetricsFixture.volume("\(name)_x", shape: shape), y = MetricsFixture.volume("\(name)_y", shape: shape)
        let mask = VoxelMask(MetricsFixture.volume("\(name)_mask", shape: shape))
        func close(_ a: Double, _ key: String) { #expect(Approx.isClose(a, MetricsFixture.double(e, key), rtol: 1e-12), "\(name) \(key)") }
        close(try ImageMetrics.mse(x, y), "mse")
        close(try ImageMetrics.rmse(x, y), "rmse")
        close(try ImageMetrics.mae(x, y), "mae")
        close(try ImageMetrics.psnr(x, y, dataRange: 1), "psnr")
        close(try ImageMetrics.normalizedCrossCorrelation(x, y), "ncc")
        close(try ImageMetrics.mae(x, y, mask: mask), "mae_masked")
        close(try ImageMetrics.psnr(x, y, dataRange: 1, mask: mask), "psnr_masked")
        close(try ImageMetrics.normalizedCrossCorrelation(x, y, mask: mask), "ncc_masked")
    }

    @Test func identicalImagesGiveInfinitePSNRAndZeroErrors() throws {
        let (a, _) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 3, height: 8, width: 9))
        #expect(try ImageMetrics.psnr(a, a, dataRange: 1) == .infinity)
        #expect(try ImageMetrics.mae(a, a) == 0)
        #expect(abs(try ImageMetrics.normalizedCrossCorrelation(a, a) - 1) < 1e-12)
    }

    @Test func maeIsInvariantToACommonOffset() throws {
        let (a, b) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 2, height: 16, width: 16))
        var a2 = a, b2 = b
        // Offsets that are exact in Float for values in [0, 1].
        a2.voxels = a.voxels.map { $0 + 64 }
        b2.voxels = b.voxels.map { $0 + 64 }
        #expect(abs(try ImageMetrics.mae(a, b) - ImageMetrics.mae(a2, b2)) < 1e-5)
        #expect(abs(try ImageMetrics.mae(a, b) - ImageMetrics.mae(b, a)) == 0)
    }

    @Test func rejectsMismatchesAndEmptyMasks() throws {
        let a = Volume(shape: VolumeShape(depth: 1, height: 4, width: 4))
        let b = Volume(shape: VolumeShape(depth: 1, height: 4, width: 5))
        #expect(throws: MedSynthError.self) { try ImageMetrics.mae(a, b) }
        let empty = try VoxelMask(shape: a.shape, isInside: [Bool](repeating: false, count: 16))
        #expect(throws: MedSynthError.self) { try ImageMetrics.mae(a, a, mask: empty) }
        #expect(throws: MedSynthError.self) { try ImageMetrics.psnr(a, a, dataRange: -1) }
        #expect(throws: MedSynthError.self) { try VoxelMask(shape: a.shape, isInside: [true]) }
    }
}

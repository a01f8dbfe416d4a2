import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedMetrics

/// MS-SSIM against a numpy re-implementation of pytorch_msssim (values in expected.json), on the closed-form
/// inputs, which also checks that Swift and numpy build the same arrays.
@Suite struct MSSSIMTests {
    @Test(arguments: ["msssim_synthetic_2d", "msssim_synthetic_3d"])
    func matchesPytorchDefinition(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let (a, b) = SyntheticMetricsInputs.imagePair(shape: MetricsFixture.shape(e))
        // Same inputs as numpy: the sums agree to rounding of the summation order.
        #expect(Approx.isClose(a.voxels.reduce(0) { $0 + Double($1) }, MetricsFixture.double(e, "a_sum"), rtol: 1e-12))
        #expect(Approx.isClose(b.voxels.reduce(0) { $0 + Double($1) }, MetricsFixture.double(e, "b_sum"), rtol: 1e-12))
        #expect(abs(try MSSSIM.compute(a, b, dataRange: 1) - MetricsFixture.double(e, "ms_ssim")) < 1e-9)
        #expect(abs(try SSIM.mean(a, b, dataRange: 1) - MetricsFixture.double(e, "ssim_default")) < 1e-9)
    }

    @Test func identicalImagesGiveOneAndSmallImagesThrow() throws {
        let (a, _) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 1, height: 161, width: 170))
        #expect(abs(try MSSSIM.compute(a, a, dataRange: 1) - 1) < 1e-12)
        let small = Volume(shape: VolumeShape(depth: 1, height: 160, width: 200))
        #expect(throws: MedSynthError.self) { try MSSSIM.compute(small, small, dataRange: 1) }
    }
}

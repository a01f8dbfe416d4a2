import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedMetrics

/// The SynthRAD presets against numpy re-implementations of the 2023 and 2025 evaluation code.
@Suite struct SynthRADTests {
    @Test(arguments: ["ct2d", "ct3d"])
    func presetsMatchChallengeDefinitions(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let shape = MetricsFixture.shape(e)
        let gt = MetricsFixture.volume("\(name)_gt", shape: shape), pred = MetricsFixture.volume("\(name)_pred", shape: shape)
        let mask = MetricsFixture.volume("\(name)_mask", shape: shape)
        let s23 = try SynthRADPreset.synthrad2023.evaluate(realCT: gt, syntheticCT: pred, bodyMask: mask)
        #expect(Approx.isClose(s23.maeHU, MetricsFixture.double(e, "synthrad2023.mae"), rtol: 1e-12))
        #expect(Approx.isClose(s23.psnrDB, MetricsFixture.double(e, "synthrad2023.psnr"), rtol: 1e-12))
        #expect(abs(s23.ssim! - MetricsFixture.double(e, "synthrad2023.ssim")) < 1e-9)
        #expect(s23.msSSIM == nil)
        let s25 = try SynthRADPreset.synthrad2025.evaluate(realCT: gt, syntheticCT: pred, bodyMask: mask)
        #expect(Approx.isClose(s25.maeHU, MetricsFixture.double(e, "synthrad2025.mae"), rtol: 1e-12))
        #expect(Approx.isClose(s25.psnrDB, MetricsFixture.double(e, "synthrad2025.psnr"), rtol: 1e-12))
        #expect(abs(s25.msSSIM! - MetricsFixture.double(e, "synthrad2025.ms_ssim")) < 1e-9)
        #expect(s25.ssim == nil)
    }

    @Test func perfectPredictionScoresPerfectly() throws {
        let e = MetricsFixture.section("ct3d")
        let shape = MetricsFixture.shape(e)
        let gt = MetricsFixture.volume("ct3d_gt", shape: shape), mask = MetricsFixture.volume("ct3d_mask", shape: shape)
        let s = try SynthRADPreset.synthrad2025.evaluate(realCT: gt, syntheticCT: gt, bodyMask: mask)
        #expect(s.maeHU == 0 && s.psnrDB == .infinity && abs(s.msSSIM! - 1) < 1e-12)
        let empty = Volume(shape: shape)
        #expect(throws: MedSynthError.self) { try SynthRADPreset.synthrad2023.evaluate(realCT: gt, syntheticCT: gt, bodyMask: empty) }
    }
}

import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedMetrics

/// SSIM against scikit-image (fixture values), against the direct-loop oracle, and its properties.
@Suite struct SSIMTests {
    static let cases = ["pair2d", "pair3d"]

    @Test(arguments: cases)
    func matchesScikitImageBothModes(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let shape = MetricsFixture.shape(e)
        let x = MetricsFixture.volume("\(name)_x", shape: shape), y = MetricsFixture.volume("\(name)_y", shape: shape)
        let mask = VoxelMask(MetricsFixture.volume("\(name)_mask", shape: shape))
        for (mode, options) in [("default", SSIMOptions.scikitImageDefault), ("wang2004", SSIMOptions.wang2004)] {
            let r = try SSIM.compute(x, y, dataRange: 1, options: options, mask: mask)
            // skimage on float64 input (the definition) and on float32 input (computed in float32).
            #expect(abs(r.mean - MetricsFixture.double(e, "ssim_\(mode).mean")) < 1e-9, "\(name) \(mode)")
            #expect(abs(r.mean - MetricsFixture.double(e, "ssim_\(mode)_f32")) < 1e-5, "\(name) \(mode) f32")
            #expect(abs(r.maskedMean! - MetricsFixture.double(e, "ssim_\(mode).masked")) < 1e-9, "\(name) \(mode) masked")
        }
    }

    @Test(arguments: cases)
    func fastEngineMatchesDirectWindowOracle(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let shape = MetricsFixture.shape(e)
        let x = MetricsFixture.volume("\(name)_x", shape: shape), y = MetricsFixture.volume("\(name)_y", shape: shape)
        let mask = VoxelMask(MetricsFixture.volume("\(name)_mask", shape: shape))
        for options in [SSIMOptions.scikitImageDefault, .wang2004, SSIMOptions(window: .uniform(size: 5), sampleCovariance: false)] {
            let fast = try SSIM.compute(x, y, dataRange: 1, options: options, mask: mask)
            let slow = SSIMReference.ssim(x, y, dataRange: 1, options: options, mask: mask.isInside)
            #expect(abs(fast.mean - slow.mean) < 1e-12)
            #expect(abs(fast.maskedMean! - slow.masked!) < 1e-12)
        }
    }

    @Test func mapHasFullShapeAndItsCroppedMeanIsTheMean() throws {
        let e = MetricsFixture.section("pair3d")
        let shape = MetricsFixture.shape(e)
        let x = MetricsFixture.volume("pair3d_x", shape: shape), y = MetricsFixture.volume("pair3d_y", shape: shape)
        let r = try SSIM.compute(x, y, dataRange: 1, keepMap: true)
        let map = try #require(r.map)
        #expect(map.shape == shape)
        var s = 0.0, n = 0
        for k in 3..<(shape.depth - 3) { for j in 3..<(shape.height - 3) { for i in 3..<(shape.width - 3) {
            s += Double(map[k, j, i]); n += 1
        } } }
        #expect(abs(s / Double(n) - r.mean) < 1e-6)
    }

    @Test func identicalImagesGiveOneAndSSIMIsSymmetric() throws {
        let (a, b) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 1, height: 40, width: 33))
        #expect(abs(try SSIM.mean(a, a, dataRange: 1) - 1) < 1e-12)
        #expect(abs(try SSIM.mean(a, a, dataRange: 1, options: .wang2004) - 1) < 1e-12)
        #expect(abs(try SSIM.mean(a, b, dataRange: 1) - SSIM.mean(b, a, dataRange: 1)) < 1e-14)
        let (c, d) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 12, height: 13, width: 14))
        #expect(abs(try SSIM.mean(c, c, dataRange: 1, options: .wang2004) - 1) < 1e-12)
        #expect(abs(try SSIM.mean(c, d, dataRange: 1) - SSIM.mean(d, c, dataRange: 1)) < 1e-14)
    }

    @Test func resultDoesNotDependOnTheSplitIntoRows() throws {
        // Many rows per band vs the oracle on a non-square image with odd sizes.
        let (a, b) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 1, height: 101, width: 67))
        let fast = try SSIM.mean(a, b, dataRange: 1)
        let slow = SSIMReference.ssim(a, b, dataRange: 1, options: .scikitImageDefault).mean
        #expect(abs(fast - slow) < 1e-12)
    }

    @Test func errorsMirrorScikitImage() throws {
        let small = Volume(shape: VolumeShape(depth: 1, height: 6, width: 30))
        #expect(throws: MedSynthError.self) { try SSIM.mean(small, small, dataRange: 1) }
        let thin = Volume(shape: VolumeShape(depth: 5, height: 30, width: 30))
        #expect(throws: MedSynthError.self) { try SSIM.mean(thin, thin, dataRange: 1) }
        let ok = Volume(shape: VolumeShape(depth: 1, height: 9, width: 9))
        #expect(throws: MedSynthError.self) { try SSIM.mean(ok, ok, dataRange: 0) }
        #expect(throws: MedSynthError.self) { try SSIM.mean(ok, ok, dataRange: 1, options: .wang2004) }
        let other = Volume(shape: VolumeShape(depth: 1, height: 9, width: 10))
        #expect(throws: MedSynthError.self) { try SSIM.mean(ok, other, dataRange: 1) }
    }
}

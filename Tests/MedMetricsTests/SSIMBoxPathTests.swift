import Foundation
import Testing
import MedIO
import MedTestSupport
@testable import MedMetrics

/// The 2D box-window path (`SSIMBoxWorker2D`: two rows per SIMD lane pair, fixed bands) against the direct
/// window-loop oracle and against the general separable path, on shapes that exercise its edges: images as
/// small as the window, odd band lengths (lane 1 one row short), several bands, masks, the full map, the cs
/// sums and Double inputs.
@Suite struct SSIMBoxPathTests {
    /// Heights around the band length (128 output rows after cropping) and the window; widths from the window
    /// size up.
    static let shapes: [(height: Int, width: Int)] = [(7, 7), (8, 9), (13, 7), (9, 300), (101, 67), (134, 40),
                                                      (135, 41), (263, 70)]

    /// The same uniform window, but flagged as weighted so that `SSIMEngine.run` takes the general path
    /// (direct taps instead of running box sums).
    static func generalPathWindow(size: Int) -> SSIMWindow {
        SSIMWindow(weights: SSIMWindow.uniform(size: size).weights, isUniform: false)
    }

    /// A deterministic mask with about two thirds of the voxels set, and the middle column (so that the
    /// cropped interior of a window-sized image is never empty).
    static func mask(_ shape: VolumeShape) -> [Bool] {
        (0..<shape.voxelCount).map { SyntheticMetricsInputs.hash($0, salt: 7) % 3 != 0 || $0 % shape.width == shape.width / 2 }
    }

    @Test func meanAndMaskedMeanMatchTheDirectOracle() throws {
        for (h, w) in Self.shapes {
            let shape = VolumeShape(depth: 1, height: h, width: w)
            let (a, b) = SyntheticMetricsInputs.imagePair(shape: shape)
            let m = Self.mask(shape)
            for options in [SSIMOptions.scikitImageDefault, SSIMOptions(window: .uniform(size: 5), sampleCovariance: false)] {
                guard h >= options.engineWindow.size, w >= options.engineWindow.size else { continue }
                let fast = try SSIM.compute(a, b, dataRange: 1, options: options, mask: try VoxelMask(shape: shape, isInside: m))
                let slow = SSIMReference.ssim(a, b, dataRange: 1, options: options, mask: m)
                #expect(abs(fast.mean - slow.mean) < 1e-12, "\(h)x\(w)")
                #expect(abs(fast.maskedMean! - slow.masked!) < 1e-12, "\(h)x\(w) masked")
            }
        }
    }

    @Test func sumsMapAndCSMatchTheGeneralPath() {
        for (h, w) in Self.shapes {
            let shape = VolumeShape(depth: 1, height: h, width: w)
            let (a, b) = SyntheticMetricsInputs.imagePair(shape: shape)
            // Double inputs on another scale (as the SynthRAD presets pass them), and Float inputs.
            let ad = a.voxels.map { 4000 * Double($0) }, bd = b.voxels.map { 4000 * Double($0) - 25 }
            let formula = StandardSSIMFormula(c1: 0.0001, c2: 0.0009), formulaHU = StandardSSIMFormula(c1: 1600, c2: 14400)
            let m = Self.mask(shape)
            for wantMap in [false, true] {
                let box = SSIMEngine.run(x: a.voxels, y: b.voxels, shape: shape, window: .uniform(size: 7), covNorm: 49.0 / 48,
                                         formula: formula, crop: 3, mask: m, wantMap: wantMap)
                let general = SSIMEngine.run(x: a.voxels, y: b.voxels, shape: shape, window: Self.generalPathWindow(size: 7),
                                             covNorm: 49.0 / 48, formula: formula, crop: 3, mask: m, wantMap: wantMap)
                expectSameSums(box.sums, general.sums, "\(h)x\(w) map \(wantMap)")
                #expect((box.map == nil) == !wantMap)
                if let bm = box.map, let gm = general.map {
                    #expect(Approx.maxAbsDifference(bm, gm) < 1e-6, "\(h)x\(w) map")
                }
                let boxHU = SSIMEngine.run(x: ad, y: bd, shape: shape, window: .uniform(size: 7), covNorm: 1,
                                           formula: formulaHU, crop: 3, mask: m, wantMap: wantMap)
                let generalHU = SSIMEngine.run(x: ad, y: bd, shape: shape, window: Self.generalPathWindow(size: 7),
                                               covNorm: 1, formula: formulaHU, crop: 3, mask: m, wantMap: wantMap)
                expectSameSums(boxHU.sums, generalHU.sums, "\(h)x\(w) Double map \(wantMap)")
            }
        }
    }

    /// Sums agree to rounding: counts exactly, sums to 1e-12 per voxel.
    func expectSameSums(_ a: SSIMSums, _ b: SSIMSums, _ what: String) {
        #expect(a.count == b.count && a.maskedCount == b.maskedCount, "\(what) counts")
        let n = Double(max(a.count, 1))
        #expect(abs(a.sum - b.sum) / n < 1e-12, "\(what) sum")
        #expect(abs(a.csSum - b.csSum) / n < 1e-12, "\(what) cs")
        #expect(abs(a.maskedSum - b.maskedSum) / n < 1e-12, "\(what) masked")
        #expect(abs(a.maskedCSSum - b.maskedCSSum) / n < 1e-12, "\(what) masked cs")
    }
}

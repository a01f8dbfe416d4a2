import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedMetrics

/// Dice / IoU / HD95 / ASSD against the scipy reference (anisotropic spacing), empty cases and symmetry.
@Suite struct SegmentationMetricsTests {
    @Test(arguments: ["seg2d", "seg3d"])
    func matchesScipyReference(_ name: String) throws {
        let e = MetricsFixture.section(name)
        let shape = MetricsFixture.shape(e)
        let sp = e["spacing_xyz"] as! [Double]
        let spacing = SIMD3(sp[0], sp[1], sp[2])
        let ref = MetricsFixture.volume("\(name)_ref", shape: shape, spacingMM: spacing)
        let pred = MetricsFixture.volume("\(name)_pred", shape: shape, spacingMM: spacing)
        let pooled = try SegmentationMetrics.evaluate(reference: ref, prediction: pred, convention: .pooledSurfaceDistances)
        let monai = try SegmentationMetrics.evaluate(reference: ref, prediction: pred)  // the default convention
        let expected = e["labels"] as! [[String: Any]]
        #expect(pooled.map(\.label) == [1, 2, 3])
        for (n, x) in expected.enumerated() {
            let got = pooled[n]
            #expect(got.referenceVoxels == x["ref_voxels"] as! Int && got.predictionVoxels == x["pred_voxels"] as! Int)
            #expect(Approx.isClose(got.dice, MetricsFixture.double(x, "dice"), rtol: 1e-12))
            #expect(Approx.isClose(got.iou, MetricsFixture.double(x, "iou"), rtol: 1e-12))
            if x["hd95"] != nil {
                #expect(Approx.isClose(got.hd95MM!, MetricsFixture.double(x, "hd95"), rtol: 1e-12), "label \(got.label)")
                #expect(Approx.isClose(monai[n].hd95MM!, MetricsFixture.double(x, "hd95_max_directed"), rtol: 1e-12))
                #expect(Approx.isClose(got.hausdorffMM!, MetricsFixture.double(x, "hausdorff"), rtol: 1e-12))
                #expect(Approx.isClose(got.assdMM!, MetricsFixture.double(x, "assd"), rtol: 1e-12))
            } else {
                #expect(got.hd95MM == nil && got.assdMM == nil && got.hausdorffMM == nil)
            }
        }
    }

    @Test func emptyCases() {
        let shape = VolumeShape(depth: 4, height: 5, width: 6)
        let none = [Bool](repeating: false, count: shape.voxelCount)
        var some = none
        some[37] = true
        let both = SegmentationMetrics.binary(reference: none, prediction: none, shape: shape, spacingMM: SIMD3(1, 1, 1))
        #expect(both.dice == 1 && both.iou == 1 && both.hd95MM == nil && both.assdMM == nil)
        let one = SegmentationMetrics.binary(reference: some, prediction: none, shape: shape, spacingMM: SIMD3(1, 1, 1))
        #expect(one.dice == 0 && one.iou == 0 && one.hd95MM == nil)
        let same = SegmentationMetrics.binary(reference: some, prediction: some, shape: shape, spacingMM: SIMD3(1, 1, 1))
        #expect(same.dice == 1 && same.hd95MM == 0 && same.assdMM == 0)
    }

    @Test func symmetricInReferenceAndPrediction() throws {
        let (a, b) = SyntheticMetricsInputs.maskPair(shape: VolumeShape(depth: 30, height: 34, width: 40), spacingMM: SIMD3(0.7, 0.9, 2))
        let ab = try SegmentationMetrics.evaluate(reference: a, prediction: b)[0]
        let ba = try SegmentationMetrics.evaluate(reference: b, prediction: a)[0]
        #expect(ab.dice == ba.dice && ab.iou == ba.iou)
        #expect(abs(ab.hd95MM! - ba.hd95MM!) < 1e-12 && abs(ab.assdMM! - ba.assdMM!) < 1e-12)
    }

    @Test func percentileMatchesNumpyLinear() {
        // np.percentile([1, 2, 4, 8, 16], [0, 95, 50, 100]) = [1, 14.4, 4, 16]
        let s = [1.0, 2, 4, 8, 16]
        #expect(abs(SegmentationMetrics.percentile(sorted: s, 95) - 14.4) < 1e-12)
        #expect(SegmentationMetrics.percentile(sorted: s, 50) == 4)
        #expect(SegmentationMetrics.percentile(sorted: s, 0) == 1 && SegmentationMetrics.percentile(sorted: s, 100) == 16)
    }

    @Test func rejectsDifferentSpacing() {
        let a = Volume(shape: VolumeShape(depth: 2, height: 3, width: 3), affine: Affine(spacingMM: SIMD3(1, 1, 1)))
        let b = Volume(shape: VolumeShape(depth: 2, height: 3, width: 3), affine: Affine(spacingMM: SIMD3(1, 1, 2)))
        #expect(throws: MedSynthError.self) { try SegmentationMetrics.evaluate(reference: a, prediction: b) }
    }
}

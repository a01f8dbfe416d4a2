import Testing
import MedCore
@testable import MedIO

@Suite struct VolumeTests {
    @Test func indexingIsWidthFastest() {
        var v = Volume(shape: VolumeShape(depth: 2, height: 3, width: 4))
        v[1, 2, 3] = 7
        #expect(v.voxels[1 * 12 + 2 * 4 + 3] == 7)
        #expect(v.voxels.count == 24)
    }

    @Test func sliceKeepsWorldPosition() throws {
        let affine = Affine(spacingMM: SIMD3(0.5, 0.5, 2), originMM: SIMD3(-10, -20, -30))
        let v = Volume(shape: VolumeShape(depth: 3, height: 2, width: 2), voxels: (0..<12).map(Float.init), affine: affine, modality: .ct)
        let s = v.slice(2)
        #expect(s.voxels == [8, 9, 10, 11])
        #expect(s.affine.apply(SIMD3(0, 0, 0)) == affine.apply(SIMD3(0, 0, 2)))
        #expect(s.unit == .hounsfield)
        #expect(v.spacingMM == SIMD3(0.5, 0.5, 2))
        #expect(try Volume.stacking([v.slice(0), v.slice(1), v.slice(2)]).voxels == v.voxels)
    }

    @Test func absurdHeaderExtentsAreRejectedBeforeAllocation() {
        #expect(throws: MedSynthError.self) {
            _ = try VolumeShape.validated(depth: 1 << 14, height: 1 << 13, width: 1 << 13, file: "big.nii")
        }
        #expect(throws: MedSynthError.self) {
            _ = try VolumeShape.validated(depth: 0, height: 1, width: 1, file: "zero.nii")
        }
        #expect(throws: MedSynthError.self) {
            _ = try VolumeShape.validated(depth: Int.max, height: 3, width: 3, file: "overflow.nii")
        }
    }

    @Test func statisticsSkipNonFinite() {
        let s = VolumeStatistics([1, 2, 3, .nan, .infinity])
        #expect(s.min == 1 && s.max == 3 && s.mean == 2)
        #expect(abs(s.std - (2.0 / 3.0).squareRoot()) < 1e-12)
        #expect(s.nonFiniteCount == 2)
    }
}

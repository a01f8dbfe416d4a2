import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// `medsynth augment` measures each recorded lesion again on the augmented label map: the marks survive the
/// pipeline and are removed, and the geometry follows the lesion (flip: mirrored exactly; rotation: every
/// lesion voxel accounted for, each inside its record's box).
@Suite struct AugmentLesionTrackingTests {
    /// Marking then unmarking restores the labels bit for bit and counts each box's lesion voxels; voxels of
    /// lesion labels outside every box, and tissue labels, are left alone.
    @Test func markAndUnmarkRoundTrip() {
        let grid = VolumeShape(depth: 6, height: 7, width: 8)
        var labels = [Float](repeating: 8, count: grid.voxelCount)
        func at(_ k: Int, _ j: Int, _ i: Int) -> Int { (k * grid.height + j) * grid.width + i }
        for (k, j, i, l) in [(1, 1, 1, 10), (1, 2, 1, 10), (2, 2, 2, 11), (4, 5, 6, 13), (4, 5, 5, 12), (5, 0, 0, 10)] {
            labels[at(k, j, i)] = Float(l)
        }
        let original = labels
        let boxes: [LesionBox?] = [LesionBox(originK: 0, originJ: 0, originI: 0, shape: VolumeShape(depth: 4, height: 4, width: 4)),
                                   nil,
                                   LesionBox(originK: 3, originJ: 4, originI: 4, shape: VolumeShape(depth: 3, height: 3, width: 4))]
        let margins = AugmentLesionTracking.mark(&labels, grid: grid, boxes: boxes)
        #expect(labels != original && labels[at(5, 0, 0)] == 10 && labels[at(0, 0, 0)] == 8)
        #expect(margins[0] == AugmentLesionTracking.Margins(before: SIMD3(1, 1, 1), after: SIMD3(1, 1, 1)))
        #expect(margins[1] == nil)
        #expect(margins[2] == AugmentLesionTracking.Margins(before: SIMD3(1, 1, 1), after: SIMD3(1, 1, 1)))
        let measured = AugmentLesionTracking.unmark(&labels, grid: grid, count: 3)
        #expect(labels == original)
        #expect(measured[0].countByLabel == [10: 2, 11: 1] && measured[0].indexSum == SIMD3(4, 5, 4))
        #expect(measured[1].voxelCount == 0)
        #expect(measured[2].countByLabel == [12: 1, 13: 1] && measured[2].lower == SIMD3(4, 5, 5) && measured[2].upper == SIMD3(4, 5, 6))
    }

    /// A phantom dataset with lesions, augmented by one step; the augmented case's records and labels.
    static func augment(_ yaml: String, caseIndex: Int = 1) throws -> (source: [[String: Any]], augmented: [[String: Any]],
                                                                       labels: Volume, sourceLabels: Volume) {
        try HDF5TestGate.exclusive {
            let dir = try Fixtures.temporaryFolder("augment-lesions")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("p.h5")
            _ = try LesionDatasetTests.writePhantomDataset(url, lesions: true)
            let stored = try MedSynthDataset.readCase("case00\(caseIndex)", in: url)
            let builder = try AugmentDatasetBuilder(source: url, pipeline: try AugmentationPipeline(yaml: yaml), perCase: 1,
                                                    seed: 4, commandLine: "test")
            let made = try builder.makeCase(caseIndex)
            func records(_ json: String) throws -> [[String: Any]] {
                try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            }
            return (try records(stored.provenance!.lesionsJSON), try records(made.provenance.lesionsJSON),
                    try #require(made.volumes.first { $0.modality == .label }), try #require(stored.volume(.label)))
        }
    }

    static func box(_ record: [String: Any]) throws -> LesionBox {
        try #require(LesionDatasetBuilder.box(from: record["box"]))
    }

    /// A flip along width mirrors every lesion: the same voxel counts and sub-region counts, the centroid's
    /// column mirrored, the box of the same size, and the label map free of marks.
    @Test func flipMirrorsTheRecordedGeometry() throws {
        let (source, augmented, labels, sourceLabels) = try Self.augment("""
            transforms:
              - transform: flip
                probability: 1.0
                axes: [width]
                probabilityPerAxis: 1.0
            """)
        #expect(!source.isEmpty && augmented.count == source.count)
        #expect(labels.voxels.allSatisfy { $0 >= 0 && $0 <= 13 })
        #expect(labels.voxels.filter(LesionSubRegion.isLesionLabel).count == sourceLabels.voxels.filter(LesionSubRegion.isLesionLabel).count)
        let w = Double(labels.shape.width)
        for (before, after) in zip(source, augmented) {
            #expect(after["voxelCount"] as? Int == before["voxelCount"] as? Int)
            #expect((before["voxelCount"] as? Int ?? 0) > 0)
            #expect(after["labels"] as? [Int] == before["labels"] as? [Int])
            let c0 = try #require(before["centroidVoxel"] as? [Double]), c1 = try #require(after["centroidVoxel"] as? [Double])
            #expect(abs(c1[0] - c0[0]) < 1e-9 && abs(c1[1] - c0[1]) < 1e-9 && abs(c1[2] - (w - 1 - c0[2])) < 1e-9)
            // Rows and slices are untouched by a width flip; the box's columns hold the mirrored lesion.
            let b0 = try Self.box(before), b1 = try Self.box(after)
            #expect(b1.originK == b0.originK && b1.originJ == b0.originJ)
            #expect(b1.shape.depth == b0.shape.depth && b1.shape.height == b0.shape.height && b1.shape.width <= b0.shape.width)
            #expect(Double(b1.originI) <= c1[2] && c1[2] <= Double(b1.originI + b1.shape.width - 1))
            #expect(after["contrast"] as? [String: Double] == before["contrast"] as? [String: Double])
            let world = try #require(after["centroidWorldMM"] as? [Double])
            let expected = labels.affine.apply(SIMD3(c1[2], c1[1], c1[0]))
            #expect(abs(world[0] - expected.x) < 1e-9 && abs(world[1] - expected.y) < 1e-9 && abs(world[2] - expected.z) < 1e-9)
        }
    }

    /// A rotation with a translation moves the lesions off their old boxes; afterwards every lesion voxel of the
    /// label map is counted by exactly one record, and each record's voxels lie in its new box.
    @Test func affineMovesTheBoxesWithTheLesions() throws {
        let (source, augmented, labels, _) = try Self.augment("""
            transforms:
              - transform: affine
                probability: 1.0
                rotationDegrees: [12, 15]
                scale: [1.1, 1.15]
                translationMM: [4, 6]
            """)
        #expect(!source.isEmpty && augmented.count == source.count)
        #expect(labels.voxels.allSatisfy { $0 >= 0 && $0 <= 13 })
        let lesionVoxels = labels.voxels.filter(LesionSubRegion.isLesionLabel).count
        let counted = augmented.reduce(0) { $0 + ($1["voxelCount"] as? Int ?? 0) }
        #expect(lesionVoxels > 0 && counted == lesionVoxels)
        var moved = false
        for (before, after) in zip(source, augmented) {
            let b1 = try Self.box(after)
            var inBox = 0
            b1.forEachVoxel(on: labels.shape) { _, g, _, _, _ in if LesionSubRegion.isLesionLabel(labels.voxels[g]) { inBox += 1 } }
            #expect(inBox >= after["voxelCount"] as? Int ?? .max)
            let c = try #require(after["centroidVoxel"] as? [Double])
            #expect(Double(b1.originK) <= c[0] && c[0] <= Double(b1.originK + b1.shape.depth - 1))
            #expect(Double(b1.originI) <= c[2] && c[2] <= Double(b1.originI + b1.shape.width - 1))
            let volume = try #require(after["volumeMM3"] as? Double)
            #expect(abs(volume - Double(after["voxelCount"] as? Int ?? 0) * LesionMeasurement.voxelVolumeMM3(labels.affine)) < 1e-6)
            if try Self.box(before) != b1 { moved = true }
        }
        #expect(moved)
    }
}

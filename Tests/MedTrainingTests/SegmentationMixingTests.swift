import Foundation
import MedCore
import MedIO
import Testing
@testable import MedTraining

/// `SegmentationDataset`'s mixing control and patch sources, on cases whose voxels all hold the case's number, so
/// every patch says which case it came from.
@Suite struct SegmentationMixingTests {
    static func dataset(cases n: Int, batch: Int) throws -> SegmentationDataset {
        let shape = VolumeShape(depth: 2, height: 16, width: 16)
        let cases = (0..<n).map { i in
            SegmentationCase(fileIndex: 0, caseID: "case\(i)", shape: shape, affine: .identity,
                             channels: [[Float](repeating: Float(i), count: shape.voxelCount)], mappings: [],
                             classes: [Float](repeating: 0, count: shape.voxelCount), foreground: [])
        }
        var config = SegmentationRunConfig()
        config.data.patchSize = [8, 8]
        config.data.batchSize = batch
        config.network.depth = 3
        return try SegmentationDataset(files: [URL(fileURLWithPath: "/dev/null")], cases: cases, trainingCaseCount: n,
                                       config: config, generator: SeededGenerator(seed: 7))
    }

    /// The case of each batch item (the value of its first voxel).
    static func sources(_ images: [Float], batch: Int) -> [Int] {
        (0..<batch).map { Int(images[$0 * 64]) }
    }

    /// With 2 real cases among 6 and realFraction 0.5, the first 4 of 8 items are always real and the other 4
    /// never; without mixing all six cases appear anywhere.
    @Test func realFractionOfEveryBatchIsReal() throws {
        let mixed = try Self.dataset(cases: 6, batch: 8)
        mixed.mixing = (2, 0.5)
        var seen = Set<Int>()
        for _ in 0..<50 {
            let s = Self.sources(mixed.nextBatch().images.scalars, batch: 8)
            #expect(s.prefix(4).allSatisfy { $0 < 2 } && s.suffix(4).allSatisfy { $0 >= 2 }, "\(s)")
            seen.formUnion(s)
        }
        #expect(seen == Set(0..<6))
        let uniform = try Self.dataset(cases: 6, batch: 8)
        var early = Set<Int>()
        for _ in 0..<50 { early.formUnion(Self.sources(uniform.nextBatch().images.scalars, batch: 8).prefix(4)) }
        #expect(early.count > 2)
        // A fraction of 0.25 of 8 items is 2 real ones; no added cases (realCaseCount = all) is uniform again.
        let quarter = try Self.dataset(cases: 6, batch: 8)
        quarter.mixing = (2, 0.25)
        let q = Self.sources(quarter.nextBatch().images.scalars, batch: 8)
        #expect(q.prefix(2).allSatisfy { $0 < 2 } && q.suffix(6).allSatisfy { $0 >= 2 })
        let all = try Self.dataset(cases: 6, batch: 8)
        all.mixing = (6, 0.5)
        let plain = try Self.dataset(cases: 6, batch: 8)
        #expect(all.nextBatch().images.scalars == plain.nextBatch().images.scalars)
    }

    /// A patch source replaces the copy: it gets the drawn case, origin and patch size, and the dataset's generator.
    @Test func patchSourceMakesEveryPatch() throws {
        let d = try Self.dataset(cases: 3, batch: 4)
        nonisolated(unsafe) var calls: [(String, [Int], [Int])] = []
        let batch = try d.nextBatch { item, origin, patch, g in
            calls.append((item.caseID, origin, patch))
            _ = g.next()
            return ([[Float](repeating: 9, count: 64)], [Float](repeating: 1, count: 64))
        }
        #expect(calls.count == 4)
        #expect(calls.allSatisfy { $0.2 == [1, 8, 8] && $0.1.count == 3 && $0.1[0] < 2 && $0.1[1] <= 8 && $0.1[2] <= 8 })
        #expect(batch.images.scalars.allSatisfy { $0 == 9 } && batch.labels.scalars.allSatisfy { $0 == 1 })
        #expect(batch.images.shape == [4, 1, 8, 8])
        // A throwing source stops the batch with its error.
        #expect(throws: MedSynthError.self) {
            _ = try d.nextBatch { _, _, _, _ in throw MedSynthError(.invalidArgument, "patch", "refused") }
        }
    }
}

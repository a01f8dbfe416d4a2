import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// The lesion model on its own and on a user's volumes: shapes, sizes, placement, metadata, contrast.
@Suite struct LesionModelTests {
    /// Recounts a lesion's voxels from the label map: (count, mean (k, j, i)).
    static func recount(_ labels: Volume, box: LesionBox) -> (Int, [Double]) {
        var n = 0
        var sum = [0.0, 0.0, 0.0]
        for k in box.originK..<(box.originK + box.shape.depth) {
            for j in box.originJ..<(box.originJ + box.shape.height) {
                for i in box.originI..<(box.originI + box.shape.width) where labels[k, j, i] >= 10 {
                    n += 1
                    sum[0] += Double(k); sum[1] += Double(j); sum[2] += Double(i)
                }
            }
        }
        return (n, sum.map { $0 / Double(max(n, 1)) })
    }

    static func checkMetadata(_ labels: Volume, _ records: [LesionRecord], sourceLocation: SourceLocation = #_sourceLocation) {
        let voxelMM3 = labels.spacingMM.x * labels.spacingMM.y * labels.spacingMM.z
        var total = 0
        for r in records {
            let (n, centroid) = recount(labels, box: r.box)
            total += n
            #expect(r.voxelCount == n && n > 0, "lesion \(r.index): \(r.voxelCount) in metadata, \(n) in the label map", sourceLocation: sourceLocation)
            #expect(abs(r.volumeMM3 - Double(n) * voxelMM3) < 1e-6 * r.volumeMM3, sourceLocation: sourceLocation)
            #expect(zip(r.centroidVoxel, centroid).allSatisfy { abs($0 - $1) < 1e-9 }, "\(r.centroidVoxel) vs \(centroid)", sourceLocation: sourceLocation)
            let world = labels.affine.apply(SIMD3(centroid[2], centroid[1], centroid[0]))
            #expect(zip(r.centroidWorldMM, [world.x, world.y, world.z]).allSatisfy { abs($0 - $1) < 1e-9 }, sourceLocation: sourceLocation)
            if !r.subRegions.isEmpty {
                #expect(r.subRegions.reduce(0) { $0 + $1.voxelCount } == n, sourceLocation: sourceLocation)
                #expect(abs(r.subRegions.reduce(0) { $0 + $1.volumeMM3 } - r.volumeMM3) < 1e-6 * r.volumeMM3, sourceLocation: sourceLocation)
            }
        }
        // No lesion voxel lies outside the recorded boxes.
        #expect(labels.voxels.filter { $0 >= 10 }.count == total, sourceLocation: sourceLocation)
    }

    @Test func metadataEqualsACountOverTheLabelMap() {
        let r = LesionFixture.userResult
        #expect(r.lesions.count == 3)
        Self.checkMetadata(r.labels, r.lesions)
        Self.checkMetadata(LesionFixture.userSubRegionResult.labels, LesionFixture.userSubRegionResult.lesions)
    }

    @Test func lesionsLieInsideTheMaskAndApartFromEachOther() {
        for result in [LesionFixture.userResult, LesionFixture.userSubRegionResult] {
            for n in result.labels.voxels.indices where result.labels.voxels[n] >= 10 {
                #expect(LesionFixture.brainMask.voxels[n] == 1, "lesion voxel \(n) outside the mask")
            }
            for (a, b) in zip(result.lesions, result.lesions.dropFirst()) {
                #expect(!a.box.intersects(b.box), "lesions \(a.index) and \(b.index) share voxels")
            }
        }
    }

    @Test func blendedContrastFollowsTheConfiguredDirection() throws {
        for record in LesionFixture.userResult.lesions {
            let c = record.contrast
            #expect(try #require(c["CT"]) < -2, "CT: \(c)")        // hypodense: −12…−4 HU
            #expect(try #require(c["T1"]) < -0.05, "T1: \(c)")     // T1 hypointense
            #expect(try #require(c["T2"]) > 0.2, "T2: \(c)")       // T2 hyperintense
            #expect(try #require(c["FLAIR"]) > 0.2, "FLAIR: \(c)") // FLAIR hyperintense
            #expect(try #require(c["PET"]) > 0.2, "PET: \(c)")     // hot
        }
        // A hyperdense, PET-cold configuration reverses those two.
        var s = LesionFixture.settings()
        s.wholeAppearance.ctDeltaHU = 40...60
        s.wholeAppearance.suvRatio = 0.3...0.5
        let cold = try VolumeLesionInserter(settings: s).insert(into: LesionFixture.images, labels: nil,
                                                                mask: LesionFixture.brainMask, using: SeededGenerator(seed: 5))
        for record in cold.lesions {
            #expect(try #require(record.contrast["CT"]) > 20)
            #expect(try #require(record.contrast["PET"]) < -0.3)
        }
        // Outside the lesions' reach the images are untouched.
        for (before, after) in zip(LesionFixture.images, cold.images) {
            for n in before.voxels.indices where LesionFixture.brainMask.voxels[n] == 0 {
                #expect(before.voxels[n] == after.voxels[n])
            }
        }
    }

    @Test func subRegionsNestAndKeepTheirAppearance() throws {
        let r = LesionFixture.userSubRegionResult
        #expect(!r.lesions.isEmpty)
        for record in r.lesions {
            let parts = Dictionary(uniqueKeysWithValues: record.subRegions.map { ($0.region, $0) })
            let oedema = try #require(parts[.oedema]), rim = try #require(parts[.enhancingRim])
            #expect(oedema.label == 12 && rim.label == 13)
            #expect(try #require(rim.contrast["T1"]) > 0, "enhancing rim should be bright on T1: \(rim.contrast)")
            #expect(try #require(oedema.contrast["FLAIR"]) > 0)
            if let core = parts[.necroticCore] {
                #expect(core.label == 11)
                #expect(try #require(core.contrast["PET"]) < 0, "necrosis should be PET-cold: \(core.contrast)")
            }
        }
        #expect(Set(r.labels.voxels.filter { $0 >= 10 }).isSubset(of: [11, 12, 13]))
    }

    @Test func sphereVolumeMatchesTheRadius() throws {
        // An unperturbed ellipsoid with equal axes is a sphere: its labelled volume (coverage ≥ 1/2) is 4/3·π·R³.
        var s = LesionFixture.settings(count: 1, radius: 8)
        s.radiusLogSigma = 0
        s.shapeKinds = [.perturbedEllipsoid]
        s.ellipsoidAxisFactor = 1...1
        s.surfacePerturbation = 0...0
        let full = Volume(shape: LesionFixture.grid, filledWith: 1, affine: LesionFixture.affine, modality: .label)
        let r = try VolumeLesionInserter(settings: s).insert(into: LesionFixture.images, labels: nil, mask: full,
                                                             using: SeededGenerator(seed: 1))
        let record = try #require(r.lesions.first)
        let expected = 4.0 / 3 * Double.pi * 512
        #expect(abs(record.volumeMM3 / expected - 1) < 0.08, "\(record.volumeMM3) mm³ vs \(expected)")
        #expect(record.parameters?.shape.radiusMM == 8)
    }

    @Test func bothShapeKindsArePlacedAndDiffer() throws {
        for kind in LesionShapeKind.allCases {
            var s = LesionFixture.settings(count: 1, radius: 6)
            s.shapeKinds = [kind]
            let r = try VolumeLesionInserter(settings: s).insert(into: LesionFixture.images, labels: nil,
                                                                 mask: LesionFixture.brainMask, using: SeededGenerator(seed: 3))
            let record = try #require(r.lesions.first)
            #expect(record.parameters?.shape.kind == kind)
            #expect(record.voxelCount > 50)
        }
    }

    @Test func radiiFollowTheLogNormalSettings() {
        var s = LesionSettings()
        s.radiusMedianMM = 6
        s.radiusLogSigma = 0.4
        s.radiusRangeMM = 0.1...100
        var g = SeededGenerator(seed: 12)
        let radii = (0..<2000).map { _ in LesionShape.draw(settings: s, using: &g).radiusMM }.sorted()
        let median = radii[1000]
        let logs = radii.map { Foundation.log($0) }
        let mean = logs.reduce(0, +) / Double(logs.count)
        let sd = (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logs.count - 1)).squareRoot()
        #expect(abs(median / 6 - 1) < 0.05, "median \(median)")
        #expect(abs(sd - 0.4) < 0.03, "σ(ln r) \(sd)")
    }

    @Test func paintingFractionsGiveTheExactMixture() {
        // (1 − a_o)(1 − a_e)(1 − a_n) = 1 − c_o, and each part's weight in the painted mixture is its share.
        let outer: [Float] = [1, 0.9, 0.6, 0.3, 1, 0.5], core: [Float] = [1, 0.7, 0.2, 0.1, 1, 0.5]
        let necrotic: [Float] = [0.5, 0.2, 0, 0, 1, 0.25]
        let c = LesionCoverage(box: LesionBox(originK: 0, originJ: 0, originI: 0, shape: VolumeShape(depth: 1, height: 1, width: 6)),
                               subRegions: true, outer: outer, core: core, necrotic: necrotic)
        let ao = c.paintingFractions(.oedema), ae = c.paintingFractions(.enhancingRim), an = c.paintingFractions(.necroticCore)
        for n in outer.indices {
            // Paint anatomy = 0, oedema = 1, rim = 10, necrotic = 100 in order; the result weighs them by share.
            var v: Float = 0
            v += ao[n] * (1 - v)
            v += ae[n] * (10 - v)
            v += an[n] * (100 - v)
            let expected = (outer[n] - core[n]) * 1 + (core[n] - necrotic[n]) * 10 + necrotic[n] * 100
            #expect(abs(v - expected) < 1e-4, "voxel \(n): \(v) vs \(expected)")
        }
    }

    @Test func sameSeedSameLesionsAndExistingLesionsAreAvoided() throws {
        let again = try VolumeLesionInserter(settings: LesionFixture.settings())
            .insert(into: LesionFixture.images, labels: nil, mask: LesionFixture.brainMask, using: SeededGenerator(seed: 5))
        #expect(again.labels == LesionFixture.userResult.labels)
        #expect(again.images == LesionFixture.userResult.images)
        #expect(again.lesions == LesionFixture.userResult.lesions)
        // Adding lesions to a labelled case keeps the old ones and does not touch them.
        let more = try VolumeLesionInserter(settings: LesionFixture.settings(count: 2))
            .insert(into: again.images, labels: again.labels, mask: LesionFixture.brainMask, using: SeededGenerator(seed: 77),
                    avoiding: again.lesions.map(\.box))
        #expect(more.lesions.count == 2)
        for n in again.labels.voxels.indices where again.labels.voxels[n] >= 10 {
            #expect(more.labels.voxels[n] == again.labels.voxels[n])
        }
        for new in more.lesions {
            for old in again.lesions { #expect(!new.box.intersects(old.box)) }
        }
    }

    @Test func invalidInputsAreClearErrors() throws {
        var bad = LesionSettings()
        bad.edgeWidthMM = 0
        #expect(throws: MedSynthError.self) { try LesionModel(settings: bad) }
        let inserter = try VolumeLesionInserter(settings: LesionFixture.settings())
        let unknown = Volume(shape: LesionFixture.grid, filledWith: 1, affine: LesionFixture.affine, modality: .unknown)
        do {
            _ = try inserter.insert(into: [unknown], labels: nil, mask: LesionFixture.brainMask, using: SeededGenerator(seed: 1))
            Issue.record("an image of unknown modality was accepted")
        } catch let e as MedSynthError {
            #expect(e.description.contains("--modality"), "\(e)")
        }
        let empty = Volume(shape: LesionFixture.grid, filledWith: 0, affine: LesionFixture.affine, modality: .label)
        #expect(throws: MedSynthError.self) {
            try inserter.insert(into: LesionFixture.images, labels: nil, mask: empty, using: SeededGenerator(seed: 1))
        }
    }
}

import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Shared fixtures for the augmentation tests: a small phantom case (64 × 64 × 32 voxels on the default field of
/// view), rendered once.
enum AugmentFixture {
    /// The phantom settings of the fixture: the default head on a coarse grid.
    static let settings: HeadPhantomSettings = {
        var s = HeadPhantomSettings().withShape(VolumeShape(depth: 32, height: 64, width: 64))
        s.directionTableResolution = 48
        return s
    }()

    /// The phantom case (labels, CT, T1, T2, FLAIR, PET).
    static let phantomCase: HeadPhantomCase = try! HeadPhantom(settings: settings).makeCase(seed: 7, index: 0)

    /// The fixture as an augmentation case.
    static var augmentationCase: AugmentationCase { AugmentationCase(phantomCase: phantomCase) }

    /// A random volume of `shape` with values in [lo, hi).
    static func randomVolume(_ shape: VolumeShape, seed: UInt64, lo: Double = -1, hi: Double = 2,
                             spacingMM: SIMD3<Double> = SIMD3(1, 1, 1), modality: Modality = .t1) -> Volume {
        var g = SeededGenerator(seed: seed)
        return Volume(shape: shape, voxels: (0..<shape.voxelCount).map { _ in Float(g.uniform(lo, hi)) },
                      affine: Affine(spacingMM: spacingMM), modality: modality)
    }

    /// The mean of `values` over the voxels whose label is `label`, or nil when there are fewer than `minimum`.
    static func meanInside(_ values: [Float], labels: [Float], label: Float, minimum: Int = 20) -> Double? {
        var sum = 0.0, count = 0
        for (v, l) in zip(values, labels) where l == label { sum += Double(v); count += 1 }
        return count >= minimum ? sum / Double(count) : nil
    }

    /// The mean of `values` over the interior voxels of `label` (the voxel and its six face neighbours all carry
    /// the label), where partial volume and interpolation at tissue borders do not reach.
    static func meanInterior(_ values: [Float], labels: Volume, label: Float, minimum: Int = 20) -> Double? {
        let s = labels.shape
        var sum = 0.0, count = 0
        for k in 1..<(s.depth - 1) { for j in 1..<(s.height - 1) { for i in 1..<(s.width - 1) {
            let n = labels.index(k: k, j: j, i: i)
            let l = labels.voxels
            guard l[n] == label, l[n - 1] == label, l[n + 1] == label, l[n - s.width] == label, l[n + s.width] == label,
                  l[n - s.sliceCount] == label, l[n + s.sliceCount] == label else { continue }
            sum += Double(values[n])
            count += 1
        } } }
        return count >= minimum ? sum / Double(count) : nil
    }
}

@Suite struct AugmentSupportTests {
    /// A phantom case becomes five named images and its label map on one grid.
    @Test func phantomCaseBecomesAugmentationCase() {
        let c = AugmentFixture.augmentationCase
        #expect(c.imageNames == ["CT", "FLAIR", "PET", "T1", "T2"])
        #expect(c.labels?.modality == .label)
        #expect(c.geometry.shape == AugmentFixture.settings.shape)
        #expect(c.imageNames(matching: [.t1, .t2]) == ["T1", "T2"])
    }

    /// Volumes on different grids are refused, naming the volume and both shapes.
    @Test func mismatchedVolumesAreRejected() {
        let a = Volume(shape: VolumeShape(depth: 2, height: 3, width: 4), filledWith: 0, modality: .ct)
        let b = Volume(shape: VolumeShape(depth: 2, height: 3, width: 5), filledWith: 0, modality: .t1)
        #expect(throws: MedSynthError.self) { try AugmentationCase(images: ["CT": a, "T1": b]) }
        do {
            _ = try AugmentationCase(images: ["CT": a, "T1": b])
        } catch let e as MedSynthError {
            #expect(e.kind == .mismatch && e.subject == "T1" && e.message.contains("2x3x5") && e.message.contains("2x3x4"))
        } catch { Issue.record("unexpected \(error)") }
    }

    /// Integer ranges draw every whole value in ⌈lo⌉…⌊hi⌋ and nothing else.
    @Test func integerRangesCoverTheirValues() {
        var g = SeededGenerator(seed: 3)
        let r = ValueRange(4, 7)
        let seen = Set((0..<400).map { _ in r.drawInteger(using: &g) })
        #expect(seen == [4, 5, 6, 7])
        #expect(ValueRange.fixed(2.5).draw(using: &g) == 2.5)
    }

    /// The stable name hash behind per-image noise streams is FNV-1a (reference values of the algorithm).
    @Test func noiseStreamHashIsFNV1a() {
        #expect(NoiseStreams.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(NoiseStreams.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }
}

import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct AugmentSpatialTests {
    /// Flipping the same axes twice gives the case back bit for bit, labels included.
    @Test func flipTwiceIsIdentity() throws {
        let c = AugmentFixture.augmentationCase
        let flip = try FlipAugmentation()
        let p = FlipAugmentation.Parameters(flippedAxes: [.width, .height, .depth])
        let once = try flip.apply(p, to: c)
        #expect(once != c)
        #expect(try flip.apply(p, to: once) == c)
        // One flip along width mirrors voxel (k, j, i) to (k, j, W−1−i).
        let w = try flip.apply(.init(flippedAxes: [.width]), to: c)
        let ct = c.images["CT"]!, wct = w.images["CT"]!
        #expect(wct[3, 10, 5] == ct[3, 10, ct.shape.width - 1 - 5])
    }

    /// Four quarter turns, or turns k and 4 − k, compose to the identity; one turn moves (a, b) as documented.
    @Test func rot90FourTimesIsIdentity() throws {
        let c = AugmentFixture.augmentationCase
        for plane in [[SpatialAxis.width, .height], [.height, .width]] {
            var settings = Rot90Augmentation.Settings()
            settings.plane = plane
            let rot = try Rot90Augmentation(settings: settings)
            let p1 = Rot90Augmentation.Parameters(plane: plane, quarterTurns: 1)
            var x = c
            for _ in 0..<4 { x = try rot.apply(p1, to: x) }
            #expect(x == c)
            let there = try rot.apply(.init(plane: plane, quarterTurns: 3), to: try rot.apply(p1, to: c))
            #expect(there == c)
        }
        // A non-square plane (width 48 × depth 24) only ever draws even turns, and refuses an odd one.
        var settings = Rot90Augmentation.Settings()
        settings.plane = [.width, .depth]
        let rot = try Rot90Augmentation(settings: settings)
        var g = SeededGenerator(seed: 1)
        for _ in 0..<50 { #expect(rot.draw(using: &g, geometry: c.geometry).quarterTurns % 2 == 0) }
        #expect(throws: MedSynthError.self) { try rot.apply(.init(plane: [.width, .depth], quarterTurns: 1), to: c) }
    }

    /// A single flip or quarter turn moves the label map with the images: every output voxel's (CT, T1, label)
    /// triple is the input's at the same source voxel — checked through the index map of each transform.
    @Test func oneFlipOrTurnMovesLabelsWithImages() throws {
        let c = AugmentFixture.augmentationCase
        let shape = c.geometry.shape
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        let labels = try #require(c.labels)
        #expect(Set(labels.voxels).count > 2, "the fixture's label map is not informative")
        func check(_ out: AugmentationCase, _ source: (Int, Int, Int) -> (Int, Int, Int), _ what: String) throws {
            let outLabels = try #require(out.labels)
            var mismatches = 0
            for k in 0..<d { for j in 0..<h { for i in 0..<w {
                let (sk, sj, si) = source(k, j, i)
                let o = outLabels.index(k: k, j: j, i: i), s = labels.index(k: sk, j: sj, i: si)
                if outLabels.voxels[o] != labels.voxels[s] || out.images["CT"]!.voxels[o] != c.images["CT"]!.voxels[s]
                    || out.images["T1"]!.voxels[o] != c.images["T1"]!.voxels[s] { mismatches += 1 }
            } } }
            #expect(mismatches == 0, "\(what): \(mismatches) voxels whose label or images came from elsewhere")
        }
        let flip = try FlipAugmentation()
        try check(try flip.apply(.init(flippedAxes: [.width]), to: c), { ($0, $1, w - 1 - $2) }, "flip width")
        try check(try flip.apply(.init(flippedAxes: [.height]), to: c), { ($0, h - 1 - $1, $2) }, "flip height")
        try check(try flip.apply(.init(flippedAxes: [.depth]), to: c), { (d - 1 - $0, $1, $2) }, "flip depth")
        // Two quarter turns in the width–height plane: (k, j, i) ← (k, H−1−j, W−1−i), whichever the direction.
        var settings = Rot90Augmentation.Settings()
        settings.plane = [.width, .height]
        let rot = try Rot90Augmentation(settings: settings)
        try check(try rot.apply(.init(plane: [.width, .height], quarterTurns: 2), to: c), { ($0, h - 1 - $1, w - 1 - $2) }, "rot90 ×2")
        // One turn (a square plane here): one of the two quarter-turn index maps holds for labels and images.
        #expect(h == w)
        let once = try rot.apply(.init(plane: [.width, .height], quarterTurns: 1), to: c)
        let outLabels = try #require(once.labels)
        var misses = [0, 0]
        for k in 0..<d { for j in 0..<h { for i in 0..<w {
            let o = outLabels.index(k: k, j: j, i: i)
            for (n, s) in [labels.index(k: k, j: i, i: w - 1 - j), labels.index(k: k, j: h - 1 - i, i: j)].enumerated()
            where outLabels.voxels[o] != labels.voxels[s] || once.images["CT"]!.voxels[o] != c.images["CT"]!.voxels[s] {
                misses[n] += 1
            }
        } } }
        #expect(misses.min() == 0 && misses.max()! > 0, "quarter turn: \(misses) mismatches for the two index maps")
    }

    /// Identity affine parameters reproduce every volume exactly (the voxel map is exactly A = I, b = 0).
    @Test func identityAffineIsExact() throws {
        let c = AugmentFixture.augmentationCase
        let out = try AffineAugmentation().apply(AffineAugmentation.Parameters(), to: c)
        #expect(out == c)
        // Zero displacements give the identity too.
        let n = [5, 5, 5]
        let zero = ElasticAugmentation.Parameters(controlPoints: n, displacementsMM: [Float](repeating: 0, count: 375))
        #expect(try ElasticAugmentation().apply(zero, to: c) == c)
    }

    /// A pure translation by a whole number of voxels shifts the image: out(i) = in(i − t/spacing).
    @Test func affineTranslationIsInPhysicalUnits() throws {
        let c = AugmentFixture.augmentationCase
        let s = c.geometry.spacingMM
        let out = try AffineAugmentation().apply(.init(translationMM: SIMD3(2 * s.x, 0, -1 * s.z)), to: c)
        let a = c.images["CT"]!, b = out.images["CT"]!
        for (k, j, i) in [(10, 20, 20), (5, 30, 17), (12, 24, 30)] {
            #expect(abs(b[k, j, i] - a[k + 1, j, i - 2]) < 1e-3)
        }
        #expect(out.labels![10, 20, 20] == c.labels![11, 20, 18])
    }

    /// After affine and elastic transforms, the label map still matches the tissue structure: the mean CT inside
    /// each label moves by less than a tolerance (partial-volume voxels change class at the borders), and labels
    /// equal the nearest-neighbour transform of the original labels by the plain reference resampler.
    @Test(arguments: ["affine", "elastic"])
    func labelsStayAlignedWithImages(transform: String) throws {
        let c = AugmentFixture.augmentationCase
        let g = c.geometry
        let out: AugmentationCase
        let referenceMap: (Int, Int, Int) -> SIMD3<Double>
        if transform == "affine" {
            let p = AffineAugmentation.Parameters(rotationDegrees: SIMD3(4, -6, 9), scale: SIMD3(repeating: 1.05),
                                                  shear: SIMD3(0.02, 0, -0.01), translationMM: SIMD3(3, -2, 1.5))
            out = try AffineAugmentation().apply(p, to: c)
            let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                     spacingMM: g.spacingMM, extents: g.extentsXYZ)
            referenceMap = { k, j, i in
                // The fast path rounds the row start and step to Float; the oracle does the same.
                let base = map.a.apply(SIMD3(0, Double(j), Double(k))) + map.b
                let fi = Float(i)
                return SIMD3(Double(Float(base.x) + fi * Float(map.a[0, 0])), Double(Float(base.y) + fi * Float(map.a[1, 0])),
                             Double(Float(base.z) + fi * Float(map.a[2, 0])))
            }
        } else {
            var s = ElasticAugmentation.Settings()
            s.controlPoints = [5, 5, 5]
            s.displacementMM = AxisRanges(all: ValueRange(-6, 6))
            let e = try ElasticAugmentation(settings: s)
            var gen = SeededGenerator(seed: 5)
            let p = e.draw(using: &gen, geometry: g)
            out = try e.apply(p, to: c)
            let field = BSplineField(controlPoints: p.controlPoints, valuesMM: p.displacementsMM, shape: g.shape, spacingMM: g.spacingMM)
            referenceMap = { k, j, i in
                var xs = [Float](repeating: 0, count: g.shape.width), ys = xs, zs = xs
                field.fillRow(k: k, j: j, &xs, &ys, &zs)
                return SIMD3(Double(xs[i]), Double(ys[i]), Double(zs[i]))
            }
        }
        #expect(out != c)
        let labels = out.labels!.voxels
        let expected = Resampler.resampleReference(.init(source: c.labels!.voxels, interpolation: .nearest, fill: 0),
                                                   shape: g.shape, map: referenceMap)
        #expect(labels == expected)
        let original = Set(c.labels!.voxels)
        #expect(Set(labels).isSubset(of: original))
        #expect(labels.allSatisfy { $0 == $0.rounded() })
        // Interior voxels of each tissue: away from borders, where interpolation mixes neighbouring tissues.
        var checked = 0
        for tissue in [Tissue.background, .corticalBone, .csf, .whiteMatter, .greyMatter, .deepGreyMatter] {
            guard let before = AugmentFixture.meanInterior(c.images["CT"]!.voxels, labels: c.labels!, label: tissue.label),
                  let after = AugmentFixture.meanInterior(out.images["CT"]!.voxels, labels: out.labels!, label: tissue.label) else { continue }
            #expect(abs(after - before) < 15, "mean CT in \(tissue) moved from \(before) to \(after) HU")
            checked += 1
        }
        #expect(checked >= 3)
    }

    /// Misaligned labels would fail the check above: moving the labels alone by 3 voxels moves some tissue's
    /// interior mean CT by far more than the tolerance.
    @Test func alignmentCheckDetectsAShift() throws {
        let c = AugmentFixture.augmentationCase
        let shifted = try AffineAugmentation().apply(.init(translationMM: SIMD3(3 * c.geometry.spacingMM.x, 0, 0)), to: c)
        let ct = c.images["CT"]!.voxels
        let moved = [Tissue.background, .corticalBone, .csf, .whiteMatter, .greyMatter].filter { tissue in
            guard let before = AugmentFixture.meanInterior(ct, labels: c.labels!, label: tissue.label),
                  let wrong = AugmentFixture.meanInterior(ct, labels: shifted.labels!, label: tissue.label) else { return false }
            return abs(wrong - before) > 15
        }
        #expect(!moved.isEmpty)
    }
}

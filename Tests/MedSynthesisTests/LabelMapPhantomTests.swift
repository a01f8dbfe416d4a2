import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis
import MedTestSupport

/// The synthetic aseg label map of Tests/Fixtures/labels/aseg-ellipsoids.nii.gz: nested ellipsoids on a 1 mm RAS
/// grid of 80 × 96 × 72 voxels (x, y, z) centred on world (0, 0, 0): CSF shell (24), cortex (3), white matter
/// (2), two thalami (10) and two lateral ventricles (4). `makeFixture` writes it when MEDSYNTH_WRITE_FIXTURES=1.
enum LabelMapFixture {
    static let shape = VolumeShape(depth: 72, height: 96, width: 80)
    static let url = Fixtures.url("labels/aseg-ellipsoids.nii.gz")

    static var affine: Affine {
        Affine(spacingMM: SIMD3(1, 1, 1), originMM: -0.5 * SIMD3(Double(shape.width - 1), Double(shape.height - 1), Double(shape.depth - 1)))
    }

    /// The aseg label at world point `p` (mm).
    static func label(_ p: SIMD3<Double>) -> Float {
        func inside(_ c: SIMD3<Double>, _ semi: SIMD3<Double>) -> Bool { (((p - c) / semi) * ((p - c) / semi)).sum() <= 1 }
        guard inside(.zero, SIMD3(32, 40, 30)) else { return 0 }
        guard inside(.zero, SIMD3(29, 37, 27)) else { return 24 }
        guard inside(.zero, SIMD3(23, 31, 21)) else { return 3 }
        if inside(SIMD3(-6, 0, 6), SIMD3(3.5, 14, 5)) || inside(SIMD3(6, 0, 6), SIMD3(3.5, 14, 5)) { return 4 }
        if inside(SIMD3(-13, 2, -2), SIMD3(6, 7, 6)) || inside(SIMD3(13, 2, -2), SIMD3(6, 7, 6)) { return 10 }
        return 2
    }

    static func make() -> Volume {
        let a = affine
        let (w, h) = (shape.width, shape.height)
        let voxels = (0..<shape.voxelCount).map { n in label(a.apply(SIMD3(Double(n % w), Double((n / w) % h), Double(n / (w * h))))) }
        return Volume(shape: shape, voxels: voxels, affine: a, modality: .label)
    }

    /// The same anatomy in FreeSurfer's LIA orientation (i → left, j → inferior, k → anterior), same voxel centres.
    static func lia(_ ras: Volume) -> Volume {
        let (w, h, d) = (ras.shape.width, ras.shape.height, ras.shape.depth)
        let shape = VolumeShape(depth: h, height: d, width: w)
        let a = ras.affine
        // World of LIA voxel (i, j, k) = RAS voxel (w−1−i, h−1... ): x = x0 + (w−1−i), y = y0 + k, z = z0 + (d−1−j).
        let origin = SIMD3(a[0, 3] + Double(w - 1), a[1, 3], a[2, 3] + Double(d - 1))
        let affine = Affine(rowMajor: [-1, 0, 0, origin.x, 0, 0, 1, origin.y, 0, -1, 0, origin.z, 0, 0, 0, 1])
        var voxels = [Float](repeating: 0, count: shape.voxelCount)
        for k in 0..<h { for j in 0..<d { for i in 0..<w {
            voxels[(k * d + j) * w + i] = ras.voxels[((d - 1 - j) * h + k) * w + (w - 1 - i)]
        } } }
        return Volume(shape: shape, voxels: voxels, affine: affine, modality: .label)
    }
}

@Suite struct LabelMapPhantomTests {
    static func template(_ v: Volume = LabelMapFixture.make(), table: LabelTable = .freeSurferAseg) throws -> LabelMapTemplate {
        try LabelMapTemplate(labels: v, table: table, unknown: nil, source: "fixture.nii.gz", digest: "0")
    }

    @Test func committedFixtureIsTheGeneratorsOutput() throws {
        let made = LabelMapFixture.make()
        if ProcessInfo.processInfo.environment["MEDSYNTH_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: LabelMapFixture.url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try NIfTIFile.write(made, to: LabelMapFixture.url, dataType: .uint8)
        }
        let stored = try NIfTIFile.read(LabelMapFixture.url).volume
        #expect(stored.shape == made.shape && stored.voxels == made.voxels)
        #expect(stored.affine.isClose(to: made.affine, tolerance: 1e-6))
        #expect(Set(made.voxels) == [0, 2, 3, 4, 10, 24])
    }

    @Test func shippedTablesEqualTheBuiltInOnes() throws {
        let aseg = try LabelTable.read(Fixtures.repositoryRoot.appendingPathComponent("Configs/labels-freesurfer-aseg.yaml"))
        let synthseg = try LabelTable.read(Fixtures.repositoryRoot.appendingPathComponent("Configs/labels-synthseg.yaml"))
        #expect(aseg == LabelTable.freeSurferAseg)
        #expect(synthseg == LabelTable.synthSeg)
        #expect(aseg.tissues[16] == .whiteMatter && aseg.tissues[10] == .deepGreyMatter && aseg.tissues[43] == .ventricles)
    }

    @Test func badTableNamesFileAndValue() {
        #expect { try LabelTable.parse(yaml: "labels:\n  2: white\n", source: "my.yaml") } throws: { e in
            "\(e)".contains("my.yaml") && "\(e)".contains("white") && "\(e)".contains("white_matter")
        }
        #expect { try LabelTable.parse(yaml: "labels:\n  two: csf\n", source: "my.yaml") } throws: { e in
            "\(e)".contains("'two'")
        }
    }

    @Test func unknownLabelIsRefusedNamingValueAndFile() throws {
        var v = LabelMapFixture.make()
        v.voxels[v.voxels.count / 2] = 99
        v.voxels[v.voxels.count / 2 + 1] = 1234
        #expect { try Self.template(v) } throws: { e in
            let s = "\(e)"
            return s.contains("fixture.nii.gz") && s.contains("99, 1234") && s.contains("--unknown-labels")
        }
        // Mapped explicitly, it renders.
        _ = try LabelMapTemplate(labels: v, table: .freeSurferAseg, unknown: .whiteMatter, source: "fixture.nii.gz", digest: "0")
    }

    /// The envelope's signed distance (built on MedIO's `DistanceTransform`, itself checked against brute force in
    /// DistanceTransformTests) against a brute-force search: −(distance to the nearest outside voxel − h/2) inside,
    /// distance to the nearest inside voxel − h/2 outside.
    @Test func signedDistanceEqualsBruteForce() {
        let shape = VolumeShape(depth: 7, height: 9, width: 11)
        let spacing = SIMD3<Double>(0.7, 1.3, 2)
        var g = SeededGenerator(seed: 5)
        let inside = (0..<shape.voxelCount).map { _ in g.nextUnitDouble() < 0.3 }
        let fast = LabelMapTemplate.signedDistance(inside: inside, shape: shape, spacingMM: spacing)
        let (w, h) = (shape.width, shape.height)
        func position(_ n: Int) -> SIMD3<Double> { SIMD3(Double(n % w), Double((n / w) % h), Double(n / (w * h))) * spacing }
        let half = spacing.min() / 2
        for n in inside.indices {
            let others = inside.indices.filter { inside[$0] != inside[n] }
            let nearest = others.map { m -> Double in let d = position(n) - position(m); return (d * d).sum().squareRoot() }.min()!
            let reference = inside[n] ? -(nearest - half) : nearest - half
            #expect(abs(Double(fast[n]) - reference) <= 1e-3 * max(1, abs(reference)), "voxel \(n): \(fast[n]) vs \(reference)")
        }
    }

    @Test func renderedLabelsMatchTheInputAndContrastsOrder() throws {
        let input = LabelMapFixture.make()
        let m = try Self.template(input)
        #expect(m.overlaysLabelMap && m.outputShape == input.shape && m.outputAffine == input.affine)
        let phantom = try LabelMapPhantom(labelMap: m)
        let c = try phantom.makeCase(seed: 3, index: 0)
        #expect(c.labels.shape == input.shape && c.t1.affine == input.affine)
        var mismatches = 0, brain = 0
        for n in input.voxels.indices where input.voxels[n] != 0 {
            brain += 1
            let expected = LabelTable.freeSurferAseg.tissues[Int(input.voxels[n])]!.tissue
            if c.labels.voxels[n] != expected.label { mismatches += 1 }
        }
        #expect(brain > 50_000)
        #expect(mismatches == 0, "\(mismatches) of \(brain) brain voxels differ from the input's tissues")
        // Outside the brain the phantom adds its head: skull and scalp appear, air far away.
        let rendered = Set(c.labels.voxels)
        #expect(rendered.contains(Tissue.corticalBone.label) && rendered.contains(Tissue.skin.label))
        func median(_ v: Volume, _ label: Float) -> Float {
            let values = input.voxels.indices.filter { input.voxels[$0] == label }.map { v.voxels[$0] }.sorted()
            return values[values.count / 2]
        }
        let (wm, gm, csf) = (median(c.t1, 2), median(c.t1, 3), median(c.t1, 4))
        #expect(wm > gm && gm > csf, "T1 medians WM \(wm), GM \(gm), ventricles \(csf)")
        #expect(median(c.ct, 3) > median(c.ct, 2), "CT GM \(median(c.ct, 3)) HU, WM \(median(c.ct, 2)) HU")
        #expect(median(c.t2, 4) > median(c.t2, 3) && median(c.t2, 3) > median(c.t2, 2))
        #expect(c.parameters.templateBrain?.template == "label map sha256:0")
    }

    @Test func liaLabelMapRendersTheSameAnatomy() throws {
        let ras = LabelMapFixture.make()
        let lia = LabelMapFixture.lia(ras)
        let a = try LabelMapPhantom(labelMap: try Self.template(ras)).makeCase(seed: 9, index: 1)
        let b = try LabelMapPhantom(labelMap: try Self.template(lia)).makeCase(seed: 9, index: 1)
        #expect(b.labels.shape == lia.shape && b.labels.affine == lia.affine)
        // Voxel for voxel through the reorientation: identical bytes (same render grid, same draws).
        #expect(LabelMapFixture.lia(a.labels).voxels == b.labels.voxels)
        #expect(LabelMapFixture.lia(a.t1).voxels == b.t1.voxels)
        #expect(LabelMapFixture.lia(a.ct).voxels == b.ct.voxels)
    }

    @Test func obliqueLabelMapRendersOnARASGrid() throws {
        var v = LabelMapFixture.make()
        // A 10° rotation about z.
        let c = cos(10.0 * .pi / 180), s = sin(10.0 * .pi / 180)
        let o = SIMD3(v.affine[0, 3], v.affine[1, 3], v.affine[2, 3])
        v.affine = Affine(rowMajor: [c, -s, 0, o.x, s, c, 0, o.y, 0, 0, 1, o.z, 0, 0, 0, 1])
        let m = try Self.template(v)
        #expect(!m.overlaysLabelMap)
        #expect(m.outputShape == m.renderShape && m.outputShape.width > v.shape.width)
        let out = try LabelMapPhantom(labelMap: m).makeCase(seed: 1, index: 0)
        // Where the nearest input label is clearly inside a structure, the rendered tissue is its tissue.
        // (Away from boundaries: two nearest-neighbour resamplings move a boundary by up to a voxel.)
        let (w, h) = (m.outputShape.width, m.outputShape.height)
        var agree = 0, total = 0
        for n in m.sourceLabels.indices where m.sourceLabels[n] == 2 {
            let neighbours = [n - 1, n + 1, n - w, n + w, n - w * h, n + w * h]
            guard neighbours.allSatisfy({ $0 >= 0 && $0 < m.sourceLabels.count && m.sourceLabels[$0] == 2 }) else { continue }
            total += 1
            if out.labels.voxels[n] == Tissue.whiteMatter.label { agree += 1 }
        }
        #expect(total > 10_000 && Double(agree) >= 0.995 * Double(total), "\(agree) of \(total)")
    }

    @Test func domainRandomisedImagesArePerSeed() throws {
        let m = try Self.template()
        let phantom = try LabelMapPhantom(labelMap: m)
        let c = try phantom.makeCase(seed: 4, index: 0)
        let classes = DomainRandomisation.classes(labelMap: m, rendered: c.labels)
        #expect(classes.names.prefix(5) == ["label 2", "label 3", "label 4", "label 10", "label 24"])
        let d = DomainRandomisation()
        func image(_ seed: UInt64) -> (DomainRandomisation.Parameters, [Float]) {
            var g = SeededGenerator(seed: seed)
            let p = d.draw(slot: "T1", classes: classes.names, using: &g)
            return (p, DomainRandomisation.render(p, classIndex: classes.index, shape: m.outputShape, spacingMM: SIMD3(1, 1, 1)))
        }
        let (p1, a) = image(1), (_, again) = image(1), (p2, b) = image(2)
        #expect(a == again)
        #expect(a != b && p1.means != p2.means)
        #expect(a.allSatisfy { $0 >= 0 && $0 <= 1 } && a.max() == 1)
        // The class means show through: the two structures' medians are ordered as their drawn means (the
        // structures are large next to the blur, the noise σ at most a tenth of the mean range).
        let input = LabelMapFixture.make()
        func median(_ label: Float) -> Float {
            let v = input.voxels.indices.filter { input.voxels[$0] == label }.map { a[$0] }.sorted()
            return v[v.count / 2]
        }
        if abs(p1.means[0] - p1.means[1]) > 60 {
            #expect((median(2) > median(3)) == (p1.means[0] > p1.means[1]), "WM \(median(2)), GM \(median(3)), means \(p1.means[0...1])")
        }
    }

    @Test func datasetBuilderRecordsDigestAndIsDeterministic() throws {
        var arguments = LabelMapDatasetBuilder.Arguments(labelMaps: [LabelMapFixture.url], casesPerMap: 2, seed: 5)
        arguments.domainRandomised = true
        let builder = try LabelMapDatasetBuilder(arguments, commandLine: "test")
        #expect(builder.caseIDs == ["case000", "case001"])
        let a = try builder.makeCase(1), again = try builder.makeCase(1), other = try builder.makeCase(0)
        #expect(a == again)
        #expect(a.volumes.map(\.modality) == [.label, .ct, .t1, .t2, .flair, .pet])
        #expect(a.volumes[1].voxels != other.volumes[1].voxels && a.volumes[1].unit == .arbitrary)
        let digest = try FileDigest.sha256Hex(of: LabelMapFixture.url)
        #expect(a.provenance.phantomParametersJSON.contains("label map sha256:\(digest)"))
        #expect(a.provenance.transformsJSON.contains("\"label_map_sha256\":\"\(digest)\""))
        #expect(a.provenance.transformsJSON.contains("domain_randomisation"))
        #expect(!a.provenance.transformsJSON.contains("aseg-ellipsoids"))
        let config = try LabelMapDatasetBuilder.runConfiguration(arguments)
        arguments.seed = 6
        #expect(try LabelMapDatasetBuilder.runConfiguration(arguments).signature != config.signature)
    }

    @Test func sha256MatchesFIPSVectors() {
        #expect(FileDigest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(FileDigest.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

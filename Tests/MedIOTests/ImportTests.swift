import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// `medsynth import`'s library side: the manifest, keyed case ids, resampling between grids, and the cases built
/// from the fixtures of scripts/make_import_fixtures.py (no HDF5 here; the CLI tests write datasets).
@Suite struct ImportTests {
    static let cohort = Fixtures.url("import/cohort.csv")

    func manifest(_ text: String) throws -> CohortManifest {
        let folder = try Fixtures.temporaryFolder("manifest")
        let url = folder.appendingPathComponent("m.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try CohortManifest.read(csv: url)
    }

    func expectError(_ text: String, _ phrases: [String]) {
        do {
            _ = try manifest(text)
            Issue.record("accepted: \(text)")
        } catch let e as MedSynthError {
            for p in phrases { #expect(e.description.contains(p), "'\(p)' not in: \(e)") }
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func manifestRowsColumnsAndQuoting() throws {
        let m = try manifest("modality,path,case\r\n# comment\n\nCT,\"a, b/ct\",\"p\"\"1\"\nT1ce,t1.nii.gz,p1\n")
        #expect(m.rows.count == 2)
        #expect(m.rows[0].caseName == "p\"1" && m.rows[0].modality == .ct && m.rows[0].path.lastPathComponent == "ct")
        #expect(m.rows[0].path.path.hasSuffix("a, b/ct"))
        #expect(m.rows[1].modality.rawValue == "T1ce" && m.rows[1].modality.isMRContrast)
        #expect(m.rows[0].origin.hasSuffix(":4"))
    }

    @Test func manifestErrorsNameTheLineAndTheValue() {
        expectError("case,path\np1,ct.nii\n", ["no 'modality' column", "case,modality,path"])
        expectError("case,modality,path\np1,X-ray!,ct.nii\n", ["m.csv:2", "modality 'X-ray!'"])
        expectError("case,modality,path\np1,CT,a.nii\np1,ct,b.nii\n", ["m.csv:3", "second CT", "m.csv:2"])
        expectError("case,modality,path\np1,CT\n", ["line 2 has 2 fields"])
        expectError("case,modality,path\n../x,CT,a.nii\n", ["cannot be a group name"])
        expectError("case,modality,path\np1,CT,\"a.nii\n", ["not closed"])
        expectError("", ["is empty"])
    }

    @Test func patternForm() throws {
        let m = try CohortManifest.read(pattern: "{case}/{modality}.nii.gz", root: Fixtures.url("import/nifti-cohort"))
        #expect(m.rows.map(\.caseName) == ["subj-a", "subj-a", "subj-b", "subj-b"])
        #expect(Set(m.rows.map(\.modality)) == [.t1, .label])
        #expect(throws: MedSynthError.self) {
            try CohortManifest.read(pattern: "{case}.nii.gz", root: Fixtures.url("import/nifti-cohort"))
        }
    }

    /// RFC 4231 test cases 1 and 2.
    @Test func hmacSHA256MatchesRFC4231() {
        #expect(KeyedCaseID.hmacSHA256Hex(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(KeyedCaseID.hmacSHA256Hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let a = KeyedCaseID(salt: "s1"), b = KeyedCaseID(salt: "s2")
        #expect(a.caseID(for: "1.2.3") == a.caseID(for: "1.2.3"))
        #expect(a.caseID(for: "1.2.3") != b.caseID(for: "1.2.3"))
        #expect(a.caseID(for: "1.2.3").count == 16 && a.caseID(for: "1.2.3").hasPrefix("sub-"))
    }

    // MARK: - Resampling

    /// A volume whose values are a linear function of world position.
    static func linear(shape: VolumeShape, affine: Affine) -> Volume {
        var v = Volume(shape: shape, filledWith: 0, affine: affine, modality: .t1)
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let w = affine.apply(SIMD3(Double(i), Double(j), Double(k)))
            v[k, j, i] = Float(2 * w.x - 3 * w.y + 5 * w.z + 100)
        } } }
        return v
    }

    @Test func trilinearReproducesALinearFieldAndFillsOutside() throws {
        // Source: 2 mm voxels, rotated 90° in-plane and flipped in z; target: 1 mm voxels over part of it and beyond.
        let source = Affine(rowMajor: [0, -2, 0, 20, 2, 0, 0, -5, 0, 0, -2, 12, 0, 0, 0, 1])
        let src = Self.linear(shape: VolumeShape(depth: 6, height: 10, width: 9), affine: source)
        let target = Affine(spacingMM: SIMD3(1, 1, 1), originMM: SIMD3(3, -4, 3))
        let shape = VolumeShape(depth: 12, height: 20, width: 24)
        let out = try GridResampler.resample(src, onto: shape, affine: target, interpolation: .trilinear, fill: -7)
        let inverse = try #require(source.inverted())
        var inside = 0, outside = 0
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let w = target.apply(SIMD3(Double(i), Double(j), Double(k)))
            let s = inverse.apply(w)
            let value = Double(out[k, j, i])
            if s.x >= 0, s.y >= 0, s.z >= 0, s.x <= 8, s.y <= 9, s.z <= 5 {
                #expect(abs(value - (2 * w.x - 3 * w.y + 5 * w.z + 100)) < 1e-3, "(\(i),\(j),\(k))")
                inside += 1
            } else if s.x < -0.5 || s.y < -0.5 || s.z < -0.5 || s.x > 8.5 || s.y > 9.5 || s.z > 5.5 {
                #expect(value == -7)
                outside += 1
            }
        } } }
        #expect(inside > 500 && outside > 500, "\(inside) \(outside)")
    }

    @Test func nearestKeepsLabelsAndTheIdentityIsExact() throws {
        var labels = Volume(shape: VolumeShape(depth: 3, height: 4, width: 5), filledWith: 0, modality: .label)
        for n in labels.voxels.indices { labels.voxels[n] = Float(n % 4) }
        let same = try GridResampler.resample(labels, onto: labels.shape, affine: labels.affine, interpolation: .nearest, fill: 0)
        #expect(same.voxels == labels.voxels)
        let half = Affine(spacingMM: SIMD3(0.5, 0.5, 0.5))
        let fine = try GridResampler.resample(labels, onto: VolumeShape(depth: 5, height: 7, width: 9), affine: half,
                                              interpolation: .nearest, fill: 0)
        #expect(Set(fine.voxels).isSubset(of: Set(labels.voxels)))
        #expect(fine[2, 2, 2] == labels[1, 1, 1])
    }

    @Test func singularAffineIsAnError() {
        let v = Volume(shape: VolumeShape(depth: 1, height: 2, width: 2), filledWith: 1,
                       affine: Affine(rowMajor: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))
        #expect(throws: MedSynthError.self) {
            try GridResampler.resample(v, onto: v.shape, affine: .identity, interpolation: .trilinear, fill: 0)
        }
    }

    // MARK: - Cases

    func importer(hash: Bool = false, salt: String = "test-salt") throws -> CohortImporter {
        try CohortImporter(manifest: CohortManifest.read(csv: Self.cohort),
                           options: CohortImportOptions(hashCaseIDs: hash, salt: salt, commandLine: "medsynth import"))
    }

    @Test func casesFromTheCohortManifest() throws {
        let imp = try importer()
        let petID = KeyedCaseID(salt: "test-salt").caseID(for: try #require(
            try DICOMScan.scan(Fixtures.url("dicom/pet-suv")).series[0].studyInstanceUID))
        #expect(imp.caseIDs == ["case01", petID, "case03", "case04"])

        let c1 = try imp.makeCase(0)
        #expect(c1.volumes.map(\.modality.rawValue) == ["CT", "label", "T1ce"])
        let ct = try DICOMReader.read(Fixtures.url("dicom/axial-ct")).volume
        #expect(c1.volumes[0].voxels == ct.voxels && c1.volumes[0].affine == ct.affine)
        #expect(c1.volumes.allSatisfy { $0.shape == ct.shape && $0.affine == ct.affine })
        #expect(c1.volumes[1].unit == .label && Set(c1.volumes[1].voxels) == [0, 1, 2])
        // T1ce came from a grid with twice the in-plane spacing: trilinear gives the linear field back inside it.
        let t1 = c1.volumes[2]
        var checked = 0
        for k in 0..<t1.shape.depth { for j in 0..<(t1.shape.height - 1) { for i in 0..<(t1.shape.width - 1) {
            let w = ct.affine.apply(SIMD3(Double(i), Double(j), Double(k)))
            #expect(abs(Double(t1[k, j, i]) - (2 * w.x - 3 * w.y + 5 * w.z + 100)) < 1e-3)
            checked += 1
        } } }
        #expect(checked > 1000)
        let record = try #require(c1.provenance.importJSON)
        #expect(record.contains("\"113100\"") && record.contains("\"interpolation\":\"trilinear\""))
        #expect(record.contains("\"reference\":\"CT\""))

        let pet = try imp.makeCase(1)
        #expect(pet.volumes.map(\.modality) == [.pet] && pet.volumes[0].unit == .suv)
        let two = try imp.makeCase(2)
        #expect(two.volumes[0].shape == VolumeShape(depth: 5, height: 20, width: 18))
        let mr = try imp.makeCase(3)
        #expect(mr.volumes[0].modality == .t2 && mr.volumes[0].unit == .arbitrary)
    }

    @Test func hashedIDsAndTheReferenceOption() throws {
        let imp = try importer(hash: true)
        #expect(imp.caseIDs.allSatisfy { $0.hasPrefix("sub-") && $0.count == 16 })
        #expect(Set(imp.caseIDs).count == 4)
        let other = try importer(hash: true, salt: "another")
        #expect(Set(imp.caseIDs).isDisjoint(with: other.caseIDs))
        // With T1ce as reference, case01's CT and label land on the coarse grid (CT outside filled with air).
        let ref = try CohortImporter(manifest: CohortManifest.read(csv: Self.cohort),
                                     options: CohortImportOptions(reference: Modality(contrastName: "T1ce"), salt: "s",
                                                                  commandLine: "x"))
        let c1 = try ref.makeCase(0)
        for n in 1..<ref.cases.count { _ = try ref.makeCase(n) }
        #expect(c1.volumes.allSatisfy { $0.shape == VolumeShape(depth: 6, height: 10, width: 12) })
        #expect(Set(c1.volumes[1].voxels).isSubset(of: [0, 1, 2]))
        #expect(ref.notes.contains { $0.contains("case case03: no T1ce image") })
    }

    @Test func aRowThatContradictsTheDICOMModalityIsRefused() throws {
        let folder = try Fixtures.temporaryFolder("manifest")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.csv")
        try "case,modality,path\np1,PET,\(Fixtures.url("dicom/axial-ct").path)\n".write(to: url, atomically: true, encoding: .utf8)
        let imp = try CohortImporter(manifest: CohortManifest.read(csv: url), options: CohortImportOptions(salt: "s", commandLine: "x"))
        #expect {
            try imp.makeCase(0)
        } throws: { ($0 as? MedSynthError)?.message.contains("the manifest says PET but the DICOM series is CT") == true }
    }
}

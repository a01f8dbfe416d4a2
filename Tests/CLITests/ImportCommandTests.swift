import Foundation
import MedCore
import MedTestSupport
import Testing
import MedIO

/// `medsynth import`, `convert` and `info` on the PHI-laden DICOM fixtures: what they write holds no patient
/// identifier (every byte of every output searched for the strings and UIDs of Tests/Fixtures/dicom/phi.json), a
/// second run resumes, and bad manifests fail with one line.
@Suite struct ImportCommandTests {
    struct PHI: Decodable { var strings: [String]; var uids: [String] }

    static func phi() throws -> [String] {
        let p = try JSONDecoder().decode(PHI.self, from: Data(contentsOf: Fixtures.url("dicom/phi.json")))
        return p.strings + p.uids
    }

    /// Every file under `folder` (and `texts`) searched for every PHI string, as bytes.
    static func expectNoPHI(in folder: URL, texts: [String], label: String) throws {
        let needles = try phi()
        #expect(needles.count >= 15)
        var files: [URL] = []
        if let e = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) {
            for case let u as URL in e where (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(u) }
        }
        #expect(!files.isEmpty)
        var haystacks = try files.map { (name: $0.lastPathComponent, data: try Data(contentsOf: $0)) }
        haystacks += texts.enumerated().map { ("text \($0.offset)", Data($0.element.utf8)) }
        for h in haystacks {
            for n in needles where h.data.range(of: Data(n.utf8)) != nil {
                Issue.record("\(label): \(h.name) holds the identifier '\(n)'")
            }
        }
    }

    @Test func importWritesNoIdentifierAndResumes() throws {
        let scratch = try Fixtures.temporaryFolder("import")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("cohort.h5")
        let manifest = Fixtures.url("import/cohort.csv").path
        let first = try CommandRunner.run(["import", "--manifest", manifest, "--out", out.path, "--json"], timeoutSeconds: 300)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\"written\" : 4"), "\(first.stdout)")
        let again = try CommandRunner.run(["import", "--manifest", manifest, "--out", out.path, "--json"], timeoutSeconds: 300)
        #expect(again.status == 0 && again.stdout.contains("\"written\" : 0") && again.stdout.contains("\"skipped\" : 4"), "\(again.stdout)")
        let other = try CommandRunner.run(["import", "--manifest", manifest, "--out", out.path, "--hash-case-ids"], timeoutSeconds: 300)
        #expect(other.status == 1 && other.stderr.contains("case_ids"), "\(other.stderr)")

        let info = try CommandRunner.run(["info", out.path, "--json"], timeoutSeconds: 300)
        #expect(info.status == 0)
        #expect(info.stdout.contains("/cases/case01/T1ce"))
        let record = try HDF5TestGate.exclusive { try MedSynthDataset.readProvenance("case01", in: out)?.importJSON }
        #expect(record?.contains("\"113100\"") == true, "\(record ?? "no import record")")
        let keyed = try CommandRunner.run(["import", "--manifest", manifest, "--out", scratch.appendingPathComponent("keyed.h5").path,
                                           "--hash-case-ids", "--salt", "kept secret"], timeoutSeconds: 300)
        #expect(keyed.status == 0, "\(keyed.stderr)")
        // NIfTI cohort by pattern.
        let pattern = try CommandRunner.run(["import", "--pattern", "{case}/{modality}.nii.gz", "--root",
                                             Fixtures.url("import/nifti-cohort").path,
                                             "--out", scratch.appendingPathComponent("pattern.h5").path], timeoutSeconds: 300)
        #expect(pattern.status == 0 && pattern.stdout.contains("holds 2 cases"), "\(pattern.stdout) \(pattern.stderr)")

        // convert and info on every DICOM fixture, into the same folder.
        var texts = [first.stdout, first.stderr, again.stdout, again.stderr, info.stdout, keyed.stdout, keyed.stderr]
        for name in ["axial-ct", "oblique-mr", "enhanced-ct", "pet-suv", "localizer", "axial-ct-j2k"] {
            let input = Fixtures.url("dicom/\(name)").path
            for ext in ["nii", "h5", "png"] {
                var args = ["convert", input, scratch.appendingPathComponent("\(name).\(ext)").path]
                if ext == "png" { args += ["--slice", "1"] }
                let r = try CommandRunner.run(args, timeoutSeconds: 120)
                #expect(r.status == 0, "convert \(name) → .\(ext): \(r.stderr)")
                texts += [r.stdout, r.stderr]
            }
            let i = try CommandRunner.run(["info", input, "--json"], timeoutSeconds: 120)
            #expect(i.status == 0)
            texts += [i.stdout, i.stderr]
        }
        let two = try CommandRunner.run(["info", Fixtures.url("dicom/two-series").path, "--json"], timeoutSeconds: 120)
        texts.append(two.stdout)
        try Self.expectNoPHI(in: scratch, texts: texts, label: "import/convert/info")
    }

    @Test func badManifestsFailWithOneLine() throws {
        let scratch = try Fixtures.temporaryFolder("import-bad")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let manifest = scratch.appendingPathComponent("m.csv")
        try "case,modality,path\np1,CT,missing-folder\n".write(to: manifest, atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("o.h5")
        let r = try CommandRunner.run(["import", "--manifest", manifest.path, "--out", out.path], timeoutSeconds: 120)
        #expect(r.status == 1 && r.stderr.contains("missing-folder") && r.stderr.contains("no such"), "\(r.stderr)")
        try "case,modality,path\np1,CT,\(Fixtures.url("dicom/missing-slice").path)\n".write(to: manifest, atomically: true, encoding: .utf8)
        let gap = try CommandRunner.run(["import", "--manifest", manifest.path, "--out", out.path, "--overwrite"], timeoutSeconds: 120)
        #expect(gap.status == 1 && gap.stderr.contains("uneven slice spacing"), "\(gap.stderr)")
        // Nothing of a failed first case is readable as a case.
        if FileManager.default.fileExists(atPath: out.path) {
            let info = try CommandRunner.run(["info", out.path, "--tree-only"], timeoutSeconds: 60)
            #expect(!info.stdout.contains("/cases/p1"))
        }
        let both = try CommandRunner.run(["import", "--manifest", manifest.path, "--pattern", "{case}/{modality}", "--out", out.path])
        #expect(both.status != 0 && both.stderr.contains("either --manifest"))
    }
}

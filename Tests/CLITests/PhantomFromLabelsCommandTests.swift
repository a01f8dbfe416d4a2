import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// End-to-end tests of `medsynth phantom --from-labels` (the HDF5 output inspected through `medsynth info --json`).
@Suite struct PhantomFromLabelsCommandTests {
    static let fixture = Fixtures.url("labels/aseg-ellipsoids.nii.gz").path

    /// The datasets of the tree, by path: shape.
    static func datasets(_ tree: [[String: Any]]) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for node in tree where node["kind"] as? String == "dataset" {
            out[node["path"] as? String ?? "?"] = node["shape"] as? [Int] ?? []
        }
        return out
    }

    @Test func writesCasesOnTheLabelMapsGridAndResumes() throws {
        let scratch = try Fixtures.temporaryFolder("from-labels")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let arguments = ["phantom", "--from-labels", Self.fixture, "--cases", "2", "--seed", "3", "--out", "d.h5"]
        let r = try CommandRunner.run(arguments, in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        let found = Self.datasets(try PhantomCommandTests.tree(scratch.appendingPathComponent("d.h5").path))
        for c in ["case000", "case001"] {
            for m in ["CT", "T1", "T2", "FLAIR", "PET", "label"] {
                #expect(found["/cases/\(c)/\(m)"] == [72, 96, 80], "/cases/\(c)/\(m): \(found["/cases/\(c)/\(m)"] ?? [])")
            }
        }
        let again = try CommandRunner.run(arguments, in: scratch)
        #expect(again.status == 0 && again.stdout.contains("0 written now"), "\(again.stdout) \(again.stderr)")
        let other = try CommandRunner.run(arguments + ["--domain-randomised"], in: scratch)
        #expect(other.status != 0 && other.stderr.contains("domain_randomised"), "\(other.stderr)")
    }

    @Test func unknownLabelNamesValueAndFile() throws {
        let scratch = try Fixtures.temporaryFolder("from-labels-unknown")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var v = try NIfTIFile.read(URL(fileURLWithPath: Self.fixture)).volume
        v.voxels[v.voxels.count / 2] = 77_777
        let map = scratch.appendingPathComponent("odd.nii.gz")
        try NIfTIFile.write(v, to: map, dataType: .int32)
        let r = try CommandRunner.run(["phantom", "--from-labels", map.path, "--cases", "1", "--out", "d.h5"], in: scratch)
        #expect(r.status != 0)
        #expect(r.stderr.contains("odd.nii.gz") && r.stderr.contains("77777") && r.stderr.contains("--unknown-labels"), "\(r.stderr)")
        let mapped = try CommandRunner.run(["phantom", "--from-labels", map.path, "--cases", "1", "--unknown-labels", "white_matter",
                                            "--out", "d.h5"], in: scratch)
        #expect(mapped.status == 0, "\(mapped.stderr)")
    }

    @Test func manifestListsLabelMapsAndLesionsAreRefused() throws {
        let scratch = try Fixtures.temporaryFolder("from-labels-manifest")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try "# two copies\n\(Self.fixture)\n\n\(Self.fixture)\n".write(to: scratch.appendingPathComponent("maps.txt"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run(["phantom", "--from-labels", "maps.txt", "--cases", "1", "--out", "d.h5", "--json"], in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"total\" : 2"), "\(r.stdout)")
        let lesions = try CommandRunner.run(["phantom", "--from-labels", "maps.txt", "--cases", "1", "--lesions", "2", "--out", "e.h5"], in: scratch)
        #expect(lesions.status != 0 && lesions.stderr.contains("--lesions"), "\(lesions.stderr)")
    }
}

import Foundation
import Testing
import MedTestSupport

/// `medsynth augment` end to end (through the binary: HDF5 files are not opened in-process here).
@Suite struct AugmentCommandTests {
    static let config = Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml").path

    @Test func augmentedDatasetIsDeterministicAndRecordsProvenance() throws {
        let dir = try Fixtures.temporaryFolder("augment-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("p.h5").path
        let p = try CommandRunner.run(["phantom", "--cases", "2", "--shape", "16", "32", "32", "--seed", "1", "--out", source])
        #expect(p.status == 0, "\(p.stderr)")
        for name in ["a.h5", "b.h5"] {
            let r = try CommandRunner.run(["augment", "--in", source, "--config", Self.config, "--per-case", "2",
                                           "--seed", "5", "--out", dir.appendingPathComponent(name).path, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // Same seed, same voxels: every dataset's statistics agree to the last bit (the files differ only in the
        // recorded command line, which names the output).
        func statistics(_ name: String) throws -> [String] {
            let r = try CommandRunner.run(["info", dir.appendingPathComponent(name).path, "--json"])
            let images = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["images"] as! [[String: Any]]
            return images.map { i in ["dataset", "min", "max", "mean", "std"].map { "\(i[$0]!)" }.joined(separator: " ") }
        }
        let statsA = try statistics("a.h5")
        #expect(statsA.count == 24)  // 4 cases × 6 volumes
        #expect(statsA == (try statistics("b.h5")))

        let info = try CommandRunner.run(["info", dir.appendingPathComponent("a.h5").path, "--json", "--tree-only"])
        #expect(info.status == 0, "\(info.stderr)")
        let tree = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as! [String: Any])["tree"] as! [[String: Any]]
        let paths = tree.map { $0["path"] as! String }
        for id in ["case000_aug0", "case000_aug1", "case001_aug0", "case001_aug1"] {
            #expect(paths.contains("/cases/\(id)/T1") && paths.contains("/cases/\(id)/label"), "\(id) missing")
        }
        let group = tree.first { $0["path"] as? String == "/cases/case001_aug1" }!
        let attributes = (group["attributes"] as! [[String: String]]).reduce(into: [:]) { $0[$1["name"]!] = $1["value"]! }
        #expect(attributes["source_case_id"] == "\"case001\"")
        #expect(attributes["transforms"]?.contains("\"transform\"") == true)

        // Label maps keep only label values the source had.
        let labels = try CommandRunner.run(["info", dir.appendingPathComponent("a.h5").path, "--json", "--dataset", "/cases/case000_aug1/label"])
        let summary = ((try JSONSerialization.jsonObject(with: Data(labels.stdout.utf8)) as! [String: Any])["images"] as! [[String: Any]])[0]
        let maxLabel = summary["max"] as! Double
        #expect(maxLabel == maxLabel.rounded() && maxLabel <= 13)
    }

    @Test func badPipelineIsOneLineNamingTheConfig() throws {
        let dir = try Fixtures.temporaryFolder("augment-badcfg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("p.h5").path
        _ = try CommandRunner.run(["phantom", "--cases", "1", "--shape", "8", "16", "16", "--out", source])
        let cfg = dir.appendingPathComponent("bad.yaml")
        try "transforms:\n  - transform: affine\n    rotationDegrees: [-200, 10]\n".write(to: cfg, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("a.h5")
        let r = try CommandRunner.run(["augment", "--in", source, "--config", cfg.path, "--out", out.path])
        #expect(r.status == 1 && r.stderr.contains("bad.yaml") && r.stderr.contains("rotationDegrees"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

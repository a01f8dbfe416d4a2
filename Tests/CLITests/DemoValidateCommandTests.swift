import Foundation
import MedTestSupport
import Testing

/// `medsynth demo --quick` (the README's main job, shrunk) and `medsynth validate --quick` through the binary.
@Suite(.serialized) struct DemoValidateCommandTests {
    @Test func quickDemoRunsEveryStageAndLinksThem() throws {
        let folder = try Fixtures.temporaryFolder("demo-quick")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("demo")
        let r = try CommandRunner.run(["demo", "--quick", "--out", out.path, "--json"], in: Fixtures.repositoryRoot, timeoutSeconds: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((json["translation"] as? [Any])?.count == 2)
        // (a), (b2), (c), (f) at cohorts of 2 and 3, and the three cross-modality arms at 3.
        #expect((json["validationArms"] as? [Any])?.count == 4 * 2 + 3)
        #expect(json["validationCohortSizes"] as? [Int] == [2, 3])
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Learning curve"))
        for link in ["translator/report.html", "validation/report.html", "data/phantom.h5", "translation/comparison.png"] {
            #expect(html.contains(link), "report.html does not link \(link)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(link).path), "\(link) is missing")
        }
        for name in ["translation/translated.h5", "validation/per_case.csv", "validation/summary.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) is missing")
        }
        // Running it again finds every stage done and trains nothing.
        let again = try CommandRunner.run(["demo", "--quick", "--out", out.path], in: Fixtures.repositoryRoot, timeoutSeconds: 300)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("reusing the finished translator"))
        #expect(again.stderr.contains("20 of 20 trainings already done"))
    }

    @Test func validateQuickWritesTheReportAndRefusesBadSettings() throws {
        let folder = try Fixtures.temporaryFolder("validate-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = ["validate", "--config", "Configs/validate-lesions.yaml", "--outputs", folder.path, "--quick"]
        let bad = try CommandRunner.run(base + ["--name", "bad", "--set", "segmenter.training.stepz=3"], in: Fixtures.repositoryRoot)
        #expect(bad.status == 1 && bad.stderr.contains("segmenter.training.stepz"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path))
        let r = try CommandRunner.run(base + ["--name", "q", "--set", "arms.crossModality.enabled=false", "--jobs", "2"],
                                      in: Fixtures.repositoryRoot, timeoutSeconds: 300)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("target: At a cohort of at most 4 real cases"))
        #expect(r.stdout.contains("(c) n=2") && r.stdout.contains("(f) n=3"))
        #expect(r.stdout.contains("arm (e) did not run — not measured"))
        let csv = try String(contentsOf: folder.appendingPathComponent("q/per_case.csv"), encoding: .utf8)
        // The interim report of a finished run covers every size; it needs the run's name and nothing else.
        let interim = try CommandRunner.run(["validate", "--outputs", folder.path, "--name", "q", "--interim-report"], in: Fixtures.repositoryRoot)
        #expect(interim.status == 0 && interim.stdout.contains("interim report of cohort sizes 2, 3 (24 of 24 trainings finished)"), "\(interim.stdout)\(interim.stderr)")
        let refused = try CommandRunner.run(["validate", "--outputs", folder.path, "--name", "q", "--interim-report", "--set", "alpha=0.01"], in: Fixtures.repositoryRoot)
        #expect(refused.status == 1 && refused.stderr.contains("--interim-report"))
        // Six arms × cohorts of 2 and 3 × 2 seeds × 3 test cases.
        #expect(csv.split(separator: "\n").count == 1 + 6 * 2 * 2 * 3)
    }
}

import Foundation
import MedCore
import MedIO
import MedTestSupport
import Synchronization
import Testing
@testable import MedTraining
@testable import MedValidation

/// The reduced experiment (`--quick`) end to end, in process: every arm trains and is tested, the outputs are
/// written, results do not depend on how many trainings run at once, and a stopped experiment resumes to the
/// same numbers without training again what had finished.
@Suite(.serialized) struct ValidationExperimentTests {
    static func configuration() throws -> ResolvedConfiguration<ValidationExperimentConfig> {
        let root = Fixtures.repositoryRoot
        return try ConfigLoader.load(ValidationExperimentConfig.self, file: root.appendingPathComponent("Configs/validate-lesions.yaml").path,
                                     overrides: ValidationExperimentConfig.quickOverrides + [
                                        "arms.augment.pipeline=\(root.appendingPathComponent("Configs/augment-default.yaml").path)",
                                        "arms.onlineAugment.pipeline=\(root.appendingPathComponent("Configs/augment-online.yaml").path)",
                                        "arms.crossModality.translatorConfig=\(root.appendingPathComponent("Configs/pix2pix-ct2t1.yaml").path)",
                                     ])
    }

    /// The numbers of a result without its timing.
    static func numbers(_ r: ValidationJobResult) -> String {
        "\(r.arm.rawValue) \(r.cohortSize) \(r.seed) \(r.trainingCases) \(r.finalLoss) \(r.steps) \(r.keptStep) \(r.validationCurve) " + r.cases.map { "\($0.caseID):\($0.dice):\($0.hd95MM ?? -1):\($0.predictedVoxels)" }.joined(separator: " ")
    }

    @Test func quickExperimentRunsStopsAndResumesToTheSameNumbers() throws {
        try HDF5TestGate.exclusive {
            let folder = try Fixtures.temporaryFolder("validate")
            defer { try? FileManager.default.removeItem(at: folder) }
            let resolved = try Self.configuration()

            // Two trainings at a time, uninterrupted.
            let a = try ValidationExperiment(configuration: resolved, directory: folder.appendingPathComponent("a"), resume: false, workers: 2)
            let summary = try #require(try a.run())
            // Six arms at cohort sizes 2 and 3, the three cross-modality arms at 3 only ((e ceiling) = (a)); 2 seeds.
            let arms = ValidationArm.allCases
            let curveArms = arms.filter { !$0.isCrossModality }
            #expect(Set(summary.arms.map(\.arm)) == Set(arms))
            #expect(summary.arms.count == curveArms.count * 2 + 3)
            #expect(summary.arms.filter { $0.arm == .translated }.map(\.cohortSize) == [3])
            let trainings = (curveArms.count * 2 + 3) * 2
            #expect(summary.results.count == trainings)
            for name in ["report.html", "summary.json", "per_case.csv", "config.yaml", "data/translated-n3.h5", "data/validation-translated.h5",
                         "data/real-n2.h5", "data/real-n3.h5", "data/randomised-n2-seed1.h5", "translator/checkpoints/latest.h5"] {
                #expect(FileManager.default.fileExists(atPath: a.directory.appendingPathComponent(name).path), "\(name) is missing")
            }
            let csv = try String(contentsOf: a.directory.appendingPathComponent("per_case.csv"), encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 1 + trainings * 3)
            // The cohorts are nested: real-n2.h5 holds the first two cases of real-n3.h5.
            let small = try MedSynthDataset.readCase("case001", in: a.realFile(2)), large = try MedSynthDataset.readCase("case001", in: a.realFile(3))
            #expect(small.volume(.flair)?.voxels == large.volume(.flair)?.voxels)
            // Every training was validated (every 20 steps, patience 1: at most 40 steps) and kept its best step.
            for r in summary.results {
                #expect(!r.validationCurve.isEmpty && r.steps <= 40 && r.validationCurve.map(\.step).contains(r.keptStep))
                let best = r.validationCurve.map(\.dice).max()!
                #expect(r.validationCurve.first { $0.dice == best }?.step == r.keptStep)
            }
            // Arms that add cases trained on more cases than the cohort; (b2) on the cohort alone.
            #expect(summary.results.filter { $0.arm == .onlineAugment }.allSatisfy { $0.trainingCases == $0.cohortSize })
            #expect(summary.results.filter { $0.arm == .domainRandomised }.allSatisfy { $0.trainingCases == 2 * $0.cohortSize })
            let decoded = try runJSONDecoder().decode(ValidationSummary.self, from: Data(contentsOf: a.directory.appendingPathComponent("summary.json")))
            #expect(decoded.results.map(Self.numbers) == summary.results.map(Self.numbers))
            for r in summary.results { #expect(r.cases.allSatisfy { (0...1).contains($0.dice) }) }

            // A new run in the same folder is refused; resuming a finished one trains nothing again.
            #expect(throws: MedSynthError.self) { _ = try ValidationExperiment(configuration: resolved, directory: a.directory, resume: false) }
            let stamps = try FileManager.default.contentsOfDirectory(atPath: a.resultsDirectory.path).sorted().map {
                try FileManager.default.attributesOfItem(atPath: a.resultsDirectory.appendingPathComponent($0).path)[.modificationDate] as? Date
            }
            let again = try #require(try ValidationExperiment(configuration: resolved, directory: a.directory, resume: true, workers: 2).run())
            #expect(again.results.map(Self.numbers) == summary.results.map(Self.numbers))
            let stampsAfter = try FileManager.default.contentsOfDirectory(atPath: a.resultsDirectory.path).sorted().map {
                try FileManager.default.attributesOfItem(atPath: a.resultsDirectory.appendingPathComponent($0).path)[.modificationDate] as? Date
            }
            #expect(stamps == stampsAfter)

            // One at a time, stopped after three trainings, then resumed: the same numbers.
            let bFolder = folder.appendingPathComponent("b")
            let b = try ValidationExperiment(configuration: resolved, directory: bFolder, resume: false, workers: 1)
            let results = b.resultsDirectory
            let stopped = try b.run(shouldStop: {
                ((try? FileManager.default.contentsOfDirectory(atPath: results.path))?.count ?? 0) >= 3
            })
            #expect(stopped == nil)
            let kept = try FileManager.default.contentsOfDirectory(atPath: results.path).filter { $0.hasSuffix(".json") }
            #expect(kept.count == 3)
            #expect(!FileManager.default.fileExists(atPath: bFolder.appendingPathComponent("summary.json").path))
            // No cohort size is complete after 3 trainings: no interim report yet.
            let early = try ValidationExperiment.writeInterimReport(configuration: resolved, directory: bFolder)
            #expect(early.summary == nil && early.finished == 3 && early.total == summary.results.count - 2)
            // Resuming with another configuration is refused and names the key.
            var changed = resolved
            changed = try ConfigLoader.load(ValidationExperimentConfig.self, yaml: resolved.yaml, source: "changed.yaml", overrides: ["alpha=0.01"])
            #expect {
                _ = try ValidationExperiment(configuration: changed, directory: bFolder, resume: true)
            } throws: { ($0 as? MedSynthError)?.description.contains("alpha") ?? false }
            let resumed = try #require(try ValidationExperiment(configuration: resolved, directory: bFolder, resume: true, workers: 1).run())
            #expect(resumed.results.map(Self.numbers) == summary.results.map(Self.numbers))
            // Once every size is done the interim report holds what the final one holds, under interim/.
            let late = try ValidationExperiment.writeInterimReport(configuration: resolved, directory: bFolder)
            let interim = try #require(late.summary)
            #expect(late.finished == late.total && interim.cohortSizes == [2, 3])
            #expect(Set(interim.results.map(Self.numbers)) == Set(summary.results.map(Self.numbers)))
            let page = try String(contentsOf: bFolder.appendingPathComponent("interim/report.html"), encoding: .utf8)
            #expect(page.contains("Interim report: \(late.total) of \(late.total) trainings finished"))
        }
    }
}

import Foundation
import Testing
@testable import MedTraining

/// `RunFiles.resumeConflict`: a run saved before a setting existed resumes while that setting is at its default,
/// and any other difference is still refused with its key.
@Suite struct ResumeConflictTests {
    static func resolved() throws -> String {
        RunFiles.canonical(try ConfigLoader.load(SegmentationRunConfig.self, yaml: "{}", source: "test.yaml").yaml)
    }

    @Test func settingsMissingFromAnOlderRunAtTheirDefaultResume() throws {
        let now = try Self.resolved()
        #expect(RunFiles.resumeConflict(SegmentationRunConfig.self, saved: now, now: now) == nil)
        // The saved text lacks training.inferenceOverlap (as if it were added later): fine at its default.
        let saved = now.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("inferenceOverlap:") }.joined(separator: "\n")
        #expect(saved != now)
        #expect(RunFiles.resumeConflict(SegmentationRunConfig.self, saved: saved, now: now) == nil)
        // Not at its default now: refused, naming the key.
        let changed = RunFiles.canonical(try ConfigLoader.load(SegmentationRunConfig.self, yaml: "{}", source: "test.yaml",
                                                               overrides: ["training.inferenceOverlap=0.25"]).yaml)
        let conflict = try #require(RunFiles.resumeConflict(SegmentationRunConfig.self, saved: saved, now: changed))
        #expect(conflict.contains("training.inferenceOverlap: absent in the checkpoint, 0.25 now"))
        // A setting both texts have, with other values: refused.
        let steps = RunFiles.canonical(try ConfigLoader.load(SegmentationRunConfig.self, yaml: "{}", source: "test.yaml",
                                                             overrides: ["training.steps=7"]).yaml)
        #expect(RunFiles.resumeConflict(SegmentationRunConfig.self, saved: now, now: steps)?.contains("training.steps") == true)
        // A setting the run had that MedSynth dropped: refused (its behaviour is gone).
        #expect(RunFiles.resumeConflict(SegmentationRunConfig.self, saved: now, now: saved) != nil)
    }
}

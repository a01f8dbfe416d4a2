import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

@Suite struct AugmentBenchmarkTests {
    /// The benchmark runs every transform on a small grid and reports positive times.
    @Test func benchmarkRunsOnASmallGrid() throws {
        let entries = try AugmentationBenchmark.run(repetitions: 1, shape: VolumeShape(depth: 8, height: 32, width: 32))
        #expect(entries.map(\.transform) == AugmentationRegistry.names)
        #expect(entries.allSatisfy { $0.medianMS > 0 && $0.timesMS.count == 1 && $0.inPipelineMedianMS > 0 && $0.inPipelineTimesMS.count == 1 })
        #expect(AugmentationBenchmark.table(entries).contains("RandomMotion"))
        #expect(throws: MedSynthError.self) { try AugmentationBenchmark.run(repetitions: 0) }
    }

    /// The full-size benchmark, only when MEDSYNTH_AUGMENT_BENCH gives the repetitions (skipped, not passed,
    /// without it); writes the JSON to MEDSYNTH_AUGMENT_BENCH_JSON if set (input for
    /// `benchmarks/augment_peer.py --compare`). A value that is not a whole number fails.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_AUGMENT_BENCH"] != nil))
    func fullSizeBenchmarkWhenRequested() throws {
        let env = ProcessInfo.processInfo.environment
        let value = env["MEDSYNTH_AUGMENT_BENCH"] ?? ""
        let reps = try #require(Int(value), "MEDSYNTH_AUGMENT_BENCH='\(value)' is not a number of repetitions")
        let entries = try AugmentationBenchmark.run(repetitions: reps)
        print(AugmentationBenchmark.table(entries))
        if let path = env["MEDSYNTH_AUGMENT_BENCH_JSON"] {
            try PrettyJSON.data(entries).write(to: URL(fileURLWithPath: path))
        }
    }
}

import Foundation
import Testing
@testable import MedCore
import MedTestSupport

@Suite struct AtomicFileTests {
    @Test func failedWriteLeavesNothingAndKeepsOldFile() throws {
        let dir = try Fixtures.temporaryFolder("atomic")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("out.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: target)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: target) { tmp in
                try Data([9, 9]).write(to: tmp)
                throw Boom()
            }
        }
        #expect(try Data(contentsOf: target) == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
    }

    @Test func missingFolderIsAClearError() {
        let target = URL(fileURLWithPath: "/nonexistent-medsynth-folder/out.nii")
        do {
            try AtomicFile.write(Data([1]), to: target)
            Issue.record("expected an error")
        } catch let e as MedSynthError {
            #expect(e.kind == .writeFailed)
            #expect(e.description.contains("/nonexistent-medsynth-folder/out.nii"))
            #expect(e.description.contains("does not exist"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func parallelChunksCoverEveryIndexOnce() {
        let n = 10_007
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let c = counts
        Parallel.forEachChunk(count: n, minimumChunk: 100) { r in for i in r { c[i] += 1 } }
        #expect(counts.allSatisfy { $0 == 1 })
    }
}

import Dispatch
import Foundation
import MedCore

/// Where a dataset run stands, reported after every case.
public struct DatasetWriteProgress: Sendable, Equatable {
    /// The case just written (or found already present).
    public var caseID: String
    /// Cases of the run present in the file now (written by this run or an earlier one).
    public var completed: Int
    /// Cases the run will hold.
    public var total: Int
    /// Cases this run has written so far.
    public var written: Int
    /// Cases found already present when the run started.
    public var skipped: Int
}

/// What a dataset run did.
public struct DatasetWriteSummary: Sendable, Equatable, Codable {
    /// The dataset file.
    public var file: String
    /// Cases the file holds for this run.
    public var total: Int
    /// Cases written by this run.
    public var written: Int
    /// Cases that were already present (a resumed run).
    public var skipped: Int
    /// Wall time of the run, in seconds.
    public var seconds: Double
}

extension MedSynthDatasetWriter {
    /// Makes and writes every case of `caseIDs` that the file does not hold yet, in order.
    ///
    /// Case n + 1 is made on a background thread while case n is written, so generation (itself parallel) and
    /// compression overlap. `make` must be deterministic in its index for resumed runs to equal uninterrupted
    /// ones; it is called only for missing cases.
    /// - Parameters:
    ///   - caseIDs: the run's case ids, in order; `make(n)` must return a case with id `caseIDs[n]`.
    ///   - make: builds case n (called from a background thread, one call at a time).
    ///   - progress: called on the calling thread after each case is committed.
    /// - Returns: counts and wall time.
    /// - Throws: the first error of `make` or of writing; cases committed before it stay in the file.
    public func writeMissing(caseIDs: [String], make: @escaping @Sendable (Int) throws -> DatasetCase,
                             progress: (DatasetWriteProgress) -> Void = { _ in }) throws -> DatasetWriteSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        let missing = caseIDs.indices.filter { !contains(caseIDs[$0]) }
        let skipped = caseIDs.count - missing.count
        var written = 0
        let queue = DispatchQueue(label: "medsynth.dataset.make")
        func launch(_ n: Int) -> PendingCase {
            let pending = PendingCase()
            queue.async {
                pending.result = Result { try make(n) }
                pending.done.signal()
            }
            return pending
        }
        var next = missing.first.map(launch)
        for (position, n) in missing.enumerated() {
            let current = next!
            current.done.wait()
            next = position + 1 < missing.count ? launch(missing[position + 1]) : nil
            do {
                let c = try current.result!.get()
                guard c.id == caseIDs[n] else {
                    throw MedSynthError(.invalidArgument, url.path, "case \(n) was made with id '\(c.id)', expected '\(caseIDs[n])'")
                }
                try write(c)
            } catch {
                next?.done.wait()   // no background work may outlive the run
                throw error
            }
            written += 1
            progress(DatasetWriteProgress(caseID: caseIDs[n], completed: skipped + written, total: caseIDs.count,
                                          written: written, skipped: skipped))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return DatasetWriteSummary(file: url.path, total: caseIDs.count, written: written, skipped: skipped, seconds: seconds)
    }
}

/// A case being made on the background queue; `done` is signalled once `result` is set.
private final class PendingCase: @unchecked Sendable {
    // Written once by the background queue before `done.signal()`, read only after `done.wait()`.
    var result: Result<DatasetCase, Error>?
    let done = DispatchSemaphore(value: 0)
}

import Dispatch
import Foundation

/// Splitting loops over the machine's cores without oversubscribing.
public enum Parallel {
    /// The number of workers used by `forEach`: `MEDSYNTH_THREADS` if set, else the active processor count.
    public static let workerCount: Int = {
        if let s = ProcessInfo.processInfo.environment["MEDSYNTH_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// A lower worker count for the current thread (see `withWorkerLimit`); nil: `workerCount`.
    @TaskLocal static var workerLimit: Int?

    /// The workers `forEachChunk` uses on the current thread: `workerCount`, or the limit `withWorkerLimit` set.
    public static var currentWorkerCount: Int { min(workerCount, workerLimit ?? workerCount) }

    /// Runs `body` with `forEachChunk` limited to `workers` on this thread (1: every loop runs inline) — for a
    /// caller that runs several jobs side by side, each on its own core, without oversubscribing.
    public static func withWorkerLimit<T>(_ workers: Int, _ body: () throws -> T) rethrows -> T {
        try $workerLimit.withValue(max(1, workers), operation: body)
    }

    /// Calls `body` on contiguous chunks of `0..<count`, in parallel when the work is large enough.
    ///
    /// - Parameters:
    ///   - count: the number of items.
    ///   - minimumChunk: do not split below this many items per chunk (small loops run inline).
    ///   - body: processes the half-open range it is given; chunks never overlap.
    public static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = min(currentWorkerCount, max(1, count / max(1, minimumChunk)))
        if workers <= 1 { body(0..<count); return }
        let chunk = (count + workers - 1) / workers
        // concurrentPerform returns only after every chunk ran, and chunks are disjoint: callers' captured
        // state is never touched by two workers at the same index.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk
            let hi = min(count, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }
}

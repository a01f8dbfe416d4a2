import MedCore
import Foundation

/// A worker's scratch buffer of Floats; buffers of a few MiB are 2 MiB-aligned and advised to huge pages, so
/// that their first touch is a handful of faults (see `HugePages`).
///
/// Freed buffers of 64 KiB and more go back to `ScratchCache` and are handed out again to later kernels that
/// ask for the same size: a blur's ring of in-plane slices is 2–4 MiB per worker, and fresh pages for it on
/// every call cost the kernel's zeroing and faults each time (≈ 1 ms of a 15 ms blur here).
struct ScratchFloats {
    /// The buffer (uninitialised until written; a reused buffer holds stale values).
    let pointer: UnsafeMutablePointer<Float>
    /// Its capacity in Floats.
    let capacity: Int

    init(count: Int) {
        let capacity = max(1, count)
        if let reused = ScratchCache.shared.take(capacity: capacity) {
            pointer = reused
        } else {
            let bytes = capacity * MemoryLayout<Float>.stride
            let large = bytes >= HugePages.pageBytes
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: large ? HugePages.pageBytes : 64)
            if large { HugePages.advise(raw, byteCount: bytes, minimumBytes: HugePages.pageBytes) }
            pointer = raw.bindMemory(to: Float.self, capacity: capacity)
        }
        self.capacity = capacity
    }

    /// Releases the buffer (to the cache when it is large enough to be worth keeping).
    func free() {
        if !ScratchCache.shared.give(pointer, capacity: capacity) { pointer.deallocate() }
    }
}

/// Freed scratch buffers by exact capacity, at most `capacityBytes` in all (process-wide, guarded by a lock).
final class ScratchCache: @unchecked Sendable {
    /// The cache of the process.
    static let shared = ScratchCache()
    /// Buffers below this many bytes are not kept (allocating them is cheap).
    static let minimumBytes = 64 << 10
    /// The most bytes kept.
    let capacityBytes = 64 << 20

    private let lock = NSLock()
    private var buffers: [Int: [UnsafeMutablePointer<Float>]] = [:]   // guarded by lock
    private var bytes = 0                                              // guarded by lock

    /// A kept buffer of exactly `capacity` Floats, if any.
    func take(capacity: Int) -> UnsafeMutablePointer<Float>? {
        guard capacity * MemoryLayout<Float>.stride >= Self.minimumBytes else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let p = buffers[capacity]?.popLast() else { return nil }
        bytes -= capacity * MemoryLayout<Float>.stride
        return p
    }

    /// Keeps `pointer` (allocated by `ScratchFloats` with `capacity` Floats) when it fits; false when the
    /// caller must deallocate it.
    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) -> Bool {
        let size = capacity * MemoryLayout<Float>.stride
        guard size >= Self.minimumBytes else { return false }
        lock.lock()
        defer { lock.unlock() }
        guard bytes + size <= capacityBytes else { return false }
        buffers[capacity, default: []].append(pointer)
        bytes += size
        return true
    }
}

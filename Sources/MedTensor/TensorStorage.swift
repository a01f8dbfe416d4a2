import Foundation
import Synchronization

/// The buffer behind a `Tensor`: `count` Float32 values, contiguous, 64-byte aligned (one cache line, and
/// enough for any SIMD width), owned by this object and returned to `StorageCache` with it.
///
/// `Tensor` is a value type that shares one storage among copies and copies it only when a copy that is not
/// the sole owner is about to be written (copy-on-write, through `isKnownUniquelyReferenced`). Reading never
/// copies, so reshapes and detached views are free.
final class TensorStorage {
    /// The number of Float32 values.
    let count: Int
    /// The first value; valid for `count` elements until this object is freed.
    let pointer: UnsafeMutablePointer<Float>

    /// The alignment of every buffer, in bytes.
    static let alignment = 64

    /// Allocates uninitialised storage for `count` values (callers write every value before reading).
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "a tensor cannot hold \(count) values")
        self.count = count
        let raw = StorageCache.shared.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    /// Allocates storage for `count` values, all set to `value`.
    convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// Allocates storage holding a copy of `values`.
    convenience init<C: Collection>(copying values: C) where C.Element == Float {
        self.init(uninitializedCount: values.count)
        _ = UnsafeMutableBufferPointer(start: pointer, count: count).initialize(from: values)
    }

    /// A new storage with the same values (the copy in copy-on-write).
    func copy() -> TensorStorage {
        let s = TensorStorage(uninitializedCount: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    deinit { StorageCache.shared.deallocate(UnsafeMutableRawPointer(pointer), byteCount: max(1, count) * MemoryLayout<Float>.stride) }
}

/// Keeps freed tensor buffers of 64 KiB and more for reuse, by size.
///
/// A training step allocates the same activation and gradient shapes every time. Served by malloc, large
/// blocks come from fresh pages that the kernel faults in and zeroes on first write (glibc maps blocks over its
/// mmap threshold and unmaps them on free, and trims the heap top): measured at 20% of a 256-px CycleGAN step
/// before this cache. Kept here, a block of the same rounded size is handed out again without a fault.
///
/// The cache holds at most `limitBytes` of free blocks (`MEDSYNTH_TENSOR_CACHE_MB`; by default a quarter of
/// the physical memory, at most 8 GiB; 0 disables it); a block freed beyond that goes back to the system.
/// Because a training loop frees and reallocates the same sizes, the cache stays near the size of one step's
/// working set and does not add to the peak. Thread safe.
final class StorageCache: Sendable {
    /// The cache every tensor uses.
    static let shared = StorageCache(limitBytes: {
        if let s = ProcessInfo.processInfo.environment["MEDSYNTH_TENSOR_CACHE_MB"], let mb = Int(s), mb >= 0 {
            return mb << 20
        }
        return Int(min(ProcessInfo.processInfo.physicalMemory / 4, 8 << 30))
    }())

    /// Blocks below this size go straight to malloc, which serves them from its own free lists.
    static let minimumCachedBytes = 64 << 10
    /// Cached sizes are rounded up to whole pages, so that shapes of nearly equal size share blocks.
    static let granularity = 4096

    /// The most bytes of free blocks kept.
    let limitBytes: Int

    private struct State {
        /// Free block addresses by rounded size (addresses, because raw pointers are not `Sendable`).
        var free: [Int: [UInt]] = [:]
        var cachedBytes = 0
    }
    private let state = Mutex(State())

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    /// The size actually allocated for a request of `byteCount` bytes.
    static func roundedSize(_ byteCount: Int) -> Int {
        byteCount < minimumCachedBytes ? byteCount : (byteCount + granularity - 1) / granularity * granularity
    }

    /// Uninitialised memory for `byteCount` bytes, 64-byte aligned.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Self.roundedSize(byteCount)
        if size >= Self.minimumCachedBytes, let reused = state.withLock({ s -> UInt? in
            guard let p = s.free[size]?.popLast() else { return nil }
            s.cachedBytes -= size
            return p
        }), let p = UnsafeMutableRawPointer(bitPattern: reused) {
            return p
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: TensorStorage.alignment)
    }

    /// Returns memory from `allocate(byteCount:)` (the same `byteCount`).
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Self.roundedSize(byteCount)
        let kept = size >= Self.minimumCachedBytes && state.withLock { s -> Bool in
            guard s.cachedBytes + size <= limitBytes else { return false }
            s.free[size, default: []].append(UInt(bitPattern: pointer))
            s.cachedBytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }

    /// The bytes of free blocks held now.
    var cachedBytes: Int { state.withLock { $0.cachedBytes } }

    /// Frees every cached block.
    func releaseAll() {
        let blocks = state.withLock { s -> [UInt] in
            let all = s.free.values.flatMap { $0 }
            s.free = [:]
            s.cachedBytes = 0
            return all
        }
        for address in blocks { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}

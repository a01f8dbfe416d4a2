import Synchronization

/// Reusable scratch memory for kernels that need a large temporary (the im2col column matrix).
///
/// A column matrix for a 64-channel 3×3 convolution of a 128² image is 38 MB. Allocated fresh, every use
/// faults its pages in again (glibc serves blocks over 32 MB with mmap and returns them on free), which costs
/// as much as the im2col itself; reusing the blocks removes that cost. The pool keeps a few blocks — the
/// largest ones returned — for the life of the process; `releaseAll()` frees them.
final class ScratchPool: Sendable {
    /// The pool the kernels use.
    static let shared = ScratchPool()

    /// How many free blocks are kept.
    let maximumKept: Int

    /// An empty pool keeping up to `maximumKept` free blocks.
    init(maximumKept: Int = 4) { self.maximumKept = maximumKept }

    /// One block of Float scratch memory.
    final class Block: @unchecked Sendable {
        // Unchecked: a block is owned by one caller at a time (taken from and returned to the pool under the lock).
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride,
                                                       alignment: TensorStorage.alignment)
                .bindMemory(to: Float.self, capacity: capacity)
        }
        deinit { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    private let free = Mutex<[Block]>([])

    /// Calls `body` with at least `count` Floats of uninitialised scratch memory, valid only inside `body`.
    /// Safe to call from several threads at once (each gets its own block).
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let needed = max(1, count)
        let block = free.withLock { blocks -> Block? in
            // The smallest free block that is large enough.
            guard let i = blocks.indices.filter({ blocks[$0].capacity >= needed })
                .min(by: { blocks[$0].capacity < blocks[$1].capacity }) else { return nil }
            return blocks.remove(at: i)
        } ?? Block(capacity: needed)
        defer {
            free.withLock { blocks in
                blocks.append(block)
                if blocks.count > maximumKept {
                    blocks.remove(at: blocks.indices.min { blocks[$0].capacity < blocks[$1].capacity }!)
                }
            }
        }
        return try body(block.pointer)
    }

    /// Frees every kept block (for long-lived processes that are done with large convolutions).
    func releaseAll() { free.withLock { $0.removeAll() } }

    /// The number of blocks kept (for tests).
    var keptCount: Int { free.withLock { $0.count } }
}

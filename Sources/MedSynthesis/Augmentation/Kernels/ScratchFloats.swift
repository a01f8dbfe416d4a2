/// A worker's scratch buffer of Floats; buffers of a few MiB are 2 MiB-aligned and advised to huge pages, so
/// that their first touch is a handful of faults (see `HugePages`).
struct ScratchFloats {
    /// The buffer (uninitialised until written).
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        let large = bytes >= HugePages.pageBytes
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: large ? HugePages.pageBytes : 64)
        if large { HugePages.advise(raw, byteCount: bytes, minimumBytes: HugePages.pageBytes) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    /// Releases the buffer.
    func free() { pointer.deallocate() }
}

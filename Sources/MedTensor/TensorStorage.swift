/// The buffer behind a `Tensor`: `count` Float32 values, contiguous, 64-byte aligned (one cache line, and
/// enough for any SIMD width), owned by this object and freed with it.
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
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride,
                                                   alignment: TensorStorage.alignment)
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

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

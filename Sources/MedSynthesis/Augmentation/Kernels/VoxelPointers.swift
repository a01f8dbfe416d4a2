import MedCore

/// Scoped raw access to several voxel arrays at once, for kernels that read many co-registered volumes in one
/// parallel pass.
enum VoxelPointers {
    /// Calls `body` with the base addresses of every array; the pointers are valid only inside `body`.
    static func withBaseAddresses<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) throws -> R) rethrows -> R {
        func nest(_ n: Int, _ collected: [UnsafePointer<Float>]) throws -> R {
            if n == arrays.count { return try body(collected) }
            return try arrays[n].withUnsafeBufferPointer { try nest(n + 1, collected + [$0.baseAddress!]) }
        }
        return try nest(0, [])
    }

    /// Creates `count` arrays of `voxels` uninitialised Floats, lets `body` fill every element through the
    /// pointers, and returns them. Nothing is written twice: fresh memory is touched first by `body` (in
    /// parallel when `body` is), which matters because first-touch page faults dominate copying big volumes.
    static func withNewArrays(count: Int, voxels: Int, _ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
        var result: [[Float]] = []
        func nest(_ collected: [UnsafeMutablePointer<Float>]) -> [[Float]] {
            if collected.count == count {
                body(collected)
                return []
            }
            var rest: [[Float]] = []
            let array = [Float](unsafeUninitializedCapacity: voxels) { buffer, initialised in
                HugePages.advise(buffer.baseAddress!, byteCount: voxels * MemoryLayout<Float>.stride)
                rest = nest(collected + [buffer.baseAddress!])
                initialised = voxels
            }
            return [array] + rest
        }
        result = nest([])
        return result
    }

    /// A new array of `voxels` Floats filled by `body` through its pointer (see `withNewArrays`).
    static func withNewArray(voxels: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: voxels) { buffer, initialised in
            HugePages.advise(buffer.baseAddress!, byteCount: voxels * MemoryLayout<Float>.stride)
            body(buffer.baseAddress!)
            initialised = voxels
        }
    }

    /// A new array of `voxels` Floats whose contents are undefined: the caller writes every element before any
    /// is read (a destination buffer that a kernel fills completely). Large arrays get huge pages (`HugePages`).
    static func uninitializedArray(voxels: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: voxels) { buffer, initialised in
            if voxels > 0 { HugePages.advise(buffer.baseAddress!, byteCount: voxels * MemoryLayout<Float>.stride) }
            // Float has no invariants; every element is written by the caller before it is read.
            initialised = voxels
        }
    }

    /// Calls `body` with writable base addresses of the arrays in `boxes` (each box's array is changed in place
    /// when nothing else holds it, else copied first, as `withUnsafeMutableBufferPointer` does).
    static func withMutableBaseAddresses<R>(_ boxes: [VoxelArrayBox], _ body: ([UnsafeMutablePointer<Float>]) throws -> R) rethrows -> R {
        func nest(_ n: Int, _ collected: [UnsafeMutablePointer<Float>]) throws -> R {
            if n == boxes.count { return try body(collected) }
            // Each box is its own object, so these nested accesses never overlap.
            return try boxes[n].voxels.withUnsafeMutableBufferPointer { try nest(n + 1, collected + [$0.baseAddress!]) }
        }
        return try nest(0, [])
    }
}

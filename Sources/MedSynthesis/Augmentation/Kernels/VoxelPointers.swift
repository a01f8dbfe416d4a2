/// Scoped raw access to several voxel arrays at once, for kernels that read many co-registered volumes in one
/// parallel pass.
enum VoxelPointers {
    /// Calls `body` with the base addresses of every array; the pointers are valid only inside `body`.
    static func withBaseAddresses<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
        func nest(_ n: Int, _ collected: [UnsafePointer<Float>]) -> R {
            if n == arrays.count { return body(collected) }
            return arrays[n].withUnsafeBufferPointer { nest(n + 1, collected + [$0.baseAddress!]) }
        }
        return nest(0, [])
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
            body(buffer.baseAddress!)
            initialised = voxels
        }
    }
}

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
}

/// One voxel array held by a class, so that several can be open for writing at once (`withMutableBaseAddresses`)
/// without overlapping accesses to one Swift array of arrays.
final class VoxelArrayBox {
    /// The array; moved in and out with `init` and `take`, so the box is its only holder.
    var voxels: [Float]

    init(_ voxels: [Float]) { self.voxels = voxels }

    /// Moves the array out (the box keeps an empty one).
    func take() -> [Float] {
        var out: [Float] = []
        swap(&out, &voxels)
        return out
    }
}

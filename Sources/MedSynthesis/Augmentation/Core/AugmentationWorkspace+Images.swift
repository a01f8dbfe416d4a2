import MedCore
import MedIO

extension AugmentationWorkspace {
    /// `updateImage` for every image whose modality is in `modalities` (every image when nil), in `imageNames`
    /// order: `body(name, source, destination)`, where destination may be source (see `updateImage`).
    mutating func updateImages(matching modalities: [Modality]?,
                               _ body: (String, UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        for name in augmentationCase.imageNames(matching: modalities) {
            try updateImage(name) { source, destination in try body(name, source, destination) }
        }
    }

    /// `replaceImage` for every image whose modality is in `modalities` (every image when nil).
    mutating func replaceImages(matching modalities: [Modality]?,
                                _ body: (String, UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        for name in augmentationCase.imageNames(matching: modalities) {
            try replaceImage(name) { source, destination in try body(name, source, destination) }
        }
    }
}

/// A voxel-wise function evaluated eight voxels at a time (lane q of the result depends on lane q of the
/// argument only), for `VoxelMap.mapVectors`.
protocol VoxelVectorFunction {
    /// f applied to each lane.
    func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float>
}

/// Element-wise and slice-wise kernels over voxel buffers, parallel over fixed blocks or slices (so the result
/// is the same for any thread count: each output depends on its own inputs only). Destination may equal source.
enum VoxelMap {
    /// The block size of the parallel split.
    static let blockVoxels = 1 << 16

    /// dst[n..<n+8] = f(src[n..<n+8]) over 0..<count, eight voxels at a time; a last partial group is padded
    /// with its own first value, so every voxel goes through the same `f`. `f` is a value of a concrete type
    /// rather than a closure so that the specialised loop inlines it: a closure handed on to the parallel loop
    /// stays an indirect call per group of eight (half of gamma's time).
    @inline(__always)
    static func mapVectors<F: VoxelVectorFunction>(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ f: F) {
        blocks(count: count) { range in
            var n = range.lowerBound
            while n + 8 <= range.upperBound {
                let y = f(UnsafeRawPointer(src + n).loadUnaligned(as: SIMD8<Float>.self))
                UnsafeMutableRawPointer(dst + n).storeBytes(of: y, as: SIMD8<Float>.self)
                n += 8
            }
            if n < range.upperBound {
                var x = SIMD8<Float>(repeating: src[n])
                for q in 0..<(range.upperBound - n) { x[q] = src[n + q] }
                let y = f(x)
                for q in 0..<(range.upperBound - n) { dst[n + q] = y[q] }
            }
        }
    }

    /// Calls `body` on consecutive ranges of 0..<count of `blockVoxels` (the last shorter), in parallel.
    @inline(__always)
    static func blocks(count: Int, _ body: (Range<Int>) -> Void) {
        let blocks = (count + blockVoxels - 1) / blockVoxels
        Parallel.forEachChunk(count: blocks) { range in
            for b in range { body((b * blockVoxels)..<min(count, (b + 1) * blockVoxels)) }
        }
    }

    /// `body(k, source slice, destination slice)` for every slice, parallel over slices. `body` must write every
    /// voxel of its destination slice, reading each source voxel before writing its destination voxel.
    static func perSlice(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: VolumeShape,
                         _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let n = shape.sliceCount
        Parallel.forEachChunk(count: shape.depth) { slices in
            for k in slices { body(k, src + k * n, dst + k * n) }
        }
    }
}

/// Per-image, per-slice noise streams, all derived from one drawn seed: image `name`, slice k uses
/// SeededGenerator(seed).split(FNV-1a(name)).split(k), which seeds the slice's normal sampler (MedKernels'
/// `NormalVectorStream`). Adding or renaming another image never changes an image's noise, and slices can be
/// filled in parallel in any order.
enum NoiseStreams {
    /// The generator of slice `k` of image `name`.
    static func generator(seed: UInt64, image name: String, slice k: Int) -> SeededGenerator {
        SeededGenerator(seed: seed).split(fnv1a(name)).split(UInt64(k))
    }

    /// Calls `body(source slice, destination slice, generator)` for every slice, in parallel over slices, with
    /// the slice's generator. Every slice's values depend only on its own stream, so the thread count never
    /// changes a voxel. Destination may be source.
    static func forEachSlice(seed: UInt64, image name: String, shape: VolumeShape, _ src: UnsafePointer<Float>,
                             _ dst: UnsafeMutablePointer<Float>,
                             _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, SeededGenerator) -> Void) {
        let imageStream = SeededGenerator(seed: seed).split(fnv1a(name))
        let n = shape.sliceCount
        Parallel.forEachChunk(count: shape.depth) { slices in
            for k in slices { body(src + k * n, dst + k * n, imageStream.split(UInt64(k))) }
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: a stable hash (Swift's `hashValue` changes between runs).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

import MedCore
import MedIO

extension AugmentationCase {
    /// A copy in which every image whose modality is in `modalities` (every image when nil) is replaced by
    /// `body(name, volume)`; other images and the label map are left untouched.
    /// - Throws: whatever `body` throws.
    func mappingImages(matching modalities: [Modality]?, _ body: (String, Volume) throws -> [Float]) rethrows -> AugmentationCase {
        var out = self
        for name in imageNames(matching: modalities) { out.setImageVoxels(name, try body(name, images[name]!)) }
        return out
    }
}

/// Element-wise maps over voxel arrays, parallel over fixed blocks (so the result is the same for any thread
/// count: each output depends on its own input only).
enum VoxelMap {
    /// The block size of the parallel split.
    static let blockVoxels = 1 << 16

    /// out[n] = f(v[n]).
    @inline(__always)
    static func map(_ v: [Float], _ f: (Float) -> Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: v.count) { out, count in
            let dst = out.baseAddress!
            v.withUnsafeBufferPointer { src in
                let blocks = (v.count + blockVoxels - 1) / blockVoxels
                Parallel.forEachChunk(count: blocks) { range in
                    let lo = range.lowerBound * blockVoxels, hi = min(v.count, range.upperBound * blockVoxels)
                    for n in lo..<hi { dst[n] = f(src[n]) }
                }
            }
            count = v.count
        }
    }

    /// v[n] = f(v[n]) in place.
    @inline(__always)
    static func update(_ v: inout [Float], _ f: (Float) -> Float) {
        let count = v.count
        v.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            let blocks = (count + blockVoxels - 1) / blockVoxels
            Parallel.forEachChunk(count: blocks) { range in
                let lo = range.lowerBound * blockVoxels, hi = min(count, range.upperBound * blockVoxels)
                for n in lo..<hi { base[n] = f(base[n]) }
            }
        }
    }

    /// A new volume whose slice k is written by `body(k, source slice, destination slice)`, parallel over slices.
    /// `body` must write every voxel of its destination slice.
    static func perSlice(_ v: [Float], shape: VolumeShape,
                         _ body: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let n = shape.sliceCount
        return v.withUnsafeBufferPointer { src in
            VoxelPointers.withNewArray(voxels: v.count) { dst in
                Parallel.forEachChunk(count: shape.depth) { slices in
                    for k in slices { body(k, src.baseAddress! + k * n, dst + k * n) }
                }
            }
        }
    }
}

/// Per-image, per-slice noise streams, all derived from one drawn seed: image `name`, slice k uses
/// SeededGenerator(seed).split(FNV-1a(name)).split(k). Adding or renaming another image never changes an
/// image's noise, and slices can be filled in parallel in any order.
enum NoiseStreams {
    /// The stream for slice `k` of image `name`.
    static func stream(seed: UInt64, image name: String, slice k: Int) -> NoiseStream {
        NoiseStream(seededBy: SeededGenerator(seed: seed).split(fnv1a(name)).split(UInt64(k)))
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: a stable hash (Swift's `hashValue` changes between runs).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

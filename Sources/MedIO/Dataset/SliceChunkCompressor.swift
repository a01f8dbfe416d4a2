import CHDF5
import CZlib
import MedCore

/// Writes a volume dataset whose chunks are single slices by handing HDF5 finished chunks (`H5Dwrite_chunk`):
/// compressed on all cores for a shuffle + deflate dataset, instead of HDF5's filter pipeline compressing them one
/// by one under its global lock; the raw slices for an unfiltered one, instead of staging them through HDF5's
/// chunk cache.
///
/// A compressed chunk is what the dataset's filters (shuffle, then deflate) define: the shuffle puts byte 0 of
/// every float first, then byte 1, … (HDF5's `H5Z_filter_shuffle`), and deflate is a zlib stream at the dataset's
/// level with the chosen `DeflateStrategy` (with `.standard`, the very bytes HDF5's `H5Z_filter_deflate` makes),
/// so any HDF5 reader decodes it with the standard filters.
enum SliceChunkCompressor {
    /// Slices compressed per batch and worker (bounds the memory held by finished chunks).
    static let slicesPerWorkerAndBatch = 4

    /// Writes `voxels` (C order, `shape`) into `dataset`, which must be float32, chunked `(1, height, width)`,
    /// with shuffle + deflate at `level` when `level` is given and without filters otherwise.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file and dataset.
    static func write(_ voxels: [Float], shape: VolumeShape, level: Int?, strategy: DeflateStrategy = .runLength,
                      to dataset: HDF5Dataset) throws {
        let sliceBytes = shape.sliceCount * MemoryLayout<Float>.size
        guard let level else {
            try voxels.withUnsafeBytes { raw in
                for k in 0..<shape.depth {
                    try writeChunk(raw.baseAddress! + k * sliceBytes, byteCount: sliceBytes, slice: k, to: dataset)
                }
            }
            return
        }
        let batch = max(1, Parallel.currentWorkerCount * slicesPerWorkerAndBatch)
        var first = 0
        while first < shape.depth {
            let slices = first..<min(shape.depth, first + batch)
            var chunks = [[UInt8]](repeating: [], count: slices.count)
            var failed = false
            chunks.withUnsafeMutableBufferPointer { out in
                let results = out.baseAddress!
                voxels.withUnsafeBytes { raw in
                    let bytes = raw.bindMemory(to: UInt8.self).baseAddress!
                    Parallel.forEachChunk(count: slices.count) { range in
                        guard let deflater = Deflater(level: level, strategy: strategy) else { failed = true; return }
                        var shuffled = [UInt8](repeating: 0, count: sliceBytes)
                        for n in range {
                            shuffle(bytes + (slices.lowerBound + n) * sliceBytes, elements: shape.sliceCount, into: &shuffled)
                            guard let packed = deflater.compress(shuffled) else { failed = true; continue }
                            results[n] = packed
                        }
                    }
                }
            }
            if failed {
                throw MedSynthError(.writeFailed, dataset.fileName, "cannot compress a slice of dataset '\(dataset.path)' (zlib error)")
            }
            for (n, chunk) in chunks.enumerated() {
                try chunk.withUnsafeBytes { try writeChunk($0.baseAddress!, byteCount: chunk.count, slice: slices.lowerBound + n, to: dataset) }
            }
            first = slices.upperBound
        }
    }

    /// Byte plane b of `out` holds byte b of every 4-byte element of `source`.
    @inline(__always)
    static func shuffle(_ source: UnsafePointer<UInt8>, elements: Int, into out: inout [UInt8]) {
        out.withUnsafeMutableBufferPointer { o in
            let p0 = o.baseAddress!, p1 = p0 + elements, p2 = p1 + elements, p3 = p2 + elements
            for e in 0..<elements {
                let s = source + 4 * e
                p0[e] = s[0]
                p1[e] = s[1]
                p2[e] = s[2]
                p3[e] = s[3]
            }
        }
    }

    /// `H5Dwrite_chunk` of slice `k` (filter mask 0: every filter of the dataset was applied).
    private static func writeChunk(_ bytes: UnsafeRawPointer, byteCount: Int, slice k: Int, to dataset: HDF5Dataset) throws {
        let offset: [hsize_t] = [hsize_t(k), 0, 0]
        try dataset.context.check(H5Dwrite_chunk(dataset.handle.id, ms_h5p_default(), 0, offset, byteCount, bytes),
                                  .writeFailed, "cannot write slice \(k) of dataset '\(dataset.path)'")
    }
}

/// One zlib deflate stream, reset for every chunk (its window and hash tables are allocated once per worker).
private final class Deflater {
    private var stream = z_stream()

    /// nil when zlib cannot set up the stream (out of memory, bad level).
    init?(level: Int, strategy: DeflateStrategy) {
        let status = deflateInit2_(&stream, Int32(level), Z_DEFLATED, MAX_WBITS, 8, strategy.zlibValue,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if status != Z_OK { return nil }
    }

    deinit { deflateEnd(&stream) }

    /// The zlib stream of `input`, or nil on a zlib error.
    func compress(_ input: [UInt8]) -> [UInt8]? {
        guard deflateReset(&stream) == Z_OK else { return nil }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let status: Int32 = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress!)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress!
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }
}

import CHDF5
import CZlib
import MedCore

/// Writes a volume dataset whose chunks are single slices by compressing the slices on all cores and handing
/// HDF5 the finished chunks (`H5Dwrite_chunk`), instead of letting HDF5's filter pipeline compress them one by one
/// under its global lock.
///
/// Each chunk is exactly what the dataset's own filters (shuffle, then deflate) produce: the shuffle puts byte 0 of
/// every float first, then byte 1, … (HDF5's `H5Z_filter_shuffle`), and deflate is zlib's `compress2` at the
/// dataset's level (HDF5's `H5Z_filter_deflate` runs the same zlib stream), so any HDF5 reader decodes it with the
/// standard filters.
enum SliceChunkCompressor {
    /// Slices compressed per batch and worker (bounds the memory held by finished chunks).
    static let slicesPerWorkerAndBatch = 4

    /// Writes `voxels` (C order, `shape`) into `dataset`, which must be float32, chunked `(1, height, width)`
    /// with shuffle + deflate at `level`.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file and dataset.
    static func write(_ voxels: [Float], shape: VolumeShape, level: Int, to dataset: HDF5Dataset) throws {
        let sliceCount = shape.sliceCount
        let sliceBytes = sliceCount * MemoryLayout<Float>.size
        let batch = max(1, Parallel.workerCount * slicesPerWorkerAndBatch)
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
                        var shuffled = [UInt8](repeating: 0, count: sliceBytes)
                        for n in range {
                            let source = bytes + (slices.lowerBound + n) * sliceBytes
                            // Byte plane b holds byte b of every element.
                            for b in 0..<4 {
                                for e in 0..<sliceCount { shuffled[b * sliceCount + e] = source[e * 4 + b] }
                            }
                            var length = compressBound(uLong(sliceBytes))
                            var packed = [UInt8](repeating: 0, count: Int(length))
                            let status = compress2(&packed, &length, shuffled, uLong(sliceBytes), Int32(level))
                            if status != Z_OK { failed = true; continue }
                            packed.removeSubrange(Int(length)...)
                            results[n] = packed
                        }
                    }
                }
            }
            if failed {
                throw MedSynthError(.writeFailed, dataset.fileName, "cannot compress a slice of dataset '\(dataset.path)' (zlib error)")
            }
            for (n, chunk) in chunks.enumerated() {
                let offset: [hsize_t] = [hsize_t(slices.lowerBound + n), 0, 0]
                let status = chunk.withUnsafeBytes { H5Dwrite_chunk(dataset.handle.id, ms_h5p_default(), 0, offset, chunk.count, $0.baseAddress) }
                try dataset.context.check(status, .writeFailed, "cannot write slice \(slices.lowerBound + n) of dataset '\(dataset.path)'")
            }
            first = slices.upperBound
        }
    }
}

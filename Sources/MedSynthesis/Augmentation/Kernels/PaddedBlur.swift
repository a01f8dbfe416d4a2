import MedCore
import MedIO

/// A separable Gaussian blur that pads with the image's background: the border mean b is subtracted, the result
/// convolved with kx ⊗ ky ⊗ kz under zero padding (as `GaussianBlur3D.blurSeparable`), and b added back, so a CT
/// padded with 0 HU does not gain a bright rim. Optionally the unsharp mask x + a·(x − blur(x)) instead.
///
/// Shapes: src [D][H][W] → dst [D][H][W], distinct buffers. All three passes run in one sweep over the volume:
/// each worker takes a range of output slices and keeps a ring of kz.count slices blurred along width and
/// height (x pass into a padded row, y pass into the ring), from which each output row is the z pass; so the
/// volume is read once and written once instead of three times each. Every voxel is a fixed sum of taps in
/// order, the same for any thread count; `GaussianBlur3D.blurReference` is the oracle in the tests.
enum PaddedBlur {
    /// σ in voxels from σ in mm.
    static func kernels(sigmaMM: SIMD3<Double>, spacingMM: SIMD3<Double>) -> (x: [Float], y: [Float], z: [Float]) {
        let s = sigmaMM / spacingMM
        return (GaussianBlur3D.kernel(sigmaVoxels: s.x, radiusSigmas: radiusSigmas),
                GaussianBlur3D.kernel(sigmaVoxels: s.y, radiusSigmas: radiusSigmas),
                GaussianBlur3D.kernel(sigmaVoxels: s.z, radiusSigmas: radiusSigmas))
    }

    /// Kernel truncation in multiples of σ (3σ keeps 99.7 % of the mass).
    static let radiusSigmas = 3.0

    /// The blurred copy of `voxels` (for tests and small volumes).
    static func blur(_ voxels: [Float], shape: VolumeShape, kernels: (x: [Float], y: [Float], z: [Float])) -> [Float] {
        voxels.withUnsafeBufferPointer { src in
            VoxelPointers.withNewArray(voxels: voxels.count) { dst in blur(src.baseAddress!, dst, shape: shape, kernels: kernels) }
        }
    }

    /// dst = blur(src), or with `unsharpAmount` a: dst = src + a·(src − blur(src)). `src` and `dst` are distinct.
    static func blur(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: VolumeShape,
                     kernels: (x: [Float], y: [Float], z: [Float]), unsharpAmount: Float? = nil) {
        for k in [kernels.x, kernels.y, kernels.z] { precondition(k.count % 2 == 1, "kernel of \(k.count) taps; expected an odd count") }
        if kernels.x.count == 1, kernels.y.count == 1, kernels.z.count == 1 {
            dst.update(from: src, count: shape.voxelCount)   // σ = 0 on every axis: blur(x) = x, x + a·0 = x
            return
        }
        let pad = Float(IntensityStatistics.borderMean(src, shape: shape))
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let slice = w * h
        let rz = kernels.z.count / 2
        // Output slices in one contiguous range per worker (each worker recomputes rz ring slices at its ends).
        let workers = min(Parallel.currentWorkerCount, d)
        let per = (d + workers - 1) / workers
        kernels.x.withUnsafeBufferPointer { kx in kernels.y.withUnsafeBufferPointer { ky in kernels.z.withUnsafeBufferPointer { kz in
            Parallel.forEachChunk(count: workers) { range in
                for worker in range {
                    let first = worker * per, end = min(d, first + per)
                    guard first < end else { continue }
                    let ringCount = kz.count
                    let ring = ScratchFloats(count: ringCount * slice), across = ScratchFloats(count: slice)
                    let row = ScratchFloats(count: w + kx.count + 8)
                    defer { ring.free(); across.free(); row.free() }
                    var nextSlice = max(0, first - rz)   // the next slice to blur in-plane into the ring
                    for k in first..<end {
                        while nextSlice <= min(d - 1, k + rz) {
                            blurInPlane(src + nextSlice * slice, into: ring.pointer + (nextSlice % ringCount) * slice,
                                        scratch: across.pointer, row: row.pointer, width: w, height: h, pad: pad, kx: kx, ky: ky)
                            nextSlice += 1
                        }
                        for j in 0..<h {
                            let offset = k * slice + j * w
                            zPassRow(ring: ring.pointer, ringCount: ringCount, slice: slice, rowOffset: j * w, k: k, depth: d,
                                     width: w, kz: kz, pad: pad, source: src + offset, out: dst + offset, unsharpAmount: unsharpAmount)
                        }
                    }
                }
            }
        } } }
    }

    /// ring slice = (ky ∗ (kx ∗ (x − pad))) of one slice, zero padded: the x pass through a row padded with zeros,
    /// into `scratch`, then the y pass from `scratch` into `out`.
    private static func blurInPlane(_ src: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>,
                                    width w: Int, height h: Int, pad: Float,
                                    kx: UnsafeBufferPointer<Float>, ky: UnsafeBufferPointer<Float>) {
        let rx = kx.count / 2, ry = ky.count / 2
        // row[rx + i] = x[i] − pad, zeros around, so every output column sums all its taps.
        row.update(repeating: 0, count: w + 2 * rx + 8)
        for j in 0..<h {
            let line = src + j * w
            for i in 0..<w { row[rx + i] = line[i] - pad }
            accumulate(taps: kx.count, width: w, out: scratch + j * w) { t in (kx[t], UnsafePointer(row + t)) }
        }
        for j in 0..<h {
            let lo = max(0, ry - j), hi = min(ky.count, h + ry - j)   // taps whose row lies inside the slice
            accumulate(taps: hi - lo, width: w, out: out + j * w) { t in
                (ky[lo + t], UnsafePointer(scratch + (j + lo + t - ry) * w))
            }
        }
    }

    /// One output row: the z pass over the ring's in-plane blurred slices, plus the pad; or the unsharp mask.
    @inline(__always)
    private static func zPassRow(ring: UnsafeMutablePointer<Float>, ringCount: Int, slice: Int, rowOffset: Int, k: Int,
                                 depth d: Int, width w: Int, kz: UnsafeBufferPointer<Float>, pad: Float,
                                 source: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, unsharpAmount: Float?) {
        let rz = kz.count / 2
        let lo = max(0, rz - k), hi = min(kz.count, d + rz - k)
        accumulate(taps: hi - lo, width: w, out: out) { t in
            let s = k + lo + t - rz
            return (kz[lo + t], UnsafePointer(ring + (s % ringCount) * slice + rowOffset))
        }
        if let a = unsharpAmount {
            for i in 0..<w {
                let blurred = out[i] + pad
                out[i] = source[i] + a * (source[i] - blurred)
            }
        } else {
            for i in 0..<w { out[i] += pad }
        }
    }

    /// out[i] = Σ_t weight(t) · row(t)[i] for i in 0..<width, the taps summed in order t = 0, 1, … (0 taps give
    /// 0): the taps collected, then `VoxelKernels.weightedRowSum` at the CPU's SIMD level. Every column is the
    /// same ordered sum as `accumulateReference`, so the bits are the same.
    @inline(__always)
    static func accumulate(taps: Int, width w: Int, out: UnsafeMutablePointer<Float>,
                           _ tap: (Int) -> (Float, UnsafePointer<Float>)) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, taps)) { weights in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: max(1, taps)) { rows in
                for t in 0..<taps {
                    let (weight, row) = tap(t)
                    weights.initializeElement(at: t, to: weight)
                    rows.initializeElement(at: t, to: row)
                }
                SIMDKernels.weightedRowSum(rows: rows.baseAddress!, weights: weights.baseAddress!, taps: taps, width: w, out: out)
            }
        }
    }

    /// The plain loop `accumulate` must equal bit for bit: one column at a time, taps in order.
    static func accumulateReference(taps: Int, width w: Int, out: UnsafeMutablePointer<Float>,
                                    _ tap: (Int) -> (Float, UnsafePointer<Float>)) {
        for i in 0..<w {
            var acc: Float = 0
            for t in 0..<taps {
                let (weight, row) = tap(t)
                acc += weight * row[i]
            }
            out[i] = acc
        }
    }
}

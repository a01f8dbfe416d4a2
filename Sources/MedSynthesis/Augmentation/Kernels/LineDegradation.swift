import MedCore
import MedIO

/// `LowResolutionAugmentation.degrade` for every line of a volume along one axis, computed a row of voxels at a
/// time: each line is blurred with edge values replicated, sampled every `factor` voxels (linear between
/// neighbours) and interpolated back linearly; the same operations in the same order as `degrade`, so the same
/// values.
///
/// Along height and depth the lines of one plane (a slice, or the rows j of every slice) are processed together:
/// the blurred rows (`PaddedBlur.accumulate`), then the sample rows, then the output rows are whole-row
/// multiply-adds. Along width each row is one line (blurred by `PaddedBlur.accumulate`, sampled voxel by voxel). A plane or
/// row is read completely before it is written, so the destination may be the source.
struct LineDegradation: Sendable {
    /// The line length (the axis extent).
    let count: Int
    /// The blur taps (odd count; [1] for none).
    let kernel: [Float]
    /// Samples along the line: floor((count − 1)/factor) + 1.
    let samples: Int
    /// Sample m lies between blurred positions sampleLow[m] and sampleHigh[m], at fraction sampleFraction[m].
    let sampleLow: [Int], sampleHigh: [Int], sampleFraction: [Float]
    /// Output position q interpolates samples outLow[q] and outHigh[q] at fraction outFraction[q] (the last
    /// positions hold the last sample: outHigh = outLow, fraction 0).
    let outLow: [Int], outHigh: [Int], outFraction: [Float]

    init(count n: Int, factor: Double, kernel: [Float]) {
        count = n
        self.kernel = kernel
        let samples = Int(Double(n - 1) / factor) + 1
        self.samples = samples
        var low = [Int](), high = [Int](), fraction = [Float]()
        for m in 0..<samples {
            let p = Double(m) * factor
            let p0 = min(Int(p), n - 1)
            low.append(p0)
            high.append(min(p0 + 1, n - 1))
            fraction.append(Float(p - Double(p0)))
        }
        (sampleLow, sampleHigh, sampleFraction) = (low, high, fraction)
        var ol = [Int](), oh = [Int](), of = [Float]()
        for q in 0..<n {
            let u = Double(q) / factor
            let m = min(Int(u), samples - 1)
            ol.append(m)
            oh.append(m + 1 < samples ? m + 1 : m)
            of.append(m + 1 < samples ? Float(u - Double(m)) : 0)
        }
        (outLow, outHigh, outFraction) = (ol, oh, of)
    }

    /// Degrades every line of `src` along `axis` into `dst` (which may be `src`).
    func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: VolumeShape, axis: SpatialAxis) {
        precondition(axis.extent(of: shape) == count, "plan for lines of \(count) voxels used along \(axis) of \(shape)")
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        switch axis {
        case .width:
            Parallel.forEachChunk(count: d * h, minimumChunk: 64) { rows in
                let padded = ScratchFloats(count: w + kernel.count + 8), blurred = ScratchFloats(count: w + 8)
                defer { padded.free(); blurred.free() }
                for r in rows { degradeRow(src + r * w, dst + r * w, padded: padded.pointer, blurred: blurred.pointer) }
            }
        case .height:
            planes(src, dst, planeCount: d, planeStride: h * w, rowStride: w, width: w)
        case .depth:
            planes(src, dst, planeCount: h, planeStride: w, rowStride: h * w, width: w)
        }
    }

    /// Planes of `count` rows of `width` voxels, the lines running across the rows; parallel over planes.
    private func planes(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, planeCount: Int,
                        planeStride: Int, rowStride: Int, width w: Int) {
        let r = kernel.count / 2, n = count   // locals: a closure that reads `self` copies the struct (six arrays retained)
        Parallel.forEachChunk(count: planeCount) { range in
            let blurred = ScratchFloats(count: count * w), sampled = ScratchFloats(count: samples * w)
            defer { blurred.free(); sampled.free() }
            kernel.withUnsafeBufferPointer { k in
                for plane in range {
                    let s = src + plane * planeStride, o = dst + plane * planeStride
                    // Blurred rows, edge rows replicated: B[q] = Σ_t k[t]·row(clamp(q + t − r)).
                    for q in 0..<count {
                        PaddedBlur.accumulate(taps: k.count, width: w, out: blurred.pointer + q * w) { t in
                            (k[t], s + min(max(q + t - r, 0), n - 1) * rowStride)
                        }
                    }
                    for m in 0..<samples {
                        Self.lerpRows(blurred.pointer + sampleLow[m] * w, blurred.pointer + sampleHigh[m] * w, sampleFraction[m],
                                      into: sampled.pointer + m * w, width: w)
                    }
                    for q in 0..<count {
                        Self.lerpRows(sampled.pointer + outLow[q] * w, sampled.pointer + outHigh[q] * w, outFraction[q],
                                      into: o + q * rowStride, width: w)
                    }
                }
            }
        }
    }

    /// One line stored contiguously (a row along width).
    private func degradeRow(_ line: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                            padded: UnsafeMutablePointer<Float>, blurred: UnsafeMutablePointer<Float>) {
        let n = count, r = kernel.count / 2
        for i in 0..<(n + 2 * r) { padded[i] = line[min(max(i - r, 0), n - 1)] }
        kernel.withUnsafeBufferPointer { k in
            PaddedBlur.accumulate(taps: k.count, width: n, out: blurred) { t in (k[t], UnsafePointer(padded + t)) }
        }
        var m0 = -1
        var v0: Float = 0, v1: Float = 0
        for q in 0..<n {
            let m = outLow[q]
            if m != m0 {
                m0 = m
                v0 = sample(blurred, m)
                v1 = outHigh[q] != m ? sample(blurred, outHigh[q]) : v0
            }
            out[q] = v0 + outFraction[q] * (v1 - v0)
        }
    }

    @inline(__always)
    private func sample(_ blurred: UnsafeMutablePointer<Float>, _ m: Int) -> Float {
        let a = blurred[sampleLow[m]]
        return a + sampleFraction[m] * (blurred[sampleHigh[m]] - a)
    }

    /// out = a + f·(b − a), row by row.
    @inline(__always)
    private static func lerpRows(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ f: Float,
                                 into out: UnsafeMutablePointer<Float>, width w: Int) {
        var i = 0
        while i + 8 <= w {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: x + f * (y - x), as: SIMD8<Float>.self)
            i += 8
        }
        while i < w { out[i] = a[i] + f * (b[i] - a[i]); i += 1 }
    }
}

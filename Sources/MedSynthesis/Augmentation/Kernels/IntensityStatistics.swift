import MedCore
import MedIO

/// Whole-volume statistics the intensity transforms need (minimum, maximum, mean, the mean of the border faces),
/// computed per slice and combined in slice order, so the result never depends on the thread count.
enum IntensityStatistics {
    /// The smallest value (0 for an empty array).
    static func minimum(_ v: [Float]) -> Float { range(v).lowerBound }

    /// The smallest and largest values (0...0 for an empty array).
    static func range(_ v: [Float]) -> ClosedRange<Float> {
        guard !v.isEmpty else { return 0...0 }
        let chunks = 64
        let per = (v.count + chunks - 1) / chunks
        var lows = [Float](repeating: .infinity, count: chunks), highs = [Float](repeating: -.infinity, count: chunks)
        v.withUnsafeBufferPointer { p in
            lows.withUnsafeMutableBufferPointer { lo in
                highs.withUnsafeMutableBufferPointer { hi in
                    Parallel.forEachChunk(count: chunks) { range in
                        for c in range {
                            var a = Float.infinity, b = -Float.infinity
                            for n in (c * per)..<min(v.count, (c + 1) * per) { a = min(a, p[n]); b = max(b, p[n]) }
                            lo[c] = a
                            hi[c] = b
                        }
                    }
                }
            }
        }
        return lows.min()!...highs.max()!
    }

    /// The mean, accumulated in Double per fixed block, blocks summed in order.
    static func mean(_ v: [Float]) -> Double {
        guard !v.isEmpty else { return 0 }
        let chunks = 64
        let per = (v.count + chunks - 1) / chunks
        var sums = [Double](repeating: 0, count: chunks)
        v.withUnsafeBufferPointer { p in
            sums.withUnsafeMutableBufferPointer { s in
                Parallel.forEachChunk(count: chunks) { range in
                    for c in range {
                        var acc = 0.0
                        for n in (c * per)..<min(v.count, (c + 1) * per) { acc += Double(p[n]) }
                        s[c] = acc
                    }
                }
            }
        }
        return sums.reduce(0, +) / Double(v.count)
    }

    /// The mean of the voxels on the six faces of the grid: the padding value of the blur-based transforms, so
    /// that zero padding of `GaussianBlur3D` acts as padding with the background around the volume.
    static func borderMean(_ v: [Float], shape: VolumeShape) -> Double {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        var sum = 0.0, count = 0
        for k in 0..<d { for j in 0..<h {
            let onFace = k == 0 || k == d - 1 || j == 0 || j == h - 1
            let row = (k * h + j) * w
            if onFace {
                for i in 0..<w { sum += Double(v[row + i]) }
                count += w
            } else {
                sum += Double(v[row]) + (w > 1 ? Double(v[row + w - 1]) : 0)
                count += w > 1 ? 2 : 1
            }
        } }
        return sum / Double(max(1, count))
    }
}

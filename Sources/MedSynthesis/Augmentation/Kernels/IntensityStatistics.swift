import MedCore
import MedIO

/// Whole-volume statistics the intensity transforms need (minimum, maximum, mean, the mean of the border faces),
/// computed per fixed block and combined in block order, so the result never depends on the thread count.
enum IntensityStatistics {
    /// The number of blocks the reductions split a volume into.
    static let blockCount = 64

    /// The smallest value (0 for an empty array).
    static func minimum(_ v: [Float]) -> Float { range(v).lowerBound }

    /// The smallest and largest values (0...0 for an empty array).
    static func range(_ v: [Float]) -> ClosedRange<Float> { v.withUnsafeBufferPointer { range($0) } }

    /// The mean, accumulated in Double per fixed block, blocks summed in order.
    static func mean(_ v: [Float]) -> Double { v.withUnsafeBufferPointer { summary($0).mean } }

    /// The smallest and largest values of a buffer (0...0 when empty).
    static func range(_ v: UnsafeBufferPointer<Float>) -> ClosedRange<Float> {
        guard !v.isEmpty else { return 0...0 }
        let base = v.baseAddress!
        var lows = [Float](repeating: .infinity, count: blockCount), highs = [Float](repeating: -.infinity, count: blockCount)
        lows.withUnsafeMutableBufferPointer { lo in
            highs.withUnsafeMutableBufferPointer { hi in
                forEachBlock(v.count) { c, range in
                    (lo[c], hi[c]) = SIMDKernels.range(base + range.lowerBound, count: range.count)
                }
            }
        }
        return lows.min()!...highs.max()!
    }

    /// Minimum, maximum and mean in one pass (the mean accumulated in Double per fixed block, blocks in order).
    static func summary(_ v: UnsafeBufferPointer<Float>) -> (range: ClosedRange<Float>, mean: Double) {
        guard !v.isEmpty else { return (0...0, 0) }
        let base = v.baseAddress!
        var lows = [Float](repeating: .infinity, count: blockCount), highs = [Float](repeating: -.infinity, count: blockCount)
        var sums = [Double](repeating: 0, count: blockCount)
        lows.withUnsafeMutableBufferPointer { lo in
            highs.withUnsafeMutableBufferPointer { hi in
                sums.withUnsafeMutableBufferPointer { s in
                    forEachBlock(v.count) { c, range in
                        var a = Float.infinity, b = -Float.infinity, acc = 0.0
                        for n in range {
                            let x = base[n]
                            a = min(a, x)
                            b = max(b, x)
                            acc += Double(x)
                        }
                        lo[c] = a
                        hi[c] = b
                        s[c] = acc
                    }
                }
            }
        }
        return (lows.min()!...highs.max()!, sums.reduce(0, +) / Double(v.count))
    }

    /// Calls `body(block, range)` for the `blockCount` fixed blocks of 0..<count, in parallel; each call may
    /// write only its own block's slot of the caller's buffers.
    private static func forEachBlock(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        let per = (count + blockCount - 1) / blockCount
        Parallel.forEachChunk(count: blockCount) { blocks in
            for c in blocks where c * per < count { body(c, (c * per)..<min(count, (c + 1) * per)) }
        }
    }

    /// The mean of the voxels on the six faces of the grid: the padding value of the blur-based transforms, so
    /// that zero padding of `GaussianBlur3D` acts as padding with the background around the volume.
    static func borderMean(_ v: [Float], shape: VolumeShape) -> Double {
        v.withUnsafeBufferPointer { borderMean($0.baseAddress!, shape: shape) }
    }

    /// `borderMean` of a buffer of `shape.voxelCount` values.
    static func borderMean(_ v: UnsafePointer<Float>, shape: VolumeShape) -> Double {
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

import MedCore

/// How `padded` fills the border of an image.
public enum PaddingMode: String, Sendable, Codable, CaseIterable {
    /// Zeros (PyTorch `ZeroPad2d`, `F.pad(mode="constant")`).
    case zero
    /// The image mirrored about its edge pixel, which is not repeated: `c b | a b c | b a`
    /// (PyTorch `ReflectionPad2d`); each pad must be smaller than the extent it pads.
    case reflect
    /// The edge pixel repeated: `a a | a b c | c c` (PyTorch `ReplicationPad2d`).
    case replicate
}

/// Padding of the last two dimensions of a tensor, forward and backward.
enum PadKernel {
    /// The source index read by padded position `o` (−1 for a zero).
    /// - Parameters:
    ///   - o: index in the padded extent.
    ///   - before: padding added before the data.
    ///   - extent: the unpadded extent.
    @inline(__always)
    static func sourceIndex(_ o: Int, before: Int, extent: Int, mode: PaddingMode) -> Int {
        let i = o - before
        if i >= 0 && i < extent { return i }
        switch mode {
        case .zero: return -1
        case .replicate: return i < 0 ? 0 : extent - 1
        case .reflect: return i < 0 ? -i : 2 * (extent - 1) - i
        }
    }

    /// The geometry of one padding: planes of [h, w] padded by top/bottom/left/right.
    struct Geometry {
        let planes: Int, height: Int, width: Int
        let top: Int, bottom: Int, left: Int, right: Int
        let mode: PaddingMode
        var outHeight: Int { height + top + bottom }
        var outWidth: Int { width + left + right }
    }

    /// x: [planes, H, W] -> y: [planes, H + top + bottom, W + left + right].
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let rowMap = (0..<g.outHeight).map { sourceIndex($0, before: g.top, extent: g.height, mode: g.mode) }
        let colMap = (0..<g.outWidth).map { sourceIndex($0, before: g.left, extent: g.width, mode: g.mode) }
        let (oh, ow, h, w) = (g.outHeight, g.outWidth, g.height, g.width)
        forEachPlane(g) { planes in
            for p in planes {
                let src = x + p * h * w, dst = y + p * oh * ow
                for r in 0..<oh {
                    let out = dst + r * ow
                    guard rowMap[r] >= 0 else { out.update(repeating: 0, count: ow); continue }
                    let row = src + rowMap[r] * w
                    for c in 0..<g.left { out[c] = colMap[c] >= 0 ? row[colMap[c]] : 0 }
                    (out + g.left).update(from: row, count: w)
                    for c in (g.left + w)..<ow { out[c] = colMap[c] >= 0 ? row[colMap[c]] : 0 }
                }
            }
        }
    }

    /// gy: [planes, H + top + bottom, W + left + right] -> gx: [planes, H, W], the sum of the gradients of every
    /// padded position that reads each source pixel.
    static func backward(_ gy: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ g: Geometry) {
        let rowMap = (0..<g.outHeight).map { sourceIndex($0, before: g.top, extent: g.height, mode: g.mode) }
        let colMap = (0..<g.outWidth).map { sourceIndex($0, before: g.left, extent: g.width, mode: g.mode) }
        let (oh, ow, h, w) = (g.outHeight, g.outWidth, g.height, g.width)
        forEachPlane(g) { planes in
            for p in planes {
                let src = gy + p * oh * ow, dst = gx + p * h * w
                dst.update(repeating: 0, count: h * w)
                for r in 0..<oh where rowMap[r] >= 0 {
                    let grad = src + r * ow, row = dst + rowMap[r] * w
                    for c in 0..<g.left where colMap[c] >= 0 { row[colMap[c]] += grad[c] }
                    let center = grad + g.left
                    for c in 0..<w { row[c] += center[c] }
                    for c in (g.left + w)..<ow where colMap[c] >= 0 { row[colMap[c]] += grad[c] }
                }
            }
        }
    }

    private static func forEachPlane(_ g: Geometry, _ body: (Range<Int>) -> Void) {
        let perPlane = g.outHeight * g.outWidth
        if g.planes * perPlane < Elementwise.parallelThreshold { body(0..<g.planes) } else {
            Parallel.forEachChunk(count: g.planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perPlane)), body)
        }
    }

    // MARK: - Reference

    /// The plain definition, y[p, i, j] = x[p, src(i), src(j)] or 0, as the test oracle for `forward`.
    static func forwardReference(_ x: [Float], _ g: Geometry) -> [Float] {
        var y = [Float](repeating: 0, count: g.planes * g.outHeight * g.outWidth)
        for p in 0..<g.planes {
            for i in 0..<g.outHeight {
                for j in 0..<g.outWidth {
                    let si = sourceIndex(i, before: g.top, extent: g.height, mode: g.mode)
                    let sj = sourceIndex(j, before: g.left, extent: g.width, mode: g.mode)
                    if si >= 0 && sj >= 0 {
                        y[(p * g.outHeight + i) * g.outWidth + j] = x[(p * g.height + si) * g.width + sj]
                    }
                }
            }
        }
        return y
    }
}

import MedIO

/// Connected components of a lesion's voxels on its box, with 6-connectivity (face neighbours): the strictest
/// usual rule, so a lesion that is one component here is one under 18- and 26-connectivity too.
enum LesionComponents {
    /// The largest 6-connected component of `member` (C order on `shape`); ties go to the component met first in
    /// C order, so the result is deterministic.
    static func largest(_ member: [Bool], shape: VolumeShape) -> [Bool] {
        var component = [Int32](repeating: -1, count: member.count)
        var best = -1, bestSize = 0, next: Int32 = 0
        var stack: [Int] = []
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        for start in member.indices where member[start] && component[start] < 0 {
            var size = 0
            component[start] = next
            stack.append(start)
            while let n = stack.popLast() {
                size += 1
                let i = n % w, j = (n / w) % h, k = n / (w * h)
                func visit(_ m: Int) {
                    if member[m] && component[m] < 0 { component[m] = next; stack.append(m) }
                }
                if i > 0 { visit(n - 1) }
                if i + 1 < w { visit(n + 1) }
                if j > 0 { visit(n - w) }
                if j + 1 < h { visit(n + w) }
                if k > 0 { visit(n - w * h) }
                if k + 1 < d { visit(n + w * h) }
            }
            if size > bestSize { (best, bestSize) = (Int(next), size) }
            next += 1
        }
        return component.map { Int($0) == best && best >= 0 }
    }

    /// `member` grown by `steps` voxels (26-neighbourhood per step: a chessboard distance ≤ steps).
    static func dilated(_ member: [Bool], shape: VolumeShape, steps: Int) -> [Bool] {
        var current = member
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        for _ in 0..<max(0, steps) {
            var grown = current
            for k in 0..<d {
                for j in 0..<h {
                    for i in 0..<w where !current[(k * h + j) * w + i] {
                        search: for dk in -1...1 {
                            for dj in -1...1 {
                                for di in -1...1 {
                                    let (kk, jj, ii) = (k + dk, j + dj, i + di)
                                    if kk >= 0, kk < d, jj >= 0, jj < h, ii >= 0, ii < w, current[(kk * h + jj) * w + ii] {
                                        grown[(k * h + j) * w + i] = true
                                        break search
                                    }
                                }
                            }
                        }
                    }
                }
            }
            current = grown
        }
        return current
    }
}

import MedIO

/// An axis-aligned box of grid voxels: where one lesion's fractions live.
public struct LesionBox: Codable, Sendable, Equatable {
    /// Grid index of the first voxel: slice k, row j, column i.
    public var originK: Int, originJ: Int, originI: Int
    /// The extents.
    public var shape: VolumeShape

    /// Creates a box.
    public init(originK: Int, originJ: Int, originI: Int, shape: VolumeShape) {
        self.originK = originK
        self.originJ = originJ
        self.originI = originI
        self.shape = shape
    }

    /// The box of half-extents `half` (k, j, i voxels) about `center` (k, j, i).
    init(center: [Int], half: [Int]) {
        self.init(originK: center[0] - half[0], originJ: center[1] - half[1], originI: center[2] - half[2],
                  shape: VolumeShape(depth: 2 * half[0] + 1, height: 2 * half[1] + 1, width: 2 * half[2] + 1))
    }

    /// True when the whole box lies on a grid of `grid`.
    public func fits(in grid: VolumeShape) -> Bool {
        originK >= 0 && originJ >= 0 && originI >= 0 && originK + shape.depth <= grid.depth
            && originJ + shape.height <= grid.height && originI + shape.width <= grid.width
    }

    /// True when the boxes share a voxel, or come closer than `margin` voxels.
    public func intersects(_ other: LesionBox, margin: Int = 0) -> Bool {
        func overlap(_ a: Int, _ la: Int, _ b: Int, _ lb: Int) -> Bool { a < b + lb + margin && b < a + la + margin }
        return overlap(originK, shape.depth, other.originK, other.shape.depth)
            && overlap(originJ, shape.height, other.originJ, other.shape.height)
            && overlap(originI, shape.width, other.originI, other.shape.width)
    }

    /// Calls `body(boxIndex, gridIndex, k, j, i)` for every box voxel on a grid of `grid` (C order).
    @inline(__always)
    func forEachVoxel(on grid: VolumeShape, _ body: (Int, Int, Int, Int, Int) -> Void) {
        for bk in 0..<shape.depth {
            let k = originK + bk
            guard k >= 0 && k < grid.depth else { continue }
            for bj in 0..<shape.height {
                let j = originJ + bj
                guard j >= 0 && j < grid.height else { continue }
                for bi in 0..<shape.width {
                    let i = originI + bi
                    guard i >= 0 && i < grid.width else { continue }
                    body((bk * shape.height + bj) * shape.width + bi, (k * grid.height + j) * grid.width + i, k, j, i)
                }
            }
        }
    }
}

import MedIO

/// A dense displacement field from a coarse control grid by uniform cubic B-splines, evaluated one output row at
/// a time (the dense field is never stored): slice k first blends the four nearest control layers, row j the four
/// nearest control rows of that, and each voxel the four nearest control points of the row.
struct BSplineField: Sendable {
    private let n: [Int]
    /// Control values divided by the spacing (voxel units), [z][y][x][3].
    private let control: [Float]
    private let shape: VolumeShape
    /// Per output column: the first control index and the four weights.
    private let xCells: [Int]
    private let xWeights: [SIMD4<Float>]

    /// - Parameters:
    ///   - controlPoints: counts along x, y, z (each ≥ 2).
    ///   - valuesMM: displacements [z][y][x][3] in mm.
    ///   - shape: the output grid.
    ///   - spacingMM: voxel spacing, to turn mm into voxels.
    init(controlPoints: [Int], valuesMM: [Float], shape: VolumeShape, spacingMM: SIMD3<Double>) {
        n = controlPoints
        self.shape = shape
        let inv = SIMD3<Float>(1 / spacingMM)
        control = valuesMM.enumerated().map { $0.element * inv[$0.offset % 3] }
        var cells: [Int] = [], weights: [SIMD4<Float>] = []
        for i in 0..<shape.width {
            let (c, w) = BSplineField.cell(i, extent: shape.width, controls: controlPoints[0])
            cells.append(c)
            weights.append(w)
        }
        xCells = cells
        xWeights = weights
    }

    /// The cubic B-spline weights for a fractional offset f: ((1−f)³, 3f³−6f²+4, −3f³+3f²+3f+1, f³)/6.
    static func weights(_ f: Float) -> SIMD4<Float> {
        let f2 = f * f, f3 = f2 * f
        return SIMD4((1 - f) * (1 - f) * (1 - f), 3 * f3 - 6 * f2 + 4, -3 * f3 + 3 * f2 + 3 * f + 1, f3) / 6
    }

    /// The control cell of voxel `index` on an axis of `extent` voxels with `controls` points, and its weights.
    static func cell(_ index: Int, extent: Int, controls: Int) -> (Int, SIMD4<Float>) {
        let t = extent > 1 ? Double(index) * Double(controls - 1) / Double(extent - 1) : 0
        let c = min(Int(t), controls - 1)
        return (c, weights(Float(t - Double(c))))
    }

    @inline(__always) private func clamp(_ v: Int, _ count: Int) -> Int { min(max(v, 0), count - 1) }

    /// Source coordinates of output row (k, j): o + u(o) in voxels.
    func fillRow(k: Int, j: Int, _ xs: UnsafeMutablePointer<Float>, _ ys: UnsafeMutablePointer<Float>,
                 _ zs: UnsafeMutablePointer<Float>) {
        let (nx, ny, nz) = (n[0], n[1], n[2])
        let (cz, wz) = BSplineField.cell(k, extent: shape.depth, controls: nz)
        let (cy, wy) = BSplineField.cell(j, extent: shape.height, controls: ny)
        // Blend z then y: one control row of nx points × 3 components.
        var row = [SIMD3<Float>](repeating: .zero, count: nx)
        for qz in 0..<4 {
            let z = clamp(cz + qz - 1, nz)
            for qy in 0..<4 {
                let y = clamp(cy + qy - 1, ny)
                let weight = wz[qz] * wy[qy]
                let base = (z * ny + y) * nx * 3
                for x in 0..<nx {
                    row[x] += weight * SIMD3(control[base + 3 * x], control[base + 3 * x + 1], control[base + 3 * x + 2])
                }
            }
        }
        let fj = Float(j), fk = Float(k)
        for i in 0..<shape.width {
            let c = xCells[i], w = xWeights[i]
            var u = SIMD3<Float>.zero
            for q in 0..<4 { u += w[q] * row[clamp(c + q - 1, nx)] }
            xs[i] = Float(i) + u.x
            ys[i] = fj + u.y
            zs[i] = fk + u.z
        }
    }
}

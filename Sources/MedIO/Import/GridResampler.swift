import MedCore

/// Resamples a volume onto another grid through world coordinates (both affines): the values of `source` at the
/// voxel centres of the target grid. This aligns images that are already co-registered (same patient position, as
/// scanners write them) but sampled differently; it does not register them.
public enum GridResampler {
    public enum Interpolation: String, Sendable, Codable {
        /// Trilinear: images.
        case trilinear
        /// Nearest neighbour: label maps (no invented labels).
        case nearest
    }

    /// True when `a` and `b` describe the same grid (shapes equal, affines within 1e-4 mm).
    public static func sameGrid(_ a: Volume, shape: VolumeShape, affine: Affine) -> Bool {
        a.shape == shape && a.affine.isClose(to: affine, tolerance: 1e-4)
    }

    /// `source` sampled at the voxel centres of the grid (`shape`, `affine`).
    /// - Parameters:
    ///   - interpolation: trilinear (within half a voxel of the source's edge, the edge value) or nearest.
    ///   - fill: the value of target voxels outside the source (CT air −1024 HU, else 0).
    /// - Throws: `MedSynthError(.invalidArgument)` when the source's affine cannot be inverted.
    public static func resample(_ source: Volume, onto shape: VolumeShape, affine: Affine,
                                interpolation: Interpolation, fill: Float) throws -> Volume {
        guard let inverse = source.affine.inverted() else {
            throw MedSynthError(.invalidArgument, nil, "the \(source.modality) volume's affine is singular: \(source.affine)")
        }
        // Target voxel (i, j, k) → source voxel coordinates: inverse(A_source) · A_target.
        let m = inverse.concatenating(affine)
        let di = SIMD3(m[0, 0], m[1, 0], m[2, 0]), dj = SIMD3(m[0, 1], m[1, 1], m[2, 1])
        let dk = SIMD3(m[0, 2], m[1, 2], m[2, 2]), origin = SIMD3(m[0, 3], m[1, 3], m[2, 3])
        let (sw, sh, sd) = (source.shape.width, source.shape.height, source.shape.depth)
        let limit = SIMD3(Double(sw) - 0.5, Double(sh) - 0.5, Double(sd) - 0.5)
        var out = [Float](repeating: fill, count: shape.voxelCount)
        source.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                nonisolated(unsafe) let src = src, dst = dst
                Parallel.forEachChunk(count: shape.depth) { ks in
                    for k in ks {
                        for j in 0..<shape.height {
                            var p = origin + dj * Double(j) + dk * Double(k)
                            let row = (k * shape.height + j) * shape.width
                            for i in 0..<shape.width {
                                defer { p += di }
                                guard all(p .>= SIMD3(repeating: -0.5)), all(p .<= limit) else { continue }
                                switch interpolation {
                                case .nearest:
                                    let r = p.rounded(.toNearestOrAwayFromZero)
                                    let (x, y, z) = (min(sw - 1, max(0, Int(r.x))), min(sh - 1, max(0, Int(r.y))), min(sd - 1, max(0, Int(r.z))))
                                    dst[row + i] = src[(z * sh + y) * sw + x]
                                case .trilinear:
                                    let c = SIMD3(min(max(p.x, 0), Double(sw - 1)), min(max(p.y, 0), Double(sh - 1)),
                                                  min(max(p.z, 0), Double(sd - 1)))
                                    let f = c.rounded(.down)
                                    let (x0, y0, z0) = (Int(f.x), Int(f.y), Int(f.z))
                                    let (x1, y1, z1) = (min(x0 + 1, sw - 1), min(y0 + 1, sh - 1), min(z0 + 1, sd - 1))
                                    let t = c - f
                                    func v(_ x: Int, _ y: Int, _ z: Int) -> Double { Double(src[(z * sh + y) * sw + x]) }
                                    let c00 = v(x0, y0, z0) * (1 - t.x) + v(x1, y0, z0) * t.x
                                    let c10 = v(x0, y1, z0) * (1 - t.x) + v(x1, y1, z0) * t.x
                                    let c01 = v(x0, y0, z1) * (1 - t.x) + v(x1, y0, z1) * t.x
                                    let c11 = v(x0, y1, z1) * (1 - t.x) + v(x1, y1, z1) * t.x
                                    let c0 = c00 * (1 - t.y) + c10 * t.y, c1 = c01 * (1 - t.y) + c11 * t.y
                                    dst[row + i] = Float(c0 * (1 - t.z) + c1 * t.z)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Volume(shape: shape, voxels: out, affine: affine, modality: source.modality, unit: source.unit)
    }
}

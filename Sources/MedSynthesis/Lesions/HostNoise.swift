import MedIO

/// Estimates an image's noise σ from the image itself, robustly to edges and texture.
///
/// For pairs of neighbouring host voxels (along i and along j) the difference d = v₁ − v₂ of white noise has
/// σ_d = √2·σ, and the median absolute deviation of d, scaled by 1.4826 (the MAD of a unit normal is 1/1.4826),
/// estimates σ_d while ignoring the few pairs across an edge: σ = 1.4826 · MAD(d) / √2. Smooth intensity
/// variation barely enters a difference of neighbours.
public enum HostNoise {
    /// The fewest pairs a local estimate needs; with fewer the caller falls back to a wider region.
    public static let minimumPairs = 64

    /// σ from neighbour differences over the voxels `isHost` accepts, in the box `box` of `image`'s grid; nil with
    /// fewer than `minimumPairs` pairs.
    /// - Parameters:
    ///   - isHost: (box index, grid index) → whether the voxel is host tissue.
    public static func sigma(_ image: Volume, box: LesionBox, isHost: (Int, Int) -> Bool) -> Double? {
        let grid = image.shape
        var host = [Bool](repeating: false, count: box.shape.voxelCount)
        box.forEachVoxel(on: grid) { b, g, _, _, _ in host[b] = isHost(b, g) }
        var differences: [Double] = []
        box.forEachVoxel(on: grid) { b, g, _, j, i in
            guard host[b] else { return }
            let bi = i - box.originI, bj = j - box.originJ
            if bi + 1 < box.shape.width, i + 1 < grid.width, host[b + 1] {
                differences.append(Double(image.voxels[g]) - Double(image.voxels[g + 1]))
            }
            if bj + 1 < box.shape.height, j + 1 < grid.height, host[b + box.shape.width] {
                differences.append(Double(image.voxels[g]) - Double(image.voxels[g + grid.width]))
            }
        }
        return differences.count >= minimumPairs ? fromDifferences(differences) : nil
    }

    /// σ = 1.4826 · MAD(d) / √2 of neighbour differences d.
    public static func fromDifferences(_ d: [Double]) -> Double {
        guard !d.isEmpty else { return 0 }
        let m = median(d)
        return 1.4826 * median(d.map { abs($0 - m) }) / 2.0.squareRoot()
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

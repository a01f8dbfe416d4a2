import Foundation
import MedCore
import MedIO
import MedTensor

/// Whole-volume inference of a segmentation network: 2-D slice by slice (batched), 3-D by overlapping windows
/// with nnU-Net's Gaussian importance weighting. Inputs are normalised channels [C][depth][height][width]; the
/// result is the class probabilities [classes][depth][height][width] (softmax, averaged over windows), from which
/// `labels(probabilities:classes:voxelCount:)` takes the argmax.
///
/// Sides that are not multiples of the network's `sideMultiple` (2^depth) — and, in 3-D, sides shorter than the
/// window — are padded at the end with each channel's minimum (its background) and cropped back.
///
/// The network enters as a closure from inputs [N, C, spatial…] to logits [N, classes, spatial…], so that any
/// model (and, in tests, a pointwise one whose stitched result must equal a direct pass) can be used.
public enum SegmentationInference {
    /// Logits of a batch: [N, C, spatial…] → [N, classes, spatial…].
    public typealias Logits = (Tensor) -> Tensor

    /// The window origins along one axis, as nnU-Net's `compute_steps_for_sliding_window`: the fewest windows
    /// whose stride is at most patch · (1 − overlap), spread evenly from 0 to extent − patch.
    /// - Precondition: 1 ≤ patch ≤ extent, 0 ≤ overlap < 1.
    public static func windowStarts(extent: Int, patch: Int, overlap: Double) -> [Int] {
        precondition(patch >= 1 && patch <= extent && overlap >= 0 && overlap < 1,
                     "windowStarts needs 1 <= patch (\(patch)) <= extent (\(extent)) and 0 <= overlap (\(overlap)) < 1")
        guard extent > patch else { return [0] }
        let target = max(1, Double(patch) * (1 - overlap))
        let count = Int((Double(extent - patch) / target).rounded(.up)) + 1
        let actual = Double(extent - patch) / Double(count - 1)
        return (0..<count).map { Int((Double($0) * actual).rounded()) }
    }

    /// The Gaussian importance map of a window (nnU-Net): exp(−Σ (xₐ − cₐ)² / (2σₐ²)) with cₐ the window's centre
    /// and σₐ = sideₐ / 8, scaled to a maximum of 1. Voxels near a window's centre count more than its borders,
    /// where the network sees less context.
    /// - Parameter patch: the window's sides (any rank).
    /// - Returns: the map in C order.
    public static func gaussianImportance(patch: [Int]) -> [Float] {
        let axes = patch.map { side -> [Double] in
            let sigma = Double(side) / 8
            let centre = Double(side - 1) / 2
            return (0..<side).map { x in exp(-(Double(x) - centre) * (Double(x) - centre) / (2 * sigma * sigma)) }
        }
        var map: [Double] = [1]
        for axis in axes { map = map.flatMap { v in axis.map { v * $0 } } }
        let peak = map.max() ?? 1
        // Every value is positive (no window voxel gets zero weight), as nnU-Net's clamp to the smallest non-zero.
        return map.map { Float(max($0 / peak, 1e-12)) }
    }

    /// Each voxel's class: the index of the highest probability (the lowest class on ties).
    /// - Parameters:
    ///   - probabilities: [classes][voxels].
    /// - Returns: class indices as Float, [voxels].
    public static func labels(probabilities: [Float], classes: Int, voxelCount: Int) -> [Float] {
        precondition(probabilities.count == classes * voxelCount, "probabilities must hold \(classes) × \(voxelCount) values")
        var out = [Float](repeating: 0, count: voxelCount)
        probabilities.withUnsafeBufferPointer { p in
            for v in 0..<voxelCount {
                var best = 0
                var bestValue = p[v]
                for c in 1..<max(classes, 1) where p[c * voxelCount + v] > bestValue {
                    best = c
                    bestValue = p[c * voxelCount + v]
                }
                out[v] = Float(best)
            }
        }
        return out
    }

    // MARK: - 2-D

    /// Class probabilities of a volume, one axial slice at a time (`batchSize` slices per pass).
    /// - Parameters:
    ///   - channels: C normalised volumes of `shape`.
    ///   - classes: the network's output classes.
    ///   - sideMultiple: height and width are padded to multiples of it.
    ///   - logits: the network, [N, C, H, W] → [N, classes, H, W].
    /// - Returns: [classes][depth][height][width].
    public static func probabilities2D(channels: [[Float]], shape: VolumeShape, classes: Int, sideMultiple: Int,
                                       batchSize: Int, logits: Logits) -> [Float] {
        let (d, h, w) = (shape.depth, shape.height, shape.width)
        let (hp, wp) = (roundUp(h, sideMultiple), roundUp(w, sideMultiple))
        let c = channels.count
        let fill = channels.map { $0.min() ?? 0 }
        let plane = h * w, padded = hp * wp
        var out = [Float](repeating: 0, count: classes * shape.voxelCount)
        var k0 = 0
        while k0 < d {
            let n = min(batchSize, d - k0)
            var input = [Float](repeating: 0, count: n * c * padded)
            for s in 0..<n {
                for ch in 0..<c {
                    let base = (s * c + ch) * padded
                    for i in 0..<padded { input[base + i] = fill[ch] }
                    for y in 0..<h {
                        for x in 0..<w { input[base + y * wp + x] = channels[ch][(k0 + s) * plane + y * w + x] }
                    }
                }
            }
            let p = withNoGrad { logits(Tensor(input, shape: [n, c, hp, wp])).softmax(axis: 1) }
            precondition(p.shape == [n, classes, hp, wp], "the network gave \(p.shape), expected \([n, classes, hp, wp])")
            p.withUnsafeBufferPointer { q in
                for s in 0..<n {
                    for cl in 0..<classes {
                        let src = (s * classes + cl) * padded
                        let dst = cl * shape.voxelCount + (k0 + s) * plane
                        for y in 0..<h {
                            for x in 0..<w { out[dst + y * w + x] = q[src + y * wp + x] }
                        }
                    }
                }
            }
            k0 += n
        }
        return out
    }

    // MARK: - 3-D

    /// Class probabilities of a volume from overlapping 3-D windows, each window's softmax weighted by
    /// `gaussianImportance(patch:)` and the weighted sum divided by the summed weights.
    /// - Parameters:
    ///   - channels: C normalised volumes of `shape`.
    ///   - patch: the window [depth, height, width] (multiples of `sideMultiple`); empty = the whole (padded)
    ///     volume in one window.
    ///   - overlap: the overlap of neighbouring windows (0.5 in nnU-Net).
    ///   - batchSize: windows per network pass.
    ///   - logits: the network, [N, C, D, H, W] → [N, classes, D, H, W].
    /// - Returns: [classes][depth][height][width].
    public static func probabilities3D(channels: [[Float]], shape: VolumeShape, classes: Int, patch: [Int],
                                       sideMultiple: Int, overlap: Double, batchSize: Int, logits: Logits) -> [Float] {
        let extents = [shape.depth, shape.height, shape.width]
        let window = patch.isEmpty ? extents.map { roundUp($0, sideMultiple) } : patch
        precondition(window.count == 3, "a 3-D window needs 3 sides, got \(patch)")
        let padded = zip(extents, window).map { roundUp(max($0, $1), sideMultiple) }
        let (dp, hp, wp) = (padded[0], padded[1], padded[2])
        let c = channels.count
        // The padded input, [C][dp][hp][wp].
        var volume = [Float](repeating: 0, count: c * dp * hp * wp)
        for ch in 0..<c {
            let fill = channels[ch].min() ?? 0
            let base = ch * dp * hp * wp
            for i in 0..<(dp * hp * wp) { volume[base + i] = fill }
            for k in 0..<shape.depth {
                for y in 0..<shape.height {
                    for x in 0..<shape.width {
                        volume[base + (k * hp + y) * wp + x] = channels[ch][(k * shape.height + y) * shape.width + x]
                    }
                }
            }
        }
        let starts = (0..<3).map { windowStarts(extent: padded[$0], patch: window[$0], overlap: overlap) }
        var origins: [(Int, Int, Int)] = []
        for z in starts[0] { for y in starts[1] { for x in starts[2] { origins.append((z, y, x)) } } }
        let importance = gaussianImportance(patch: window)
        let (pd, ph, pw) = (window[0], window[1], window[2])
        let windowCount = pd * ph * pw
        let paddedCount = dp * hp * wp
        var sum = [Float](repeating: 0, count: classes * paddedCount)
        var weight = [Float](repeating: 0, count: paddedCount)
        var first = 0
        while first < origins.count {
            let batch = Array(origins[first..<min(origins.count, first + batchSize)])
            var input = [Float](repeating: 0, count: batch.count * c * windowCount)
            for (n, (z0, y0, x0)) in batch.enumerated() {
                for ch in 0..<c {
                    let src = ch * paddedCount, dst = (n * c + ch) * windowCount
                    for z in 0..<pd {
                        for y in 0..<ph {
                            let row = src + ((z0 + z) * hp + y0 + y) * wp + x0
                            let to = dst + (z * ph + y) * pw
                            for x in 0..<pw { input[to + x] = volume[row + x] }
                        }
                    }
                }
            }
            let p = withNoGrad { logits(Tensor(input, shape: [batch.count, c, pd, ph, pw])).softmax(axis: 1) }
            precondition(p.shape == [batch.count, classes, pd, ph, pw],
                         "the network gave \(p.shape), expected \([batch.count, classes, pd, ph, pw])")
            p.withUnsafeBufferPointer { q in
                for (n, (z0, y0, x0)) in batch.enumerated() {
                    for z in 0..<pd {
                        for y in 0..<ph {
                            let at = ((z0 + z) * hp + y0 + y) * wp + x0
                            let g = (z * ph + y) * pw
                            for x in 0..<pw { weight[at + x] += importance[g + x] }
                            for cl in 0..<classes {
                                let src = (n * classes + cl) * windowCount + g
                                let dst = cl * paddedCount + at
                                for x in 0..<pw { sum[dst + x] += importance[g + x] * q[src + x] }
                            }
                        }
                    }
                }
            }
            first += batch.count
        }
        var out = [Float](repeating: 0, count: classes * shape.voxelCount)
        for cl in 0..<classes {
            for k in 0..<shape.depth {
                for y in 0..<shape.height {
                    for x in 0..<shape.width {
                        let at = (k * hp + y) * wp + x
                        out[cl * shape.voxelCount + (k * shape.height + y) * shape.width + x] = sum[cl * paddedCount + at] / weight[at]
                    }
                }
            }
        }
        return out
    }

    /// The smallest multiple of `m` that is ≥ `n`.
    static func roundUp(_ n: Int, _ m: Int) -> Int { (n + m - 1) / m * m }
}

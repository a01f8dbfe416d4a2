import Foundation
import MedIO

/// Carries each recorded lesion of a case through an augmentation pipeline, so that its geometry can be measured
/// again on the augmented label map (`medsynth augment`).
///
/// Before the pipeline, the lesion voxels (label 10…13) of record n's box are marked in the label map as
/// label + 16·(n + 1). Spatial steps move labels by nearest neighbour, which copies values exactly, and no step
/// changes a label value otherwise; so afterwards every marked voxel names its lesion, and `unmark` restores the
/// plain labels while it counts. Values stay exact integers in Float for up to 2²⁰ lesions.
enum AugmentLesionTracking {
    /// Lesion labels are below this: a marked voxel of lesion n holds label + stride·(n + 1).
    static let stride: Float = 16
    /// More records than this are not tracked (their marks would not stay exact in Float).
    static let maximumRecords = 1 << 20

    /// Where a lesion lies inside its box: the voxels between the box faces and the lesion's tight bounds,
    /// (k, j, i) before and after.
    struct Margins: Equatable {
        var before: SIMD3<Int>
        var after: SIMD3<Int>
    }

    /// What `unmark` counted for one lesion.
    struct Measurement: Equatable {
        /// Voxels per lesion label.
        var countByLabel: [Int: Int] = [:]
        /// Sum of (k, j, i) over the lesion's voxels.
        var indexSum = SIMD3<Double>(repeating: 0)
        /// Tight bounds (k, j, i), inclusive; meaningless when there are no voxels.
        var lower = SIMD3<Int>(repeating: .max), upper = SIMD3<Int>(repeating: .min)
        /// All its voxels.
        var voxelCount: Int { countByLabel.values.reduce(0, +) }
    }

    /// Marks the lesion voxels of each box with its record index (nil boxes are skipped; a voxel already marked
    /// by an earlier box keeps its mark) and returns each record's margins: nil where the box is nil or holds no
    /// lesion voxel.
    static func mark(_ labels: inout [Float], grid: VolumeShape, boxes: [LesionBox?]) -> [Margins?] {
        precondition(boxes.count <= maximumRecords && labels.count == grid.voxelCount)
        return boxes.enumerated().map { n, box -> Margins? in
            guard let box else { return nil }
            let tag = stride * Float(n + 1)
            var lower = SIMD3<Int>(repeating: .max), upper = SIMD3<Int>(repeating: .min)
            box.forEachVoxel(on: grid) { _, g, k, j, i in
                let value = labels[g]
                guard LesionSubRegion.isLesionLabel(value) else { return }
                labels[g] = value + tag
                let at = SIMD3(k, j, i)
                lower = pointwiseMin(lower, at)
                upper = pointwiseMax(upper, at)
            }
            guard lower.x <= upper.x else { return nil }
            let origin = SIMD3(box.originK, box.originJ, box.originI)
            let end = origin &+ SIMD3(box.shape.depth, box.shape.height, box.shape.width) &- 1
            return Margins(before: lower &- origin, after: end &- upper)
        }
    }

    /// Restores the plain labels of marked voxels and measures each of `count` lesions.
    static func unmark(_ labels: inout [Float], grid: VolumeShape, count: Int) -> [Measurement] {
        var out = [Measurement](repeating: Measurement(), count: count)
        let (h, w) = (grid.height, grid.width)
        for g in labels.indices where labels[g] >= stride - 0.5 {
            let value = labels[g]
            let n = Int((value / stride).rounded(.down)) - 1
            let label = value - stride * Float(n + 1)
            guard n >= 0, n < count, LesionSubRegion.isLesionLabel(label) else { continue }
            labels[g] = label
            let at = SIMD3(g / (h * w), (g / w) % h, g % w)
            out[n].countByLabel[Int(label.rounded()), default: 0] += 1
            out[n].indexSum += SIMD3<Double>(Double(at.x), Double(at.y), Double(at.z))
            out[n].lower = pointwiseMin(out[n].lower, at)
            out[n].upper = pointwiseMax(out[n].upper, at)
        }
        return out
    }

    /// `record` (a lesion's JSON object) with its geometry replaced by `measurement` on a grid of `grid` with
    /// `affine`: `labels`, `voxelCount`, `volumeMM3`, `centroidVoxel`, `centroidWorldMM`, `box` (the tight bounds
    /// grown by the source box's `margins`, clipped to the grid; null when no voxel is left) and the sub-regions'
    /// `voxelCount`/`volumeMM3`. Everything else (contrast, parameters, …) is kept as recorded.
    static func remeasured(_ record: [String: Any], _ measurement: Measurement, margins: Margins?, grid: VolumeShape,
                           affine: Affine) -> [String: Any] {
        var r = record
        let voxelMM3 = LesionMeasurement.voxelVolumeMM3(affine)
        let count = measurement.voxelCount
        r["labels"] = measurement.countByLabel.keys.sorted()
        r["voxelCount"] = count
        r["volumeMM3"] = Double(count) * voxelMM3
        if count > 0 {
            let c = measurement.indexSum / Double(count)
            let world = affine.apply(SIMD3(c.z, c.y, c.x))
            r["centroidVoxel"] = [c.x, c.y, c.z]
            r["centroidWorldMM"] = [world.x, world.y, world.z]
            let m = margins ?? Margins(before: .zero, after: .zero)
            let lower = pointwiseMax(measurement.lower &- m.before, .zero)
            let upper = pointwiseMin(measurement.upper &+ m.after, SIMD3(grid.depth, grid.height, grid.width) &- 1)
            let size = upper &- lower &+ 1
            r["box"] = ["originK": lower.x, "originJ": lower.y, "originI": lower.z,
                        "shape": ["depth": size.x, "height": size.y, "width": size.z]] as [String: Any]
        } else {
            r["centroidVoxel"] = ["nan", "nan", "nan"]
            r["centroidWorldMM"] = ["nan", "nan", "nan"]
            r["box"] = NSNull()
        }
        if let parts = record["subRegions"] as? [Any] {
            r["subRegions"] = parts.map { part -> Any in
                guard var p = part as? [String: Any], let label = p["label"] as? Int else { return part }
                let n = measurement.countByLabel[label] ?? 0
                p["voxelCount"] = n
                p["volumeMM3"] = Double(n) * voxelMM3
                return p
            }
        }
        return r
    }
}

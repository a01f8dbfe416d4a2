import MedCore
import MedIO

/// Overlap and surface-distance metrics between a reference and a predicted label map, per label, in mm.
///
/// Definitions (each label l compared as binary masks A = reference == l, B = prediction == l):
/// - Dice = 2|A∩B| / (|A| + |B|); IoU = |A∩B| / |A∪B|.
/// - Surface of a mask: its voxels with at least one face neighbour (6 in 3D, 4 in 2D) outside the mask or
///   outside the image — `mask & ~scipy.ndimage.binary_erosion(mask)` (MONAI's `get_mask_edges`).
/// - Directed surface distances d(A→B): for each surface voxel of A, the Euclidean distance in mm (voxel
///   spacing from the reference's affine) to the nearest surface voxel of B — MONAI's `get_surface_distance`,
///   `distance_transform_edt(~surface_B, sampling=spacing)[surface_A]`; computed with
///   `DistanceTransform` on the bounding box of A ∪ B (exact: every surface voxel lies in it).
/// - HD95: the 95th percentile with numpy's default linear interpolation (position 0.95·(n − 1) in the sorted
///   list). Default (`.maxOfDirected`): MONAI's `HausdorffDistanceMetric(percentile=95)`, the larger of the two
///   directed 95th percentiles — what most published MONAI-based results report. Alternative
///   (`.pooledSurfaceDistances`): the 95th percentile of the pooled set d(A→B) ∪ d(B→A).
/// - Hausdorff: the maximum of the pooled set. ASSD: the mean of the pooled set (MONAI's symmetric average
///   surface distance).
/// - Empty cases: both empty → Dice 1, IoU 1, distances nil (not defined); one empty → Dice 0, IoU 0,
///   distances nil.
public enum SegmentationMetrics {
    /// How HD95 combines the two directed distance sets.
    public enum HD95Convention: String, Codable, Sendable {
        /// 95th percentile of the union of both directed sets.
        case pooledSurfaceDistances
        /// max(P95(d(A→B)), P95(d(B→A))), MONAI's `HausdorffDistanceMetric`.
        case maxOfDirected
    }

    /// Scores every label present in either map (or the listed ones).
    /// - Parameters:
    ///   - reference: ground-truth label map (values rounded to integers; 0 = background).
    ///   - prediction: predicted label map, same shape and spacing.
    ///   - labels: which labels (≥ 1) to score; default every non-zero label in either map, ascending.
    ///   - convention: how HD95 pools the directed distances.
    /// - Returns: one `LabelOverlap` per label.
    /// - Throws: `MedSynthError(.mismatch)` for different shapes or spacings (beyond 1e-4 mm).
    public static func evaluate(reference: Volume, prediction: Volume, labels: [Int]? = nil,
                                convention: HD95Convention = .maxOfDirected) throws -> [LabelOverlap] {
        try requireSameShape(reference, prediction, metric: "segmentation")
        let sr = reference.spacingMM, sp = prediction.spacingMM
        guard abs(sr.x - sp.x) <= 1e-4, abs(sr.y - sp.y) <= 1e-4, abs(sr.z - sp.z) <= 1e-4 else {
            throw MedSynthError(.mismatch, "segmentation", "spacings differ: \(sr) mm vs \(sp) mm")
        }
        let wanted = labels ?? presentLabels(reference.voxels, prediction.voxels)
        return wanted.map { l in
            score(reference.voxels, prediction.voxels, shape: reference.shape, spacingMM: sr, label: l, convention: convention)
        }
    }

    /// Scores one pair of binary masks.
    /// - Parameters:
    ///   - reference, prediction: `shape.voxelCount` flags each, C order.
    ///   - spacingMM: voxel size along width, height, depth.
    ///   - label: recorded in the result.
    /// - Precondition: both flag arrays match `shape`.
    public static func binary(reference a: [Bool], prediction b: [Bool], shape: VolumeShape, spacingMM: SIMD3<Double>,
                              label: Int = 1, convention: HD95Convention = .maxOfDirected) -> LabelOverlap {
        precondition(a.count == shape.voxelCount && b.count == shape.voxelCount, "masks do not match \(shape)")
        return score(a.map { $0 ? 1 : 0 }, b.map { $0 ? 1 : 0 }, shape: shape, spacingMM: spacingMM, label: label,
                     convention: convention)
    }

    /// The non-zero labels (rounded) of either map, ascending.
    static func presentLabels(_ a: [Float], _ b: [Float]) -> [Int] {
        var found = Set<Int>()
        for v in [a, b] {
            var last = Float.nan
            for x in v where x != last && x.isFinite {
                last = x
                let l = Int(x.rounded())
                if l != 0 { found.insert(l) }
            }
        }
        return found.sorted()
    }

    /// Counts, then surface distances on the bounding box of A ∪ B: outside the box both masks are empty,
    /// so surfaces computed on the box (outside = background) equal those on the full image, and the EDT
    /// restricted to the box is exact because every surface voxel lies inside it.
    static func score(_ av: [Float], _ bv: [Float], shape: VolumeShape, spacingMM: SIMD3<Double>, label: Int,
                      convention: HD95Convention) -> LabelOverlap {
        let D = shape.depth, H = shape.height, W = shape.width
        // round(v) == l for l ≥ 1 (half away from zero) is v ∈ [l − 0.5, l + 0.5).
        let lv = Float(label) - 0.5, hv = Float(label) + 0.5
        /// Counts and bounding box of one slice.
        struct SliceScan { var na = 0, nb = 0, both = 0, jLo = Int.max, jHi = -1, iLo = Int.max, iHi = -1 }
        var scans = [SliceScan](repeating: SliceScan(), count: D)
        av.withUnsafeBufferPointer { ap in bv.withUnsafeBufferPointer { bp in scans.withUnsafeMutableBufferPointer { sp in
            let a = ap.baseAddress!, b = bp.baseAddress!, out = sp.baseAddress!
            Parallel.forEachChunk(count: D, minimumChunk: 4) { ks in
                for k in ks {
                    var s = SliceScan()
                    for j in 0..<H {
                        let row = (k * H + j) * W
                        var rowLo = Int.max, rowHi = -1
                        for i in 0..<W {
                            let p = a[row + i] >= lv && a[row + i] < hv, q = b[row + i] >= lv && b[row + i] < hv
                            if p || q {
                                if p { s.na += 1; if q { s.both += 1 } }
                                if q { s.nb += 1 }
                                rowLo = min(rowLo, i); rowHi = i
                            }
                        }
                        if rowHi >= 0 { s.jLo = min(s.jLo, j); s.jHi = j; s.iLo = min(s.iLo, rowLo); s.iHi = max(s.iHi, rowHi) }
                    }
                    out[k] = s
                }
            }
        } } }
        var na = 0, nb = 0, both = 0
        var lo = (Int.max, Int.max, Int.max), hi = (-1, -1, -1)
        for (k, s) in scans.enumerated() {
            na += s.na; nb += s.nb; both += s.both
            if s.jHi >= 0 { lo = (min(lo.0, k), min(lo.1, s.jLo), min(lo.2, s.iLo)); hi = (k, max(hi.1, s.jHi), max(hi.2, s.iHi)) }
        }
        var result = LabelOverlap(label: label, referenceVoxels: na, predictionVoxels: nb)
        if na == 0 && nb == 0 { result.dice = 1; result.iou = 1; return result }
        result.dice = 2 * Double(both) / Double(na + nb)
        result.iou = Double(both) / Double(na + nb - both)
        if na == 0 || nb == 0 { return result }
        let box = VolumeShape(depth: hi.0 - lo.0 + 1, height: hi.1 - lo.1 + 1, width: hi.2 - lo.2 + 1)
        var ca = [Bool](repeating: false, count: box.voxelCount), cb = ca
        for k in 0..<box.depth { for j in 0..<box.height {
            let src = ((k + lo.0) * H + j + lo.1) * W + lo.2, dst = (k * box.height + j) * box.width
            for i in 0..<box.width {
                ca[dst + i] = av[src + i] >= lv && av[src + i] < hv
                cb[dst + i] = bv[src + i] >= lv && bv[src + i] < hv
            }
        } }
        let sa = surface(of: ca, shape: box), sb = surface(of: cb, shape: box)
        func distances(from q: [Bool], to features: [Bool]) -> [Double] {
            let d2 = DistanceTransform.squaredDistances(to: features, shape: box, spacingMM: spacingMM)
            var out: [Double] = []
            for n in 0..<q.count where q[n] { out.append(d2[n].squareRoot()) }
            return out
        }
        let dAB = distances(from: sa, to: sb), dBA = distances(from: sb, to: sa)
        let pooled = (dAB + dBA).sorted()
        result.hd95MM = convention == .pooledSurfaceDistances
            ? percentile(sorted: pooled, 95)
            : max(percentile(sorted: dAB.sorted(), 95), percentile(sorted: dBA.sorted(), 95))
        result.hausdorffMM = pooled.last
        result.assdMM = pooled.reduce(0, +) / Double(pooled.count)
        return result
    }

    /// numpy's `percentile(values, p)` (method 'linear'): the value at position p/100·(n − 1) of the sorted
    /// list, interpolated between its neighbours.
    /// - Precondition: `sorted` is non-empty and ascending; 0 ≤ p ≤ 100.
    public static func percentile(sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty && p >= 0 && p <= 100, "percentile \(p) of \(sorted.count) values")
        let pos = p / 100 * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let t = pos - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * t
    }

    /// The surface flags of a mask: foreground voxels with a face neighbour (4 in 2D, 6 in 3D) that is
    /// background or outside the image.
    public static func surface(of m: [Bool], shape: VolumeShape) -> [Bool] {
        let D = shape.depth, H = shape.height, W = shape.width
        var s = [Bool](repeating: false, count: m.count)
        s.withUnsafeMutableBufferPointer { sp in
            let out = sp.baseAddress!
            Parallel.forEachChunk(count: D, minimumChunk: 1) { ks in
                for k in ks { for j in 0..<H { for i in 0..<W {
                    let n = (k * H + j) * W + i
                    guard m[n] else { continue }
                    var edge = i == 0 || i == W - 1 || j == 0 || j == H - 1 || !m[n - 1] || !m[n + 1] || !m[n - W] || !m[n + W]
                    if !edge && D > 1 {
                        edge = k == 0 || k == D - 1 || !m[n - H * W] || !m[n + H * W]
                    }
                    out[n] = edge
                } } }
            }
        }
        return s
    }
}

import MedCore
import MedIO

/// CarveMix (Zhang et al. 2021): copies a labelled lesion — its label and its intensities in every modality —
/// from one case into another co-registered case, with a feathered edge.
///
/// The pasted weight w is 1 on the lesion's voxels and falls off outside them, so every voxel that receives a
/// lesion label receives exactly the source's intensities (the label stays aligned with what was pasted); around
/// it target = (1 − w)·target + w·source blends the surroundings.
public enum CarveMix {
    /// Transplants every lesion voxel (label ≥ 10) of `source` into `target`.
    /// - Parameters:
    ///   - source: the donor; its images must include every modality of `target`'s.
    ///   - target: the recipient, on the same grid (shape and affine).
    ///   - sourceCaseID: recorded in the lesion's metadata.
    ///   - settings: feathering and placement.
    ///   - existing: boxes of the target's lesions (from their records); the transplant's box keeps a voxel clear
    ///     of them, so every lesion's box keeps holding only its own voxels.
    ///   - generator: draws positions when the lesion's own one is not valid.
    /// - Returns: the new target and the transplanted lesion's record (measured in the target).
    /// - Throws: `MedSynthError`: `.mismatch` (grids or modalities differ), `.invalidArgument` (no lesion in the
    ///   source, or no valid position in `maximumAttempts`).
    public static func transplant(from source: LabelledCase, into target: LabelledCase, sourceCaseID: String,
                                  settings: CarveMixSettings = CarveMixSettings(), avoiding existing: [LesionBox] = [],
                                  using generator: inout SeededGenerator) throws -> (LabelledCase, LesionRecord) {
        guard let result = try transplantIfPlaced(from: source, into: target, sourceCaseID: sourceCaseID, settings: settings,
                                                  avoiding: existing, using: &generator) else {
            throw MedSynthError(.invalidArgument, "CarveMix", "found no place for the lesion of '\(sourceCaseID)' in \(settings.maximumAttempts) attempts (allowed target labels \(settings.allowedTargetLabels.sorted()), at least \(settings.minimumInsideFraction) inside, clear of the target's lesions)")
        }
        return result
    }

    /// `transplant`, giving nil instead of an error when no valid position was found (like a drawn lesion that does
    /// not fit, which is dropped).
    /// - Throws: `MedSynthError`: `.mismatch` (grids or modalities differ), `.invalidArgument` (no lesion in the
    ///   source).
    public static func transplantIfPlaced(from source: LabelledCase, into target: LabelledCase, sourceCaseID: String,
                                          settings: CarveMixSettings = CarveMixSettings(), avoiding existing: [LesionBox] = [],
                                          using generator: inout SeededGenerator) throws -> (LabelledCase, LesionRecord)? {
        let grid = target.labels.shape
        guard source.labels.shape == grid, source.labels.affine.isClose(to: target.labels.affine, tolerance: 1e-3) else {
            throw MedSynthError(.mismatch, "CarveMix", "source case '\(sourceCaseID)' is \(source.labels.shape) with affine \(source.labels.affine); the target is \(grid) with \(target.labels.affine): cases must be co-registered")
        }
        var sourceImages: [Volume] = []
        for image in target.images {
            guard let s = source.images.first(where: { $0.modality == image.modality }), s.shape == grid else {
                throw MedSynthError(.mismatch, "CarveMix", "source case '\(sourceCaseID)' has no \(image.modality.rawValue) image on the target's grid")
            }
            sourceImages.append(s)
        }
        // The lesion's bounding box, grown by the feather.
        var lower = [Int.max, Int.max, Int.max], upper = [Int.min, Int.min, Int.min]
        for k in 0..<grid.depth {
            for j in 0..<grid.height {
                for i in 0..<grid.width where LesionSubRegion.isLesionLabel(source.labels[k, j, i]) {
                    lower = [min(lower[0], k), min(lower[1], j), min(lower[2], i)]
                    upper = [max(upper[0], k), max(upper[1], j), max(upper[2], i)]
                }
            }
        }
        guard lower[0] != Int.max else {
            throw MedSynthError(.invalidArgument, "CarveMix", "source case '\(sourceCaseID)' has no lesion voxel (label >= 10)")
        }
        let spacing = source.labels.spacingMM
        let pad = [Int((settings.featherMM * 2 / spacing.z).rounded(.up)), Int((settings.featherMM * 2 / spacing.y).rounded(.up)),
                   Int((settings.featherMM * 2 / spacing.x).rounded(.up))]
        let box = LesionBox(originK: lower[0] - pad[0], originJ: lower[1] - pad[1], originI: lower[2] - pad[2],
                            shape: VolumeShape(depth: upper[0] - lower[0] + 1 + 2 * pad[0], height: upper[1] - lower[1] + 1 + 2 * pad[1],
                                               width: upper[2] - lower[2] + 1 + 2 * pad[2]))
        let weight = featherWeights(source.labels, box: box, featherMM: settings.featherMM)

        // A shift is valid when the box stays on the grid, holds no target lesion voxel and keeps clear of the
        // target's lesion boxes, and enough lesion voxels land on allowed labels.
        func isValid(_ shift: [Int]) -> Bool {
            var moved = box
            moved.originK += shift[0]; moved.originJ += shift[1]; moved.originI += shift[2]
            guard moved.fits(in: grid), !existing.contains(where: { $0.intersects(moved, margin: 1) }) else { return false }
            var lesion = 0, inside = 0, clash = false
            box.forEachVoxel(on: grid) { b, g, k, j, i in
                let t = target.labels.index(k: k + shift[0], j: j + shift[1], i: i + shift[2])
                if LesionSubRegion.isLesionLabel(target.labels.voxels[t]) { clash = true }
                guard weight[b] > 0 else { return }
                if LesionSubRegion.isLesionLabel(source.labels.voxels[g]) {
                    lesion += 1
                    if settings.allowedTargetLabels.contains(Int(target.labels.voxels[t].rounded())) { inside += 1 }
                }
            }
            return !clash && lesion > 0 && Double(inside) >= settings.minimumInsideFraction * Double(lesion)
        }
        var shift: [Int]? = settings.preferSameLocation && isValid([0, 0, 0]) ? [0, 0, 0] : nil
        var attempt = 0
        let centre = [(lower[0] + upper[0]) / 2, (lower[1] + upper[1]) / 2, (lower[2] + upper[2]) / 2]
        while shift == nil && attempt < settings.maximumAttempts {
            attempt += 1
            let to = [Int(generator.next() % UInt64(grid.depth)), Int(generator.next() % UInt64(grid.height)),
                      Int(generator.next() % UInt64(grid.width))]
            guard settings.allowedTargetLabels.contains(Int(target.labels[to[0], to[1], to[2]].rounded())) else { continue }
            let s = [to[0] - centre[0], to[1] - centre[1], to[2] - centre[2]]
            if isValid(s) { shift = s }
        }
        guard let shift else { return nil }

        var result = target
        box.forEachVoxel(on: grid) { b, g, k, j, i in
            let w = weight[b]
            guard w > 0 else { return }
            let t = target.labels.index(k: k + shift[0], j: j + shift[1], i: i + shift[2])
            for n in result.images.indices {
                let a = result.images[n].voxels[t]
                result.images[n].voxels[t] = w >= 1 ? sourceImages[n].voxels[g] : a + w * (sourceImages[n].voxels[g] - a)
            }
            if LesionSubRegion.isLesionLabel(source.labels.voxels[g]) { result.labels.voxels[t] = source.labels.voxels[g] }
        }
        var moved = box
        moved.originK += shift[0]; moved.originJ += shift[1]; moved.originI += shift[2]
        var record = LesionMeasurement.measure(index: 0, method: "carvemix", box: moved, labels: result.labels,
                                               images: result.images) { b, g in
            weight[b] == 0 && settings.allowedTargetLabels.contains(Int(result.labels.voxels[g].rounded()))
        }
        record.sourceCaseID = sourceCaseID
        record.offsetVoxels = shift
        return (result, record)
    }

    /// 1 on lesion voxels; outside, min(1, 2·G_σ ∗ lesion) with σ = featherMM / 2 (the blurred mask is ½ at the
    /// lesion's edge, so the weight starts at 1 there and falls to ≈ 0 about `featherMM` beyond it).
    static func featherWeights(_ labels: Volume, box: LesionBox, featherMM: Double) -> [Float] {
        var mask = [Float](repeating: 0, count: box.shape.voxelCount)
        box.forEachVoxel(on: labels.shape) { b, g, _, _, _ in
            if LesionSubRegion.isLesionLabel(labels.voxels[g]) { mask[b] = 1 }
        }
        var blurred = mask
        if featherMM > 0 {
            let sigma = SIMD3(repeating: featherMM / 2) / labels.spacingMM
            GaussianBlur3D.blurSeparable(&blurred, shape: box.shape,
                                         kernels: (x: GaussianBlur3D.kernel(sigmaVoxels: sigma.x, radiusSigmas: 3),
                                                   y: GaussianBlur3D.kernel(sigmaVoxels: sigma.y, radiusSigmas: 3),
                                                   z: GaussianBlur3D.kernel(sigmaVoxels: sigma.z, radiusSigmas: 3)))
        }
        return zip(mask, blurred).map { m, b in m >= 1 ? 1 : (b * 2 > 0.01 ? min(1, b * 2) : 0) }
    }
}

import MedIO

/// Measures lesions on a final label map and images (the numbers of `LesionRecord`).
enum LesionMeasurement {
    /// The modalities contrast is reported for.
    static let imageModalities: [Modality] = [.ct, .t1, .t2, .flair, .pet]

    /// Measures the lesion voxels of `box`.
    /// - Parameters:
    ///   - box: the lesion's box (no other lesion's voxels lie in it).
    ///   - labels: the final label map.
    ///   - images: co-registered images.
    ///   - before: the images without the lesion, for the inserted change; nil compares with the host instead.
    ///   - isHost: whether a non-lesion voxel (box index, grid index) is host tissue for the contrast.
    static func measure(index: Int, method: String, box: LesionBox, labels: Volume, images: [Volume], before: [Volume]? = nil,
                        isHost: (Int, Int) -> Bool) -> LesionRecord {
        let grid = labels.shape
        var lesionVoxels: [Int] = [], hostVoxels: [Int] = []
        var byLabel: [Int: [Int]] = [:]
        var sum = SIMD3<Double>(repeating: 0)
        box.forEachVoxel(on: grid) { b, g, k, j, i in
            let value = labels.voxels[g]
            if LesionSubRegion.isLesionLabel(value) {
                lesionVoxels.append(g)
                byLabel[Int(value.rounded()), default: []].append(g)
                sum += SIMD3(Double(k), Double(j), Double(i))
            } else if isHost(b, g) {
                hostVoxels.append(g)
            }
        }
        let voxelMM3 = voxelVolumeMM3(labels.affine)
        let count = lesionVoxels.count
        let centroid = count > 0 ? sum / Double(count) : SIMD3(repeating: .nan)
        let world = labels.affine.apply(SIMD3(centroid.z, centroid.y, centroid.x))
        let usedLabels = byLabel.keys.sorted()
        let parts: [LesionSubRegionRecord] = usedLabels.count == 1 && usedLabels[0] == LesionSubRegion.whole.label ? [] :
            usedLabels.compactMap { label in
                guard let region = LesionSubRegion(label: label), let voxels = byLabel[label] else { return nil }
                return LesionSubRegionRecord(region: region, label: label, voxelCount: voxels.count,
                                             volumeMM3: Double(voxels.count) * voxelMM3,
                                             contrast: contrast(images, before: before, lesion: voxels, host: hostVoxels))
            }
        return LesionRecord(index: index, method: method, labels: usedLabels, voxelCount: count,
                            volumeMM3: Double(count) * voxelMM3, centroidVoxel: [centroid.x, centroid.y, centroid.z],
                            centroidWorldMM: [world.x, world.y, world.z], box: box,
                            contrast: contrast(images, before: before, lesion: lesionVoxels, host: hostVoxels), subRegions: parts,
                            parameters: nil, sourceCaseID: nil, offsetVoxels: nil)
    }

    /// |det| of the affine's linear part: one voxel's volume in mm³.
    static func voxelVolumeMM3(_ a: Affine) -> Double {
        let det = a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]) - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
            + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
        return abs(det)
    }

    /// With `before`, the inserted change: CT mean(new − old) in HU, others mean(new − old) / host mean. Without,
    /// CT: mean difference from the host (HU); others: mean ratio − 1. Modalities without host voxels or with a
    /// zero host mean are left out.
    static func contrast(_ images: [Volume], before: [Volume]? = nil, lesion: [Int], host: [Int]) -> [String: Double] {
        guard !lesion.isEmpty, !host.isEmpty else { return [:] }
        var out: [String: Double] = [:]
        for (n, image) in images.enumerated() where imageModalities.contains(image.modality) {
            let old = before?[n]
            let l = lesion.reduce(0.0) { sum, g in sum + Double(image.voxels[g]) - (old.map { Double($0.voxels[g]) } ?? 0) } / Double(lesion.count)
            let h = host.reduce(0.0) { $0 + Double((old ?? image).voxels[$1]) } / Double(host.count)
            if let old, old.modality == image.modality {
                out[image.modality.rawValue] = image.modality == .ct ? l : (abs(h) > 1e-12 ? l / h : nil)
                continue
            }
            if image.modality == .ct {
                out[image.modality.rawValue] = l - h
            } else if abs(h) > 1e-12 {
                out[image.modality.rawValue] = l / h - 1
            }
        }
        return out
    }
}

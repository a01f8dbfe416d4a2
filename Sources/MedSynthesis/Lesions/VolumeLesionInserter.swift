import MedCore
import MedIO

/// Images and label map after lesions were added, and the lesions' metadata.
public struct LesionInsertionResult: Sendable {
    /// The images, in the order given, with lesions blended in.
    public var images: [Volume]
    /// The label map: the given one with lesion labels written, or a new one (0 elsewhere).
    public var labels: Volume
    /// One record per lesion.
    public var lesions: [LesionRecord]
}

/// Puts lesions into a user's co-registered volumes directly: intensities are blended, the label map updated.
///
/// Each lesion is placed in the mask (`VolumeLesionMask`), then every image voxel of its box gets
/// v + Σ_part share·Δ_part, where Δ is the part's `LesionAppearance.intensityChange` for the image's modality
/// and the mean host intensity around the lesion (box voxels in the mask, beyond the lesion's reach). Adding a
/// change keeps the image's noise and texture. CT is floored at −1024 HU, MR and PET at 0. A voxel whose lesion
/// coverage is at least one half gets the label of its largest part.
public struct VolumeLesionInserter: Sendable {
    /// The lesion model.
    public let model: LesionModel
    /// The tissue properties MR contrasts are computed against (white matter at 3 T by default).
    public var host: TissueProperties = LesionAppearance.referenceHost
    /// The MR sequences MR contrasts are computed for.
    public var mr = MRAcquisitionSettings()

    /// Creates an inserter.
    /// - Throws: `MedSynthError(.invalidArgument)` for invalid settings.
    public init(settings: LesionSettings) throws {
        model = try LesionModel(settings: settings)
    }

    /// Adds lesions.
    /// - Parameters:
    ///   - images: co-registered images of known modality (CT, T1, T2, FLAIR, PET).
    ///   - labels: an existing label map to update (new lesions avoid its lesion labels), or nil to create one.
    ///   - mask: where lesions may go (values clamped to 0…1 are allowed fractions).
    ///   - stream: the random stream (see `LesionModel`).
    ///   - count: the number of lesions; nil draws it from the settings.
    ///   - existing: the boxes of lesions already in `labels` (from their records): new lesions keep clear of
    ///     them, so every lesion's box keeps holding only its own voxels.
    /// - Throws: `MedSynthError`: `.mismatch` when the grids differ, `.invalidArgument` for an image of unknown
    ///   modality or a mask with no voxel ≥ 0.5.
    public func insert(into images: [Volume], labels: Volume?, mask: Volume, using stream: SeededGenerator,
                       count: Int? = nil, avoiding existing: [LesionBox] = []) throws -> LesionInsertionResult {
        for (n, image) in images.enumerated() {
            guard image.shape == mask.shape, image.affine.isClose(to: mask.affine, tolerance: 1e-3) else {
                throw MedSynthError(.mismatch, "image \(n) (\(image.modality.rawValue))",
                                    "has shape \(image.shape) and affine \(image.affine); the mask has \(mask.shape) and \(mask.affine)")
            }
            guard LesionMeasurement.imageModalities.contains(image.modality) else {
                throw MedSynthError(.invalidArgument, "image \(n)",
                                    "has modality \(image.modality.rawValue); expected CT, T1, T2, FLAIR or PET (give it with --modality)")
            }
        }
        let placement = try VolumeLesionMask(mask: mask, labels: labels)
        let placed = model.place(on: placement, using: stream, count: count, avoiding: existing)
        var out = images
        var labelMap = labels ?? Volume(shape: mask.shape, filledWith: 0, affine: mask.affine, modality: .label)
        let grid = mask.shape
        for lesion in placed {
            let c = lesion.coverage
            var host: [Int] = []
            c.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                if c.outer[b] == 0 && mask.voxels[g] >= 0.5 && !LesionSubRegion.isLesionLabel(labelMap.voxels[g]) { host.append(g) }
            }
            if host.isEmpty {
                c.box.forEachVoxel(on: grid) { _, g, _, _, _ in if mask.voxels[g] >= 0.5 { host.append(g) } }
            }
            for n in out.indices {
                let modality = out[n].modality
                let hostMean = host.reduce(0.0) { $0 + Double(out[n].voxels[$1]) } / Double(max(1, host.count))
                let changes = lesion.parameters.appearances.map {
                    (region: $0.region, delta: Float($0.appearance.intensityChange(for: modality, hostMean: hostMean, host: self.host, mr: mr) ?? 0))
                }
                let floor = modality.background
                c.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                    guard c.outer[b] > 0 else { return }
                    var delta: Float = 0
                    for change in changes { delta += c.share(change.region, at: b) * change.delta }
                    out[n].voxels[g] = max(floor, out[n].voxels[g] + delta)
                }
            }
            c.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                if c.outer[b] >= 0.5 { labelMap.voxels[g] = Float(c.dominantRegion(at: b).label) }
            }
        }
        let records = placed.enumerated().map { n, lesion -> LesionRecord in
            var record = LesionMeasurement.measure(index: n, method: "volume_blend", box: lesion.coverage.box,
                                                   labels: labelMap, images: out) { b, g in
                lesion.coverage.outer[b] == 0 && mask.voxels[g] >= 0.5
            }
            record.parameters = lesion.parameters
            return record
        }
        return LesionInsertionResult(images: out, labels: labelMap, lesions: records)
    }
}

import MedCore
import MedIO

/// Images and label map after lesions were added, and the lesions' metadata.
public struct LesionInsertionResult: Sendable {
    /// The images, in the order given, with lesions blended in.
    public var images: [Volume]
    /// The label map: the given one with lesion labels written, or a new one (0 elsewhere).
    public var labels: Volume
    /// One record per inserted lesion.
    public var lesions: [LesionRecord]
    /// Lesions placed but not inserted: below the visibility threshold in every image (`LesionVisibilitySettings`).
    public var dropped: [DroppedLesion] = []
}

/// Puts lesions into a user's co-registered volumes directly: intensities are blended, the label map updated.
///
/// Each lesion is placed in the mask (`VolumeLesionMask`), then every image voxel of its box gets
/// v + m·Σ_part share·Δ_part, where Δ is the part's `LesionAppearance.intensityChange` for the image's modality
/// and the mean host intensity around the lesion (box voxels in the mask, beyond the lesion's reach), and m the
/// lesion's heterogeneity field (`LesionHeterogeneity`; 1 without one). Adding a
/// change keeps the image's noise and texture. CT is floored at −1024 HU, MR and PET at 0.
///
/// Visible where labelled (`LesionVisibilitySettings`): a voxel is labelled, with its largest part, where the
/// lesion covers at least one half of it *and* its change reaches `voxelChangeFraction`·`minimumCNR`·σ in at least
/// one image (σ: the host's noise, `HostNoise`); of those voxels only the largest 6-connected component is kept,
/// and voxels of stray pieces get no change, nor does anything farther than the soft edge from the kept lesion.
/// A lesion whose CNR (|mean change over its labelled voxels| / σ) is below `minimumCNR` in every image has its
/// appearance drawn again (`LesionModel.redrawStream`), up to `maximumRedraws` times, and is then dropped
/// (`LesionInsertionResult.dropped`), or kept and recorded as invisible with `allowInvisible`.
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

    /// One appearance tried on a placed lesion: each image's change on the box and what would be labelled.
    private struct Trial {
        var parameters: LesionParameters
        /// Per image, new − old on the box (0 beyond the lesion's reach).
        var deltas: [[Float]]
        /// Voxels whose change passes the voxel rule (coverage ≥ ½ and a real change).
        var candidates: [Bool]
        /// The largest 6-connected component of `candidates`: the labelled voxels.
        var labelled: [Bool]
        /// Per modality name.
        var visibility: [String: LesionVisibility]
        var visible: Bool { visibility.values.contains { $0.visible } }
        var bestCNR: Double { visibility.values.map(\.cnr).max() ?? 0 }
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
        let settings = model.settings, visibility = settings.visibility
        let placement = try VolumeLesionMask(mask: mask, labels: labels)
        let placed = model.place(on: placement, using: stream, count: count, avoiding: existing)
        var out = images
        var labelMap = labels ?? Volume(shape: mask.shape, filledWith: 0, affine: mask.affine, modality: .label)
        let grid = mask.shape
        let wholeGrid = LesionBox(originK: 0, originJ: 0, originI: 0, shape: grid)
        var globalSigma: [Int: Double] = [:]
        // The soft edge in voxels along the finest axis: how far beyond its labelled voxels a lesion may change the image.
        let edgeSteps = Int((settings.edgeWidthMM / mask.affine.columnLengthsMM.min()).rounded(.up)) + 1
        var inserted: [(lesion: PlacedLesion, trial: Trial, redraws: Int, keptInvisible: String?)] = []
        var dropped: [DroppedLesion] = []
        for lesion in placed {
            let c = lesion.coverage
            let box = c.box
            let isHost: (Int, Int) -> Bool = { b, g in
                c.outer[b] == 0 && mask.voxels[g] >= 0.5 && !LesionSubRegion.isLesionLabel(labelMap.voxels[g])
            }
            var host: [Int] = []
            box.forEachVoxel(on: grid) { b, g, _, _, _ in if isHost(b, g) { host.append(g) } }
            if host.isEmpty {
                box.forEachVoxel(on: grid) { _, g, _, _, _ in if mask.voxels[g] >= 0.5 { host.append(g) } }
            }
            let hostMeans = out.map { image in host.reduce(0.0) { $0 + Double(image.voxels[$1]) } / Double(max(1, host.count)) }
            let sigmas = out.indices.map { n -> Double in
                let local = HostNoise.sigma(out[n], box: box, isHost: isHost) ?? {
                    if let s = globalSigma[n] { return s }
                    let s = HostNoise.sigma(out[n], box: wholeGrid) { _, g in
                        mask.voxels[g] >= 0.5 && !LesionSubRegion.isLesionLabel(labelMap.voxels[g])
                    } ?? 0
                    globalSigma[n] = s
                    return s
                }()
                return visibility.noiseSigma(estimated: local, hostMean: hostMeans[n])
            }
            // Internal heterogeneity: one field per lesion, kept across appearance redraws.
            let modulation = lesion.parameters.heterogeneity?.modulation(box: box, affine: mask.affine)
            func attempt(_ parameters: LesionParameters, voxelThresholds: [Double]) -> Trial {
                var deltas = [[Float]](repeating: [Float](repeating: 0, count: box.shape.voxelCount), count: out.count)
                for n in out.indices {
                    let image = out[n], modality = image.modality
                    let changes = parameters.appearances.map {
                        (region: $0.region, delta: Float($0.appearance.intensityChange(for: modality, hostMean: hostMeans[n], host: self.host, mr: mr) ?? 0))
                    }
                    let floor = modality.background
                    box.forEachVoxel(on: grid) { b, g, _, _, _ in
                        guard c.outer[b] > 0 else { return }
                        var delta: Float = 0
                        for change in changes { delta += c.share(change.region, at: b) * change.delta }
                        if let modulation { delta *= modulation[b] }
                        let v = image.voxels[g]
                        deltas[n][b] = max(floor, v + delta) - v
                    }
                }
                let candidates = (0..<box.shape.voxelCount).map { b in
                    c.outer[b] >= 0.5 && out.indices.contains { n in
                        let d = Double(abs(deltas[n][b]))
                        return d > 0 && d >= voxelThresholds[n]
                    }
                }
                let labelled = LesionComponents.largest(candidates, shape: box.shape)
                // With no voxel passing the voxel rule the lesion is invisible; its CNR is then measured where it
                // would have been labelled (coverage ≥ ½), so the reason quotes a meaningful value.
                let anyLabelled = labelled.contains(true)
                let measuredOn = anyLabelled ? labelled : LesionComponents.largest(c.outer.map { $0 >= 0.5 }, shape: box.shape)
                let measuredCount = measuredOn.reduce(0) { $0 + ($1 ? 1 : 0) }
                var measured: [String: LesionVisibility] = [:]
                for n in out.indices {
                    var sum = 0.0
                    for b in measuredOn.indices where measuredOn[b] { sum += Double(deltas[n][b]) }
                    var v = LesionVisibility(insertedChange: measuredCount > 0 ? sum / Double(measuredCount) : 0,
                                             noiseSigma: sigmas[n], threshold: visibility.minimumCNR)
                    v.visible = v.visible && anyLabelled
                    measured[out[n].modality.rawValue] = v
                }
                return Trial(parameters: parameters, deltas: deltas, candidates: candidates, labelled: labelled, visibility: measured)
            }
            let thresholds = sigmas.map { visibility.voxelChangeFraction * visibility.minimumCNR * $0 }
            var best = attempt(lesion.parameters, voxelThresholds: thresholds)
            var redraws = 0
            if !best.visible && visibility.maximumRedraws > 0 {
                var g = LesionModel.redrawStream(stream, drawIndex: lesion.drawIndex)
                for r in 1...visibility.maximumRedraws {
                    var p = lesion.parameters
                    p.appearances = LesionParameters.drawAppearances(p.regions, settings: settings, using: &g)
                    let t = attempt(p, voxelThresholds: thresholds)
                    if t.visible || t.bestCNR > best.bestCNR { (best, redraws) = (t, r) }
                    if t.visible { break }
                }
            }
            if best.visible {
                inserted.append((lesion, best, redraws, nil))
                continue
            }
            let why = Self.belowThreshold(best.visibility, threshold: visibility.minimumCNR)
            if visibility.allowInvisible {
                // Labelled wherever it changes an image at all.
                let kept = attempt(best.parameters, voxelThresholds: sigmas.map { _ in 0 })
                if kept.labelled.contains(true) {
                    let keptWhy = Self.belowThreshold(kept.visibility, threshold: visibility.minimumCNR)
                    inserted.append((lesion, kept, redraws, "kept although invisible (allowInvisible): \(keptWhy)"))
                    continue
                }
            }
            dropped.append(DroppedLesion(drawIndex: lesion.drawIndex, box: box, parameters: best.parameters, visibility: best.visibility,
                                         reason: "\(why) in every image after \(visibility.maximumRedraws) redraw(s) of its appearance"))
        }
        for entry in inserted {
            let c = entry.lesion.coverage, t = entry.trial
            let reach = LesionComponents.dilated(t.labelled, shape: c.box.shape, steps: edgeSteps)
            for n in out.indices {
                c.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                    // No change in stray pieces, nor beyond the soft edge of the labelled lesion.
                    guard reach[b], t.labelled[b] || !t.candidates[b] else { return }
                    out[n].voxels[g] += t.deltas[n][b]
                }
            }
            c.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                if t.labelled[b] { labelMap.voxels[g] = Float(c.dominantRegion(at: b).label) }
            }
        }
        let records = inserted.enumerated().map { n, entry -> LesionRecord in
            let c = entry.lesion.coverage
            var record = LesionMeasurement.measure(index: n, method: "volume_blend", box: c.box, labels: labelMap, images: out,
                                                   before: images) { b, g in
                c.outer[b] == 0 && mask.voxels[g] >= 0.5
            }
            record.parameters = entry.trial.parameters
            record.visibility = entry.trial.visibility
            record.appearanceRedraws = entry.redraws
            record.keptInvisible = entry.keptInvisible
            return record
        }
        return LesionInsertionResult(images: out, labels: labelMap, lesions: records, dropped: dropped)
    }

    /// "CNR T1 0.03 < 1, FLAIR 0.4 < 1": the modalities below `threshold`.
    static func belowThreshold(_ visibility: [String: LesionVisibility], threshold: Double) -> String {
        let parts = visibility.keys.sorted().map { key in
            "\(key) \(String(format: "%.3g", visibility[key]!.cnr)) < \(String(format: "%g", threshold))"
        }
        return "CNR " + parts.joined(separator: ", ")
    }
}

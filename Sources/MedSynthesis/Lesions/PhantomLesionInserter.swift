import MedCore
import MedIO

/// A phantom case with lesions, and their metadata.
public struct LesionedPhantomCase: Sendable {
    /// The rendered case; lesion voxels are labelled 10 (or 11–13 with sub-regions).
    public var phantomCase: HeadPhantomCase
    /// One record per lesion, measured on the rendered case.
    public var lesions: [LesionRecord]
    /// Lesions placed but not rendered: below the visibility threshold in every image.
    public var dropped: [DroppedLesion] = []
}

/// Puts lesions into head-phantom cases through `PhantomInclusion`, so that partial volume, the bias field,
/// blur and noise apply to them exactly as to tissue.
///
/// Lesions are placed on the case's anatomy model before rendering (centred in `hostTissue`, clipped to the
/// partial-volume fraction of `allowedTissues`); each part becomes an inclusion whose properties are the case's
/// drawn host-tissue properties changed by the part's appearance. The renderer labels lesion voxels 10; with
/// sub-regions each is then relabelled 11, 12 or 13 by its largest share.
///
/// Visible where labelled: the case is also rendered without the new lesions (same noise draws), so each lesion's
/// inserted change per image is mean(with − without) over its labelled voxels, and its CNR that change over the
/// host's noise σ estimated from the lesion-free image around it (`HostNoise`). `contrast` records that inserted
/// change. A lesion below `visibility.minimumCNR` in every image is dropped and the case rendered again without
/// it (`dropped` says which and why), or kept and flagged with `allowInvisible`. Each lesion keeps one connected
/// component: pieces split off by the clipping get the lesion-free case's labels and values back.
public struct PhantomLesionInserter: Sendable {
    /// The phantom.
    public let phantom: HeadPhantom
    /// The lesion model.
    public let model: LesionModel

    /// The labels lesions were clipped to when a record does not say (`LesionSettings`' default tissues, in their
    /// order: the order the fractions are summed in).
    public static let defaultAllowedLabels = LesionSettings().allowedTissues.map(\.rawValue)

    /// The split of a case's stream (`SeededGenerator(seed: seed).split(index)`) that lesions draw from, apart from
    /// the phantom's own splits (`SeedStream`).
    public static let caseStreamSplit: UInt64 = SeedStream.phantomLesions

    /// Creates an inserter.
    /// - Throws: `MedSynthError(.invalidArgument)` for invalid lesion settings.
    public init(phantom: HeadPhantom, settings: LesionSettings) throws {
        self.phantom = phantom
        self.model = try LesionModel(settings: settings)
    }

    /// The lesion stream of case `index` of dataset `seed`.
    public static func lesionStream(seed: UInt64, index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed).split(UInt64(index)).split(caseStreamSplit)
    }

    /// Draws, places and renders case `index` of dataset `seed` with lesions.
    /// - Parameter count: the number of lesions; nil draws it from the settings' `countRange`.
    /// - Throws: `MedSynthError` for a negative index.
    public func makeCase(seed: UInt64, index: Int, count: Int? = nil) throws -> LesionedPhantomCase {
        guard index >= 0 else { throw MedSynthError(.invalidArgument, "index", "is \(index); expected a case index >= 0") }
        return try render(phantom.drawParameters(seed: seed, index: index),
                          lesionStream: Self.lesionStream(seed: seed, index: index), count: count)
    }

    /// Renders a drawn case with lesions from `lesionStream`, and with the lesions of `existing` (records of
    /// phantom inclusions rendered into this case before, with their drawn parameters) rendered again where they
    /// were; new lesions keep clear of their boxes.
    /// - Parameters:
    ///   - existing: earlier lesions of the case (`method` `phantom_inclusion`, `parameters` present).
    /// - Returns: the case and the records of the new lesions only, indexed from `existing.count`.
    /// - Throws: `MedSynthError` when the parameters are invalid, or `.invalidArgument` for an existing record that
    ///   is not a phantom inclusion with parameters, or whose box does not fit the grid.
    public func render(_ parameters: HeadPhantomCaseParameters, lesionStream: SeededGenerator,
                       count: Int? = nil, existing: [LesionRecord] = []) throws -> LesionedPhantomCase {
        let settings = model.settings
        let anatomy = try phantom.anatomyModel(for: parameters)
        let mask = PhantomLesionMask(model: anatomy, allowedTissues: settings.allowedTissues, hostTissue: settings.hostTissue)
        var earlier: [PlacedLesion] = []
        for record in existing {
            guard record.method == "phantom_inclusion", let p = record.parameters, record.box.fits(in: anatomy.shape) else {
                throw MedSynthError(.invalidArgument, "lesion \(record.index)",
                                    "is a '\(record.method)' lesion\(record.parameters == nil ? " without drawn parameters" : ""); only phantom inclusions with their parameters can be rendered again")
            }
            let tissues = (record.allowedLabels ?? Self.defaultAllowedLabels).compactMap { Tissue(rawValue: $0) }
            let own = PhantomLesionMask(model: anatomy, allowedTissues: tissues, hostTissue: settings.hostTissue)
            let (coverage, inside) = LesionCoverage.compute(p, box: record.box, mask: own)
            earlier.append(PlacedLesion(parameters: p, coverage: coverage, attempts: 1, insideFraction: inside))
        }
        let placed = model.place(on: mask, using: lesionStream, count: count, avoiding: existing.map(\.box))
        let host = parameters.properties(of: settings.hostTissue)
        func inclusions(of lesions: [PlacedLesion]) -> [PhantomInclusion] {
            lesions.flatMap { lesion -> [PhantomInclusion] in
                let box = lesion.coverage.box
                return lesion.parameters.appearances.map { part in
                    PhantomInclusion(label: .lesion, properties: part.appearance.properties(relativeTo: host),
                                     originK: box.originK, originJ: box.originJ, originI: box.originI, boxShape: box.shape,
                                     fractions: lesion.coverage.paintingFractions(part.region))
                }
            }
        }
        func render(_ lesions: [PlacedLesion]) throws -> HeadPhantomCase {
            var rendered = try phantom.render(parameters, model: anatomy, inclusions: inclusions(of: lesions))
            let grid = rendered.labels.shape
            for lesion in lesions where lesion.parameters.subRegions {
                lesion.coverage.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                    if rendered.labels.voxels[g] == Tissue.lesion.label {
                        rendered.labels.voxels[g] = Float(lesion.coverage.dominantRegion(at: b).label)
                    }
                }
            }
            return rendered
        }
        guard !placed.isEmpty else { return LesionedPhantomCase(phantomCase: try render(earlier), lesions: []) }

        // The same case without the new lesions: the noise draws are the same, so with − without is the change.
        let before = try render(earlier)
        let beforeImages = [before.ct, before.t1, before.t2, before.flair, before.pet]
        let hostLabel = settings.hostTissue.label
        let allowed = settings.allowedTissues.map(\.rawValue)
        let visibility = settings.visibility
        var kept = placed
        var dropped: [DroppedLesion] = []
        while true {
            var rendered = try render(earlier + kept)
            for lesion in kept { Self.keepLargestComponent(box: lesion.coverage.box, of: &rendered, without: before) }
            let images = [rendered.ct, rendered.t1, rendered.t2, rendered.flair, rendered.pet]
            var records: [LesionRecord] = []
            var invisible: [Int] = []
            for (n, lesion) in kept.enumerated() {
                let box = lesion.coverage.box
                let isHost: (Int, Int) -> Bool = { b, g in lesion.coverage.outer[b] == 0 && rendered.labels.voxels[g] == hostLabel }
                var record = LesionMeasurement.measure(index: existing.count + n, method: "phantom_inclusion", box: box,
                                                       labels: rendered.labels, images: images, before: beforeImages,
                                                       isHost: isHost)
                record.parameters = lesion.parameters
                record.allowedLabels = allowed
                record.visibility = Self.visibility(box: box, labels: rendered.labels, images: images, before: beforeImages,
                                                    isHost: isHost, settings: visibility)
                if !(record.visibility ?? [:]).values.contains(where: \.visible) {
                    let why = VolumeLesionInserter.belowThreshold(record.visibility ?? [:], threshold: visibility.minimumCNR)
                    if visibility.allowInvisible {
                        record.keptInvisible = "\(why) in every image; kept (allowInvisible)"
                    } else {
                        invisible.append(n)
                        dropped.append(DroppedLesion(drawIndex: lesion.drawIndex, box: box, parameters: lesion.parameters,
                                                     visibility: record.visibility ?? [:], reason: "\(why) in every image"))
                    }
                }
                records.append(record)
            }
            if invisible.isEmpty {
                return LesionedPhantomCase(phantomCase: rendered, lesions: records, dropped: dropped)
            }
            // Render again without them (the other lesions' records are measured again on that render).
            kept = kept.enumerated().filter { !invisible.contains($0.offset) }.map(\.element)
            if kept.isEmpty { return LesionedPhantomCase(phantomCase: before, lesions: [], dropped: dropped) }
        }
    }

    /// One connected component per lesion: lesion-labelled voxels of `box` outside its largest 6-connected component
    /// (pieces split off where the lesion was clipped to its tissues) get the lesion-free case's label and values
    /// back, so no stray voxel is labelled and none is changed (PET's blur aside).
    static func keepLargestComponent(box: LesionBox, of c: inout HeadPhantomCase, without before: HeadPhantomCase) {
        let grid = c.labels.shape
        var member = [Bool](repeating: false, count: box.shape.voxelCount)
        box.forEachVoxel(on: grid) { b, g, _, _, _ in member[b] = LesionSubRegion.isLesionLabel(c.labels.voxels[g]) }
        let kept = LesionComponents.largest(member, shape: box.shape)
        guard kept != member else { return }
        box.forEachVoxel(on: grid) { b, g, _, _, _ in
            guard member[b] && !kept[b] else { return }
            c.labels.voxels[g] = before.labels.voxels[g]
            c.ct.voxels[g] = before.ct.voxels[g]
            c.t1.voxels[g] = before.t1.voxels[g]
            c.t2.voxels[g] = before.t2.voxels[g]
            c.flair.voxels[g] = before.flair.voxels[g]
            c.pet.voxels[g] = before.pet.voxels[g]
        }
    }

    /// Per image: the inserted change over the lesion's labelled voxels in `box` against the noise σ of the
    /// lesion-free image around it (host voxels of the box; σ floored at `noiseFloorFraction` of the host mean).
    static func visibility(box: LesionBox, labels: Volume, images: [Volume], before: [Volume], isHost: (Int, Int) -> Bool,
                           settings: LesionVisibilitySettings) -> [String: LesionVisibility] {
        var lesion: [Int] = [], host: [Int] = []
        box.forEachVoxel(on: labels.shape) { b, g, _, _, _ in
            if LesionSubRegion.isLesionLabel(labels.voxels[g]) { lesion.append(g) } else if isHost(b, g) { host.append(g) }
        }
        guard !lesion.isEmpty else { return [:] }
        var out: [String: LesionVisibility] = [:]
        for (image, old) in zip(images, before) {
            let change = lesion.reduce(0.0) { $0 + Double(image.voxels[$1]) - Double(old.voxels[$1]) } / Double(lesion.count)
            let hostMean = host.isEmpty ? 0 : host.reduce(0.0) { $0 + Double(old.voxels[$1]) } / Double(host.count)
            let sigma = settings.noiseSigma(estimated: HostNoise.sigma(old, box: box, isHost: isHost) ?? 0, hostMean: hostMean)
            out[image.modality.rawValue] = LesionVisibility(insertedChange: change, noiseSigma: sigma, threshold: settings.minimumCNR)
        }
        return out
    }
}

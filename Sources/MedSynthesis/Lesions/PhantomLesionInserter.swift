import MedCore
import MedIO

/// A phantom case with lesions, and their metadata.
public struct LesionedPhantomCase: Sendable {
    /// The rendered case; lesion voxels are labelled 10 (or 11–13 with sub-regions).
    public var phantomCase: HeadPhantomCase
    /// One record per lesion, measured on the rendered case.
    public var lesions: [LesionRecord]
}

/// Puts lesions into head-phantom cases through `PhantomInclusion`, so that partial volume, the bias field,
/// blur and noise apply to them exactly as to tissue.
///
/// Lesions are placed on the case's anatomy model before rendering (centred in `hostTissue`, clipped to the
/// partial-volume fraction of `allowedTissues`); each part becomes an inclusion whose properties are the case's
/// drawn host-tissue properties changed by the part's appearance. The renderer labels lesion voxels 10; with
/// sub-regions each is then relabelled 11, 12 or 13 by its largest share.
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
        var inclusions: [PhantomInclusion] = []
        for lesion in earlier + placed {
            let box = lesion.coverage.box
            for part in lesion.parameters.appearances {
                inclusions.append(PhantomInclusion(
                    label: .lesion, properties: part.appearance.properties(relativeTo: host),
                    originK: box.originK, originJ: box.originJ, originI: box.originI, boxShape: box.shape,
                    fractions: lesion.coverage.paintingFractions(part.region)))
            }
        }
        var rendered = try phantom.render(parameters, model: anatomy, inclusions: inclusions)
        let grid = rendered.labels.shape
        for lesion in earlier + placed where lesion.parameters.subRegions {
            lesion.coverage.box.forEachVoxel(on: grid) { b, g, _, _, _ in
                if rendered.labels.voxels[g] == Tissue.lesion.label {
                    rendered.labels.voxels[g] = Float(lesion.coverage.dominantRegion(at: b).label)
                }
            }
        }
        let images = [rendered.ct, rendered.t1, rendered.t2, rendered.flair, rendered.pet]
        let hostLabel = settings.hostTissue.label
        let allowed = settings.allowedTissues.map(\.rawValue)
        let records = placed.enumerated().map { n, lesion -> LesionRecord in
            var record = LesionMeasurement.measure(index: existing.count + n, method: "phantom_inclusion", box: lesion.coverage.box,
                                                   labels: rendered.labels, images: images) { b, g in
                lesion.coverage.outer[b] == 0 && rendered.labels.voxels[g] == hostLabel
            }
            record.parameters = lesion.parameters
            record.allowedLabels = allowed
            return record
        }
        return LesionedPhantomCase(phantomCase: rendered, lesions: records)
    }
}

import Foundation
import MedCore
import MedIO

/// Makes the cases of `medsynth lesions --carvemix DONORS.h5`: every case of a MedSynth dataset with the lesions
/// of `perCase` donor cases transplanted into it (`CarveMix`: each donor's lesion voxels with their labels and
/// their values in every modality, feathered at the edge), its label map updated and its source recorded.
///
/// Donors are the cases of the donor dataset that have lesions (by their `lesions` provenance, or by their label
/// map when they have no provenance), other than the case itself when the donors are the input. Case n draws
/// from `SeededGenerator(seed: seed).split(n)`: first which donors (without repetition), then the positions. A
/// donor's lesion goes where it was when that lands on allowed labels clear of other lesions, else at a random
/// valid shift; one that finds no place is dropped, as a drawn lesion that does not fit is.
public struct CarveMixDatasetBuilder: Sendable {
    /// The dataset whose cases get lesions.
    public let source: URL
    /// Its case ids, in order.
    public let caseIDs: [String]
    /// The donor dataset (may be `source`).
    public let donors: URL
    /// The donor cases with lesions, in order.
    public let donorIDs: [String]
    /// Transplants per case.
    public let perCase: Int
    /// Feathering and placement (`allowedTargetLabels` from `--allowed-labels`).
    public let settings: CarveMixSettings
    /// The seed.
    public let seed: UInt64
    /// The command line recorded in provenance.
    public let commandLine: String

    /// Creates a builder.
    /// - Throws: `MedSynthError` when a dataset cannot be listed, the source has no cases, the donors have no case
    ///   with lesions, or `perCase`/`seed` are out of range.
    public init(source: URL, donors: URL, perCase: Int, settings: CarveMixSettings, seed: UInt64, commandLine: String) throws {
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        guard perCase >= 1 else { throw MedSynthError(.invalidArgument, "--per-case", "is \(perCase); expected at least 1") }
        self.source = source
        caseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !caseIDs.isEmpty else { throw MedSynthError(.invalidArgument, source.path, "has no cases under /cases") }
        self.donors = donors
        donorIDs = try Self.casesWithLesions(in: donors)
        guard !donorIDs.isEmpty else {
            throw MedSynthError(.invalidArgument, donors.path, "has no case with lesions (label >= 10) to transplant; make donors with `medsynth phantom --lesions K` or `medsynth lesions`")
        }
        self.perCase = perCase
        self.settings = settings
        self.seed = seed
        self.commandLine = commandLine
    }

    /// True when the donors are the source dataset itself (a case is then never its own donor).
    var donorsAreSource: Bool { donors.standardizedFileURL.path == source.standardizedFileURL.path }

    /// Makes case `index`: the source case with transplanted lesions.
    /// - Throws: `MedSynthError` naming the dataset and case: no label map, grids or modalities that differ from a
    ///   donor's, unreadable cases.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let id = caseIDs[index]
        let stored = try MedSynthDataset.readCase(id, in: source)
        guard let labels = stored.volume(.label) else {
            throw MedSynthError(.invalidArgument, source.path, "case '\(id)' has no label map (/cases/\(id)/label); CarveMix needs one")
        }
        let old = LesionDatasetBuilder.lesionObjects(stored.provenance?.lesionsJSON)
        var boxes = old.compactMap { ($0 as? [String: Any]).flatMap { LesionDatasetBuilder.box(from: $0["box"]) } }
        var generator = SeededGenerator(seed: seed).split(UInt64(index))
        var candidates = donorIDs.filter { !(donorsAreSource && $0 == id) }
        var chosen: [String] = []
        while chosen.count < perCase && !candidates.isEmpty {
            chosen.append(candidates.remove(at: Int(generator.next() % UInt64(candidates.count))))
        }
        var target = LabelledCase(images: stored.volumes.filter { $0.modality != .label }, labels: labels)
        var records: [LesionRecord] = []
        for donorID in chosen {
            let donorCase = try MedSynthDataset.readCase(donorID, in: donors)
            guard let donorLabels = donorCase.volume(.label) else {
                throw MedSynthError(.invalidArgument, donors.path, "donor case '\(donorID)' has no label map")
            }
            let donor = LabelledCase(images: donorCase.volumes.filter { $0.modality != .label }, labels: donorLabels)
            do {
                guard let (mixed, record) = try CarveMix.transplantIfPlaced(from: donor, into: target, sourceCaseID: donorID,
                                                                          settings: settings, avoiding: boxes, using: &generator) else { continue }
                target = mixed
                boxes.append(record.box)
                var r = record
                r.index = old.count + records.count
                records.append(r)
            } catch let e as MedSynthError {
                throw MedSynthError(e.kind, source.path, "case '\(id)' with donor '\(donorID)' of \(donors.path): \(e.message)")
            }
        }
        let added = try JSONSerialization.jsonObject(with: Data(try ProvenanceJSON.string(records).utf8)) as? [Any] ?? []
        let lesionsData = try JSONSerialization.data(withJSONObject: old + added, options: [.sortedKeys, .withoutEscapingSlashes])
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index, sourceCaseID: id,
            phantomParametersJSON: stored.provenance?.phantomParametersJSON ?? "null",
            lesionsJSON: String(decoding: lesionsData, as: UTF8.self),
            transformsJSON: stored.provenance?.transformsJSON ?? "[]")
        let volumes = stored.volumes.map { v in v.modality == .label ? target.labels : target.images.first { $0.modality == v.modality }! }
        return DatasetCase(id: id, volumes: volumes, provenance: provenance)
    }

    /// The cases of `url` that have lesions: by their `lesions` provenance, or by their label map when they have
    /// no provenance.
    static func casesWithLesions(in url: URL) throws -> [String] {
        try MedSynthDataset.caseIDs(in: url).filter { id in
            if let json = try MedSynthDataset.readProvenance(id, in: url)?.lesionsJSON,
               let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] {
                return !list.isEmpty
            }
            let labels = try? HDF5VolumeStore.read(url, dataset: "/\(MedSynthDataset.casesGroup)/\(id)/label").volume
            return labels?.voxels.contains(where: LesionSubRegion.isLesionLabel) ?? false
        }
    }
}

extension CarveMixDatasetBuilder {
    /// The run configuration (and so the signature) of this builder's dataset: the source, the donors and both case
    /// lists, transplants per case, the allowed target labels and the seed, stored as `storage` says.
    public func runConfiguration(storage: [String: String] = DatasetRunConfiguration.storageValues()) -> DatasetRunConfiguration {
        DatasetRunConfiguration([
            "command": "lesions", "method": "carvemix", "input": source.standardizedFileURL.path,
            "donors": donors.standardizedFileURL.path, "donor_cases": donorIDs.joined(separator: ","),
            "input_cases": caseIDs.joined(separator: ","), "per_case": String(perCase), "seed": String(seed),
            "allowed_labels": settings.allowedTargetLabels.sorted().map(String.init).joined(separator: ","),
        ], storage: storage)
    }
}

import Foundation
import MedCore
import MedIO

/// Makes the cases of a `medsynth lesions` dataset: every case of a MedSynth dataset with lesions blended into
/// its images (`VolumeLesionInserter`) inside the voxels whose label is allowed, its label map updated and
/// its source recorded. Case n draws from `SeededGenerator(seed: seed).split(n)`.
public struct LesionDatasetBuilder: Sendable {
    /// The source dataset.
    public let source: URL
    /// Its case ids, in order.
    public let caseIDs: [String]
    /// The inserter.
    public let inserter: VolumeLesionInserter
    /// Labels of the source label maps where lesions may go.
    public let allowedLabels: Set<Int>
    /// The seed.
    public let seed: UInt64
    /// Lesions per case, or nil to draw from the settings.
    public let perCase: Int?
    /// The command line recorded in provenance.
    public let commandLine: String

    /// Creates a builder.
    /// - Throws: `MedSynthError` when the source cannot be listed, has no cases, or the settings are invalid.
    public init(source: URL, settings: LesionSettings, allowedLabels: Set<Int>, seed: UInt64, perCase: Int?,
                commandLine: String) throws {
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        self.source = source
        caseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !caseIDs.isEmpty else { throw MedSynthError(.invalidArgument, source.path, "has no cases under /cases") }
        inserter = try VolumeLesionInserter(settings: settings)
        self.allowedLabels = allowedLabels
        self.seed = seed
        self.perCase = perCase
        self.commandLine = commandLine
    }

    /// Makes case `index`: the source case with lesions.
    /// - Throws: `MedSynthError` naming the source when the case has no label map or no allowed voxel.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let id = caseIDs[index]
        let stored = try MedSynthDataset.readCase(id, in: source)
        guard let labels = stored.volume(.label) else {
            throw MedSynthError(.invalidArgument, source.path, "case '\(id)' has no label map (/cases/\(id)/label); it is needed to place lesions")
        }
        let images = stored.volumes.filter { $0.modality != .label }
        let mask = VolumeLesionMask.fromLabels(labels, allowed: allowedLabels)
        // The new lesions are appended to the source's own list, and keep clear of those lesions' boxes.
        var lesions: [Any] = []
        if let json = stored.provenance?.lesionsJSON,
           let old = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] { lesions = old }
        let oldBoxes = lesions.compactMap { ($0 as? [String: Any]).flatMap { Self.box(from: $0["box"]) } }
        let result: LesionInsertionResult
        do {
            result = try inserter.insert(into: images, labels: labels, mask: mask,
                                         using: SeededGenerator(seed: seed).split(UInt64(index)), count: perCase,
                                         avoiding: oldBoxes)
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, source.path, "case '\(id)': \(e.subject.map { "\($0): " } ?? "")\(e.message)")
        }
        // Indices continue the source's list.
        let renumbered = result.lesions.enumerated().map { n, record -> LesionRecord in
            var r = record
            r.index = lesions.count + n
            return r
        }
        let added = try JSONSerialization.jsonObject(with: Data(try ProvenanceJSON.string(renumbered).utf8)) as? [Any] ?? []
        let lesionsData = try JSONSerialization.data(withJSONObject: lesions + added, options: [.sortedKeys, .withoutEscapingSlashes])
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index, sourceCaseID: id,
            phantomParametersJSON: stored.provenance?.phantomParametersJSON ?? "null",
            lesionsJSON: String(decoding: lesionsData, as: UTF8.self),
            transformsJSON: stored.provenance?.transformsJSON ?? "[]")
        let volumes = (stored.volumes.map { v in
            v.modality == .label ? result.labels : result.images.first { $0.modality == v.modality }!
        })
        return DatasetCase(id: id, volumes: volumes, provenance: provenance)
    }

    /// A `LesionBox` from its JSON object in a lesion record.
    static func box(from value: Any?) -> LesionBox? {
        guard let object = value as? [String: Any],
              let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return try? JSONDecoder().decode(LesionBox.self, from: data)
    }
}

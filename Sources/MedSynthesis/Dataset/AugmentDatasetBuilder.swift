import Foundation
import MedCore
import MedIO

/// Makes the cases of a `medsynth augment` dataset: each case of a MedSynth dataset augmented `perCase` times
/// by an `AugmentationPipeline`. Output case n is augmentation `n % perCase` of source case `n / perCase`, named
/// `<source-id>_aug<k>`, and draws from `SeededGenerator(seed: seed).split(n)`, so any case can be remade alone
/// (which is what lets an interrupted run resume).
///
/// Provenance: the source case id; the source's transforms followed by this pipeline's record (each entry:
/// step, transform name, drawn parameters); the source's phantom parameters carried over unchanged; the source's
/// lesion records with their geometry measured again on the augmented label map (`AugmentLesionTracking`:
/// labels, voxel count, volume, centroid, box, sub-region counts — a lesion moved off the grid keeps its record
/// with 0 voxels, "nan" centroids and a null box), their `contrast` as measured when they were inserted.
public struct AugmentDatasetBuilder: Sendable {
    /// The source dataset.
    public let source: URL
    /// The source's case ids, in order.
    public let sourceCaseIDs: [String]
    /// The pipeline.
    public let pipeline: AugmentationPipeline
    /// Augmented copies per source case.
    public let perCase: Int
    /// The seed.
    public let seed: UInt64
    /// The command line recorded in provenance.
    public let commandLine: String

    /// Creates a builder.
    /// - Throws: `MedSynthError` when the source cannot be listed or has no cases, or `perCase` / `seed` are
    ///   out of range.
    public init(source: URL, pipeline: AugmentationPipeline, perCase: Int, seed: UInt64, commandLine: String) throws {
        guard perCase >= 1 else { throw MedSynthError(.invalidArgument, "--per-case", "is \(perCase); expected at least 1") }
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        self.source = source
        sourceCaseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !sourceCaseIDs.isEmpty else { throw MedSynthError(.invalidArgument, source.path, "has no cases under /cases") }
        self.pipeline = pipeline
        self.perCase = perCase
        self.seed = seed
        self.commandLine = commandLine
    }

    /// The output case ids, in order: `<source>_aug<k>` for every source case and k in 0..<perCase.
    public var caseIDs: [String] {
        sourceCaseIDs.flatMap { id in (0..<perCase).map { "\(id)_aug\($0)" } }
    }

    /// Makes output case `index`.
    /// - Throws: `MedSynthError` naming the source when its case cannot be read or augmented.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let sourceID = sourceCaseIDs[index / perCase]
        var stored = try MedSynthDataset.readCase(sourceID, in: source)
        let modalities = stored.volumes.map(\.modality)
        var augmented: AugmentationCase
        do {
            let images = stored.volumes.filter { $0.modality != .label }
            augmented = try AugmentationCase(images: images.reduce(into: [:]) { $0[$1.modality.rawValue] = $1 },
                                             labels: stored.volume(.label))
        }
        stored.volumes = []   // the case's arrays are now held by `augmented` alone: the pipeline changes them in place
        // The recorded lesions travel through the pipeline as marks in the label map.
        var lesions = LesionDatasetBuilder.lesionObjects(stored.provenance?.lesionsJSON)
        let grid = augmented.geometry.shape
        let tracked = augmented.labels != nil && !lesions.isEmpty && lesions.count <= AugmentLesionTracking.maximumRecords
        let margins = tracked ? augmented.modifyLabelVoxels { voxels in
            AugmentLesionTracking.mark(&voxels, grid: grid, boxes: lesions.map { ($0 as? [String: Any]).flatMap { LesionDatasetBuilder.box(from: $0["box"]) } })
        } : []
        var generator = SeededGenerator(seed: seed).split(UInt64(index))
        let record: AugmentationRecord
        do {
            record = try pipeline.applyInPlace(to: &augmented, using: &generator)
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, source.path, "case '\(sourceID)': \(e.subject.map { "\($0): " } ?? "")\(e.message)")
        }
        if tracked {
            let measured = augmented.modifyLabelVoxels { AugmentLesionTracking.unmark(&$0, grid: grid, count: lesions.count) }
            let affine = augmented.labels!.affine
            lesions = lesions.enumerated().map { n, entry in
                guard let object = entry as? [String: Any], margins[n] != nil else { return entry }
                return AugmentLesionTracking.remeasured(object, measured[n], margins: margins[n], grid: grid, affine: affine)
            }
        }
        let lesionsData = try JSONSerialization.data(withJSONObject: lesions, options: [.sortedKeys, .withoutEscapingSlashes])
        // The source's transforms (if it was augmented before) followed by this run's.
        var transforms: [Any] = []
        if let json = stored.provenance?.transformsJSON,
           let old = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] { transforms = old }
        let added = try JSONSerialization.jsonObject(with: Data(try ProvenanceJSON.string(record.applied).utf8)) as? [Any] ?? []
        let transformsData = try JSONSerialization.data(withJSONObject: transforms + added, options: [.sortedKeys, .withoutEscapingSlashes])
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index, sourceCaseID: sourceID,
            phantomParametersJSON: stored.provenance?.phantomParametersJSON ?? "null",
            lesionsJSON: String(decoding: lesionsData, as: UTF8.self),
            transformsJSON: String(decoding: transformsData, as: UTF8.self))
        let volumes = modalities.map { m in m == .label ? augmented.labels! : augmented.images[m.rawValue]! }
        return DatasetCase(id: caseIDs[index], volumes: volumes, provenance: provenance)
    }
}

extension AugmentDatasetBuilder {
    /// The run configuration (and so the signature) of this builder's dataset: the source and its cases, the
    /// pipeline's text (its content, not its path: an edited pipeline is another dataset), copies per case and
    /// the seed, stored as `storage` says.
    /// - Parameter pipelineYAML: the text `pipeline` was parsed from.
    public func runConfiguration(pipelineYAML: String,
                                 storage: [String: String] = DatasetRunConfiguration.storageValues()) -> DatasetRunConfiguration {
        DatasetRunConfiguration([
            "command": "augment", "input": source.standardizedFileURL.path, "per_case": String(perCase),
            "seed": String(seed), "pipeline_yaml": pipelineYAML, "input_cases": sourceCaseIDs.joined(separator: ","),
        ], storage: storage)
    }
}

import Foundation
import MedCore
import MedIO

/// Makes SynthSeg-style domain-randomised copies of a MedSynth dataset's cases: each source case's label map,
/// kept as it is, with `perCase` sets of new images drawn from it by `DomainRandomisation` (random per-label
/// intensities, resolution, bias and contrast), one image per requested modality slot.
///
/// Output case n is copy `n % perCase` of source case `n / perCase`, named `<source-id>_dr<k>`. Its classes are
/// the label map's distinct values, ascending, each its own class (`label N`); image slot s of case n draws from
/// `SeededGenerator(seed: seed).split(n).split(SeedStream.domainRandomisation).split(s)` (the stream layout of
/// `LabelMapDatasetBuilder`), so any case can be remade alone and an interrupted run resumes to the same bytes.
/// The images are unit-less (0…1, unit `arbitrary`), stored under the slot's modality: a FLAIR slot holds a
/// random contrast, not a FLAIR.
///
/// Provenance: the source case id; the source's phantom parameters and lesion records carried over (the label
/// map, which they describe, is unchanged); the source's transforms followed by one `domain_randomisation` record
/// per image (`name`, `parameters`: the drawn `DomainRandomisation.Parameters`).
public struct DomainRandomisedCopiesBuilder: Sendable {
    /// The source dataset.
    public let source: URL
    /// The source's case ids, in order.
    public let sourceCaseIDs: [String]
    /// Copies per source case.
    public let perCase: Int
    /// The image slots of every copy, in order (stored after the label map).
    public let modalities: [Modality]
    /// The seed.
    public let seed: UInt64
    /// The ranges the images are drawn from.
    public let randomisation: DomainRandomisation
    /// The command line recorded in provenance.
    public let commandLine: String

    /// Creates a builder (lists the source's cases; reads no voxels).
    /// - Parameters:
    ///   - source: a MedSynth dataset whose cases hold label maps.
    ///   - perCase: copies per source case (≥ 1).
    ///   - modalities: the image slots to render, e.g. `[.flair]`: distinct, not `label`.
    ///   - seed: the dataset seed (≤ `Int64.max`, stored as int64).
    ///   - randomisation: the ranges of the draws.
    ///   - commandLine: recorded in provenance.
    /// - Throws: `MedSynthError` naming the argument (`--per-case`, `--seed`, `--modalities`,
    ///   `domainRandomisation.<field>`) or the source file (missing, unreadable, not a dataset, no cases).
    public init(source: URL, perCase: Int, modalities: [Modality], seed: UInt64,
                randomisation: DomainRandomisation = DomainRandomisation(), commandLine: String) throws {
        guard perCase >= 1 else { throw MedSynthError(.invalidArgument, "--per-case", "is \(perCase); expected at least 1") }
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        guard !modalities.isEmpty else {
            throw MedSynthError(.invalidArgument, "--modalities", "is empty; expected at least one image slot (e.g. FLAIR)")
        }
        guard !modalities.contains(.label) else {
            throw MedSynthError(.invalidArgument, "--modalities", "is \(modalities.map(\.rawValue)); 'label' is the label map's slot, expected image modalities")
        }
        guard Set(modalities.map(HDF5VolumeStore.datasetName)).count == modalities.count else {
            throw MedSynthError(.invalidArgument, "--modalities", "is \(modalities.map(\.rawValue)); expected each modality once")
        }
        try randomisation.validate()
        sourceCaseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !sourceCaseIDs.isEmpty else { throw MedSynthError(.invalidArgument, source.path, "has no cases under /cases; expected a MedSynth dataset with label maps") }
        self.source = source
        self.perCase = perCase
        self.modalities = modalities
        self.seed = seed
        self.randomisation = randomisation
        self.commandLine = commandLine
    }

    /// The output case ids, in order: `<source>_dr<k>` for every source case and k in 0..<perCase.
    public var caseIDs: [String] {
        sourceCaseIDs.flatMap { id in (0..<perCase).map { "\(id)_dr\($0)" } }
    }

    /// Makes output case `index`: the source's label map and one domain-randomised image per slot.
    /// - Throws: `MedSynthError` naming the source: `.notFound` when the source case has no label map,
    ///   `.corrupt` for label values that are not finite integers, read errors.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let sourceID = sourceCaseIDs[index / perCase]
        let labels = try readLabelMap(sourceID)
        let classes = try Self.classes(of: labels.voxels, subject: source.path, caseID: sourceID)
        let stream = SeededGenerator(seed: seed).split(UInt64(index)).split(SeedStream.domainRandomisation)
        let spacing = labels.spacingMM
        var volumes = [labels]
        var records: [Any] = []
        for (n, slot) in modalities.enumerated() {
            var g = stream.split(UInt64(n))
            let p = randomisation.draw(slot: slot.rawValue, classes: classes.names, using: &g)
            let image = DomainRandomisation.render(p, classIndex: classes.index, shape: labels.shape, spacingMM: spacing)
            volumes.append(Volume(shape: labels.shape, voxels: image, affine: labels.affine, modality: slot, unit: .arbitrary))
            records.append(["name": "domain_randomisation", "parameters": try JSONSerialization.jsonObject(with: JSONEncoder().encode(p))])
        }
        let stored = try MedSynthDataset.readProvenance(sourceID, in: source)
        // The source's transforms (if it was augmented or randomised before) followed by this run's.
        var transforms: [Any] = []
        if let json = stored?.transformsJSON,
           let old = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] { transforms = old }
        let transformsData = try JSONSerialization.data(withJSONObject: transforms + records, options: [.sortedKeys, .withoutEscapingSlashes])
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index, sourceCaseID: sourceID,
            phantomParametersJSON: stored?.phantomParametersJSON ?? "null", lesionsJSON: stored?.lesionsJSON ?? "[]",
            transformsJSON: String(decoding: transformsData, as: UTF8.self))
        return DatasetCase(id: caseIDs[index], volumes: volumes, provenance: provenance)
    }

    /// The label map of source case `id`.
    /// - Throws: `MedSynthError(.notFound)` naming the source when the case has none; read errors.
    private func readLabelMap(_ id: String) throws -> Volume {
        let path = HDF5VolumeStore.datasetPath(caseID: id, modality: .label)
        do {
            let file = try HDF5File.open(source)
            guard file.root.kind(at: path) == .dataset else {
                throw MedSynthError(.notFound, source.path, "case '\(id)' has no label map (\(path)); domain-randomised copies are drawn from a label map")
            }
        }
        var labels = try HDF5VolumeStore.read(source, dataset: path).volume
        labels.modality = .label
        labels.unit = .label
        return labels
    }

    /// The classes of a label map: its distinct values ascending, named `label N`, and each voxel's class.
    /// - Throws: `MedSynthError(.corrupt)` naming `subject` and the case for a value that is not a finite integer.
    static func classes(of labels: [Float], subject: String, caseID: String) throws -> (names: [String], index: [Int32]) {
        var lowest = Int.max, highest = Int.min
        for (n, v) in labels.enumerated() {
            guard v.isFinite, v.rounded() == v, abs(v) < 0x1p31 else {
                throw MedSynthError(.corrupt, subject, "case '\(caseID)': the label map holds \(v) at voxel \(n); expected integer labels")
            }
            lowest = min(lowest, Int(v))
            highest = max(highest, Int(v))
        }
        guard lowest <= highest else { return ([], []) }
        // A table over the value range when it is small (label maps: 0…a few thousand), else a dictionary.
        if highest - lowest < 1 << 20 {
            var table = [Int32](repeating: -1, count: highest - lowest + 1)
            for v in labels { table[Int(v) - lowest] = 0 }
            var names: [String] = []
            for (offset, seen) in table.enumerated() where seen == 0 {
                table[offset] = Int32(names.count)
                names.append("label \(offset + lowest)")
            }
            return (names, labels.map { table[Int($0) - lowest] })
        }
        let values = Set(labels).sorted()
        var position: [Float: Int32] = [:]
        for (n, v) in values.enumerated() { position[v] = Int32(n) }
        return (values.map { "label \(Int($0))" }, labels.map { position[$0] ?? 0 })
    }
}

extension DomainRandomisedCopiesBuilder {
    /// The run configuration (and so the signature) of this builder's dataset: the source and its cases, copies
    /// per case, the slots, the seed and the randomisation ranges, stored as `storage` says.
    public func runConfiguration(storage: [String: String] = DatasetRunConfiguration.storageValues()) -> DatasetRunConfiguration {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let ranges = (try? encoder.encode(randomisation)).map { String(decoding: $0, as: UTF8.self) } ?? "\(randomisation)"
        return DatasetRunConfiguration([
            "command": "domain_randomised_copies", "input": source.standardizedFileURL.path, "per_case": String(perCase),
            "modalities": modalities.map(\.rawValue).joined(separator: ","), "seed": String(seed),
            "domain_randomisation": ranges, "input_cases": sourceCaseIDs.joined(separator: ","),
        ], storage: storage)
    }
}

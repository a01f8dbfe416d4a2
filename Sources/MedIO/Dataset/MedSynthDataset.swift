import Foundation
import MedCore

/// The MedSynth dataset format (docs/DATASET_FORMAT.md): the `/cases/<id>/<modality>` volume layout of
/// `HDF5VolumeStore`, plus run attributes on the root group and provenance attributes on each case group.
/// `MedSynthDatasetWriter` writes it; these functions read it.
public enum MedSynthDataset {
    /// The root attribute `format`.
    public static let formatName = "medsynth-dataset"
    /// The root attribute `format_version`; bumped when the layout changes incompatibly.
    public static let formatVersion = 1
    /// The group that holds one group per case.
    public static let casesGroup = HDF5VolumeStore.casesGroup

    /// A case read back: its volumes (in dataset-name order) and its provenance, nil for files that have none
    /// (written by `medsynth convert` or `medsynth demo`).
    public struct StoredCase: Sendable {
        /// The case name under `/cases/`.
        public var id: String
        /// Every volume dataset of the case, sorted by dataset name.
        public var volumes: [Volume]
        /// The provenance attributes, if the case has them.
        public var provenance: CaseProvenance?

        /// The volume of `modality`, if the case has one.
        public func volume(_ modality: Modality) -> Volume? { volumes.first { $0.modality == modality } }
    }

    /// The case ids under `/cases`, sorted.
    /// - Throws: `MedSynthError` naming `url` (`.notFound`, `.corrupt` as `HDF5File.open`; `.unsupported` when
    ///   the file has no `/cases` group).
    public static func caseIDs(in url: URL) throws -> [String] {
        let file = try HDF5File.open(url)
        guard file.root.kind(at: casesGroup) == .group else {
            throw MedSynthError(.unsupported, url.path, "has no /\(casesGroup) group; expected a MedSynth dataset (docs/DATASET_FORMAT.md)")
        }
        return try file.root.group(casesGroup).children().filter { $0.kind == .group }.map(\.name).sorted()
    }

    /// Reads every volume and the provenance of case `id`.
    /// - Throws: `MedSynthError` naming `url`: `.notFound` (no such case), errors of `HDF5VolumeStore.read`.
    public static func readCase(_ id: String, in url: URL) throws -> StoredCase {
        let provenance: CaseProvenance?
        let names: [String]
        do {
            let file = try HDF5File.open(url)
            let path = "/\(casesGroup)/\(id)"
            guard file.root.kind(at: path) == .group else {
                throw MedSynthError(.notFound, url.path, "has no case '\(id)' (no group \(path))")
            }
            let group = try file.root.group(path)
            provenance = try CaseProvenance.read(from: group)
            names = try group.children().filter { $0.kind == .dataset }.map(\.name).sorted()
        }
        let volumes = try names.map { try HDF5VolumeStore.read(url, dataset: "/\(casesGroup)/\(id)/\($0)").volume }
        return StoredCase(id: id, volumes: volumes, provenance: provenance)
    }

    /// The provenance attributes of case `id` without reading its voxels; nil when the case has none.
    /// - Throws: `MedSynthError` naming `url`: `.notFound` (no such case), `.corrupt` (partial provenance).
    public static func readProvenance(_ id: String, in url: URL) throws -> CaseProvenance? {
        let file = try HDF5File.open(url)
        let path = "/\(casesGroup)/\(id)"
        guard file.root.kind(at: path) == .group else {
            throw MedSynthError(.notFound, url.path, "has no case '\(id)' (no group \(path))")
        }
        return try CaseProvenance.read(from: try file.root.group(path))
    }

    /// The root's run configuration, nil when the file has none (not written by `MedSynthDatasetWriter`).
    /// - Throws: `MedSynthError` naming `url` as `HDF5File.open`.
    public static func runConfiguration(of url: URL) throws -> DatasetRunConfiguration? {
        let file = try HDF5File.open(url)
        return try file.root.attributes.string("run_configuration").flatMap(DatasetRunConfiguration.parse)
    }
}

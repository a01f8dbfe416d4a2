import Foundation
import MedCore

/// A set of named cases read from one path: a single image file (one case named after the file), a folder of
/// image files (one case per file, named by file stem), or a MedSynth HDF5 file (`/cases/<id>/<modality>`).
/// Used to pair predictions with references by case id.
public struct CaseCollection: Sendable {
    /// Where one case's volume lives.
    public struct Entry: Sendable, Equatable {
        /// The case id (file stem, or the HDF5 case group name).
        public var caseID: String
        /// The file.
        public var file: URL
        /// The HDF5 dataset path, for HDF5 entries.
        public var dataset: String?
    }

    /// The entries, sorted by case id.
    public let entries: [Entry]
    /// The path the collection was read from.
    public let source: String

    /// Lists the cases at `url`.
    /// - Parameters:
    ///   - url: a file or a folder.
    ///   - modality: for HDF5 files, the dataset name under each case (`CT`, `T1`, `label`…); may be omitted when
    ///     every case has exactly one dataset.
    /// - Throws: `MedSynthError` naming the path when it is missing, holds no images, or is ambiguous.
    public init(_ url: URL, modality: String? = nil) throws {
        source = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw MedSynthError(.notFound, url.path, "no such file or folder")
        }
        if isDir.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            let files = names.filter { FileFormatDetector.formatFromName(URL(fileURLWithPath: $0)) != nil && !$0.hasPrefix(".") }
            guard !files.isEmpty else {
                throw MedSynthError(.notFound, url.path, "folder holds no .png, .nii, .nii.gz or .h5 files")
            }
            var seen: [String: String] = [:]
            var list: [Entry] = []
            for name in files {
                let file = url.appendingPathComponent(name)
                let id = VolumeIO.stem(of: file)
                if let other = seen[id] {
                    throw MedSynthError(.invalidArgument, url.path, "two files give case id '\(id)': \(other) and \(name)")
                }
                seen[id] = name
                list.append(Entry(caseID: id, file: file, dataset: nil))
            }
            entries = list
            return
        }
        if try FileFormatDetector.detect(url) == .hdf5 {
            entries = try CaseCollection.hdf5Entries(url, modality: modality)
        } else {
            entries = [Entry(caseID: VolumeIO.stem(of: url), file: url, dataset: nil)]
        }
    }

    private static func hdf5Entries(_ url: URL, modality: String?) throws -> [Entry] {
        let prefix = "/\(HDF5VolumeStore.casesGroup)/"
        let paths = try HDF5VolumeStore.datasetPaths(in: url).filter { $0.hasPrefix(prefix) }
        var byCase: [String: [String]] = [:]
        for p in paths {
            let parts = p.dropFirst(prefix.count).split(separator: "/")
            guard parts.count == 2 else { continue }
            byCase[String(parts[0]), default: []].append(String(parts[1]))
        }
        guard !byCase.isEmpty else {
            throw MedSynthError(.unsupported, url.path, "holds no /cases/<id>/<modality> datasets (MedSynth layout, docs/DATASET_FORMAT.md)")
        }
        var list: [Entry] = []
        for id in byCase.keys.sorted() {
            let names = byCase[id]!.sorted()
            let chosen: String
            if let modality {
                guard let m = names.first(where: { $0.lowercased() == modality.lowercased() }) else {
                    throw MedSynthError(.notFound, url.path, "case '\(id)' has no '\(modality)' dataset (it has \(names.joined(separator: ", ")))")
                }
                chosen = m
            } else {
                guard names.count == 1 else {
                    throw MedSynthError(.invalidArgument, url.path, "case '\(id)' holds \(names.joined(separator: ", ")); choose one with --modality")
                }
                chosen = names[0]
            }
            list.append(Entry(caseID: id, file: url, dataset: prefix + id + "/" + chosen))
        }
        return list
    }

    /// Reads one entry's volume.
    /// - Throws: `MedSynthError` naming the file.
    public func load(_ entry: Entry) throws -> LoadedVolume {
        try VolumeIO.read(entry.file, dataset: entry.dataset)
    }

    /// A readable name of an entry for messages: `file` or `file[dataset]`.
    public static func describe(_ entry: Entry) -> String {
        entry.dataset.map { "\(entry.file.path)[\($0)]" } ?? entry.file.path
    }
}

import Foundation
import MedCore

/// Volumes in HDF5 files: the layout `medsynth convert` and `medsynth demo` write, and the reader for any 2D/3D
/// numeric dataset.
///
/// Layout (readable with h5py alone):
///
/// ```
/// /                              attribute medsynth_version (string)
/// /cases/<caseID>/<modality>     float32 dataset, shape (depth, height, width), C order
/// ```
///
/// - `<modality>` is the modality's raw value (`CT`, `T1`, `T2`, `FLAIR`, `PET`, `label`), or `image` for
///   `.unknown`.
/// - The voxels are exactly `Volume.voxels` (width fastest), so `f[path][()].transpose(2, 1, 0)` equals nibabel's
///   `get_fdata()` of the same volume written as NIfTI.
/// - Storage: chunked one slice per chunk, `(1, height, width)`, so one slice reads without the rest;
///   shuffle + deflate (level 4 by default; no filters when the level is nil).
/// - Attributes on each dataset: `modality` (string, the raw value, "unknown" for `image`), `unit` (string:
///   `HU`, `SUV`, `arbitrary`, `label`), `spacing_mm` (float64[3] in dataset axis order: depth, height, width,
///   i.e. z, y, x), `affine` (float64[16], row-major 4×4 mapping voxel (i = width index, j = height index,
///   k = depth index, 1) to world millimetres, RAS+, as NIfTI's sform), `medsynth_version` (string).
///   Strings are variable-length UTF-8 (h5py gives `str`).
///
/// Reading accepts any numeric 2D (read as depth 1) or 3D dataset anywhere in any HDF5 file, converting the
/// stored type to Float32. Missing attributes default to modality unknown, the modality's unit, and a 1 mm
/// identity affine (or a diagonal one from `spacing_mm` alone); the defaults taken are listed in
/// `LoadedVolume.notes`.
public enum HDF5VolumeStore {
    /// The group holding one group per case.
    public static let casesGroup = "cases"
    /// The dataset name used for `Modality.unknown`.
    public static let unknownModalityName = "image"
    /// The default gzip level.
    public static let defaultDeflateLevel = 4

    /// The dataset name for a modality: its raw value, or "image" for `.unknown`.
    public static func datasetName(for modality: Modality) -> String {
        modality == .unknown ? unknownModalityName : modality.rawValue
    }

    /// The dataset path for a case and modality, e.g. "/cases/brain01/CT".
    public static func datasetPath(caseID: String, modality: Modality) -> String {
        "/\(casesGroup)/\(caseID)/\(datasetName(for: modality))"
    }

    // MARK: - Writing

    /// Writes volumes into a new HDF5 file, atomically: the file appears complete or not at all.
    ///
    /// - Parameters:
    ///   - volumes: the cases; one dataset each at `/cases/<caseID>/<modality>`. Several modalities may share a
    ///     case ID; a (case ID, modality) pair may not repeat.
    ///   - url: the output file (replaced if it exists); its folder must exist and be writable.
    ///   - deflateLevel: gzip level 0…9 (with shuffle), nil to store uncompressed.
    /// - Throws: `MedSynthError` naming `url`: `.invalidArgument` (empty list, bad case ID or level, repeated
    ///   pair), `.writeFailed` (folder missing or not writable, HDF5 failure). Nothing is left behind on failure.
    public static func write(_ volumes: [(caseID: String, volume: Volume)], to url: URL,
                             deflateLevel: Int? = defaultDeflateLevel) throws {
        guard !volumes.isEmpty else { throw MedSynthError(.invalidArgument, url.path, "no volumes to write") }
        if let level = deflateLevel, !(0...9).contains(level) {
            throw MedSynthError(.invalidArgument, url.path, "deflate level \(level) is outside 0…9")
        }
        var paths = Set<String>()
        for (caseID, volume) in volumes {
            try validateCaseID(caseID, file: url.path)
            let path = datasetPath(caseID: caseID, modality: volume.modality)
            guard paths.insert(path).inserted else {
                throw MedSynthError(.invalidArgument, url.path, "case '\(caseID)' has two \(volume.modality.rawValue) volumes (both would be '\(path)')")
            }
        }
        try AtomicFile.write(to: url) { temporary in
            let file = try HDF5File.create(temporary, overwrite: true, displayPath: url.path)
            try file.root.attributes.set("medsynth_version", MedSynthVersion.string)
            for (caseID, volume) in volumes {
                try writeVolume(volume, caseID: caseID, in: file, deflateLevel: deflateLevel)
            }
            // The rename must see a complete file: every object closed, the file itself closed.
            try file.closeCompletely()
        }
    }

    /// Case IDs become group names: not empty, no "/", not "." or "..".
    private static func validateCaseID(_ caseID: String, file: String) throws {
        if caseID.isEmpty || caseID.contains("/") || caseID == "." || caseID == ".." || caseID.contains("\0") {
            throw MedSynthError(.invalidArgument, file, "case ID '\(caseID)' cannot be a group name; use letters, digits, '-', '_' or '.'")
        }
    }

    private static func writeVolume(_ volume: Volume, caseID: String, in file: HDF5File, deflateLevel: Int?) throws {
        let s = volume.shape
        let dataset = try file.root.createDataset(
            datasetPath(caseID: caseID, modality: volume.modality), elementType: .float32,
            shape: [s.depth, s.height, s.width], chunkShape: [1, s.height, s.width],
            shuffle: deflateLevel != nil, deflateLevel: deflateLevel)
        try dataset.write(volume.voxels)
        let spacing = volume.spacingMM
        try dataset.attributes.set("modality", volume.modality.rawValue)
        try dataset.attributes.set("unit", volume.unit.rawValue)
        try dataset.attributes.set("spacing_mm", [spacing.z, spacing.y, spacing.x])
        try dataset.attributes.set("affine", volume.affine.rowMajor)
        try dataset.attributes.set("medsynth_version", MedSynthVersion.string)
    }

    // MARK: - Reading

    /// The paths of every numeric 2D or 3D dataset in the file (anywhere, not only under `/cases`), sorted.
    /// - Throws: `MedSynthError` naming `url` (`.notFound`, `.corrupt`…, as `HDF5File.open`).
    public static func datasetPaths(in url: URL) throws -> [String] {
        let file = try HDF5File.open(url)
        return try volumeDatasetPaths(file)
    }

    private static func volumeDatasetPaths(_ file: HDF5File) throws -> [String] {
        var paths: [String] = []
        for node in try file.root.descendants() where node.kind == .dataset {
            guard let ds = try? file.root.dataset(node.path) else { continue }
            if ds.elementType.isNumeric && (ds.shape.count == 2 || ds.shape.count == 3) { paths.append(node.path) }
        }
        return paths.sorted()
    }

    /// Reads one dataset as a volume.
    ///
    /// - Parameters:
    ///   - url: any HDF5 file.
    ///   - path: a numeric 2D (height, width) or 3D (depth, height, width) dataset.
    ///   - slices: read only these slices (depth indices), without reading the rest; the affine is shifted so
    ///     they stay where they were. Nil reads the whole volume.
    /// - Returns: the volume with `format` `.hdf5` and the stored element type name.
    /// - Throws: `MedSynthError` naming `url` and the dataset: `.notFound` (no such dataset; the message lists
    ///   the volume datasets there are), `.unsupported` (not numeric, not 2D/3D — the shape is quoted),
    ///   `.tooLarge`, `.corrupt` (bad `affine`/`spacing_mm` attributes, read errors), `.invalidArgument`
    ///   (slices outside the depth).
    public static func read(_ url: URL, dataset path: String, slices: Range<Int>? = nil) throws -> LoadedVolume {
        let file = try HDF5File.open(url)
        let dataset: HDF5Dataset
        do {
            dataset = try file.root.dataset(path)
        } catch let error as MedSynthError where error.kind == .notFound {
            let available = (try? volumeDatasetPaths(file)) ?? []
            let list = available.isEmpty ? "the file has no 2D/3D numeric datasets"
                : "2D/3D numeric datasets: " + available.prefix(10).joined(separator: ", ") + (available.count > 10 ? ", …" : "")
            throw MedSynthError(.notFound, url.path, "\(error.message); \(list)")
        }
        let subject = "dataset '\(dataset.path)'"
        guard dataset.elementType.isNumeric, dataset.shape.count == 2 || dataset.shape.count == 3 else {
            throw MedSynthError(.unsupported, url.path,
                                "\(subject) is \(dataset.elementType.name) with shape \(dataset.shape); expected a numeric 2D (height, width) or 3D (depth, height, width) dataset")
        }
        let extents = dataset.shape.count == 2 ? [1] + dataset.shape : dataset.shape
        let full: VolumeShape
        do {
            full = try VolumeShape.validated(depth: extents[0], height: extents[1], width: extents[2], file: url.path)
        } catch let error as MedSynthError {
            throw MedSynthError(error.kind, url.path, "\(subject): \(error.message)")
        }
        let range = slices ?? 0..<full.depth
        guard range.lowerBound >= 0, range.upperBound <= full.depth, !range.isEmpty else {
            throw MedSynthError(.invalidArgument, url.path, "\(subject): slices \(range) are outside 0..<\(full.depth)")
        }
        let shape = VolumeShape(depth: range.count, height: full.height, width: full.width)
        let voxels: [Float]
        if range == 0..<full.depth {
            voxels = try dataset.read(as: Float.self)
        } else {
            let start = dataset.shape.count == 2 ? [0, 0] : [range.lowerBound, 0, 0]
            let count = dataset.shape.count == 2 ? dataset.shape : [range.count, full.height, full.width]
            voxels = try dataset.read(start: start, count: count, as: Float.self)
        }
        var notes: [String] = []
        let modality = try HDF5VolumeStore.modality(of: dataset, notes: &notes)
        let unit = try HDF5VolumeStore.unit(of: dataset, modality: modality, notes: &notes)
        var affine = try HDF5VolumeStore.affine(of: dataset, file: url.path, notes: &notes)
        if range.lowerBound > 0 { affine = affine.shifted(byVoxels: SIMD3(0, 0, Double(range.lowerBound))) }
        let volume = Volume(shape: shape, voxels: voxels, affine: affine, modality: modality, unit: unit)
        return LoadedVolume(volume: volume, format: .hdf5, storedDataType: dataset.elementType.name, notes: notes)
    }

    private static func modality(of dataset: HDF5Dataset, notes: inout [String]) throws -> Modality {
        guard let value = try dataset.attributes.value("modality") else { return .unknown }
        guard case .string(let name) = value else {
            notes.append("ignored attribute modality = \(value) (expected a string)")
            return .unknown
        }
        if name == unknownModalityName { return .unknown }
        guard let m = Modality(contrastName: name) else {
            notes.append("unknown modality \"\(name)\" read as unknown")
            return .unknown
        }
        return m
    }

    private static func unit(of dataset: HDF5Dataset, modality: Modality, notes: inout [String]) throws -> IntensityUnit {
        guard let value = try dataset.attributes.value("unit") else { return modality.defaultUnit }
        guard case .string(let name) = value, let unit = IntensityUnit(name: name) else {
            notes.append("ignored attribute unit = \(value); assumed \(modality.defaultUnit.rawValue)")
            return modality.defaultUnit
        }
        return unit
    }

    /// The affine from `affine`, else a diagonal one from `spacing_mm`, else the identity (with a note).
    private static func affine(of dataset: HDF5Dataset, file: String, notes: inout [String]) throws -> Affine {
        let rank = dataset.shape.count
        func attribute(_ name: String) throws -> [Double]? {
            do { return try dataset.attributes.doubles(name) } catch let error as MedSynthError where error.kind == .mismatch {
                throw MedSynthError(.corrupt, file, error.message)
            }
        }
        let spacing = try attribute("spacing_mm")
        var spacingXYZ: SIMD3<Double>? = nil
        if let s = spacing {
            guard (s.count == rank || (rank == 2 && s.count == 3)), s.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw MedSynthError(.corrupt, file, "dataset '\(dataset.path)': attribute spacing_mm = \(s); expected \(rank) positive values in dataset axis order (\(rank == 3 ? "z, y, x" : "y, x"))")
            }
            spacingXYZ = SIMD3(s[s.count - 1], s[s.count - 2], s.count == 3 ? s[0] : 1)
        }
        if let a = try attribute("affine") {
            guard a.count == 16, a.allSatisfy({ $0.isFinite }) else {
                throw MedSynthError(.corrupt, file, "dataset '\(dataset.path)': attribute affine has \(a.count) values\(a.allSatisfy { $0.isFinite } ? "" : " (some not finite)"); expected 16 finite values, a row-major 4x4 matrix")
            }
            let affine = Affine(rowMajor: a)
            if let s = spacingXYZ, !Affine(spacingMM: affine.columnLengthsMM).isClose(to: Affine(spacingMM: s), tolerance: 1e-3) {
                notes.append("spacing_mm \(spacing ?? []) disagrees with the affine's voxel size; the affine was used")
            }
            return affine
        }
        if let s = spacingXYZ { return Affine(spacingMM: s) }
        notes.append("no spacing_mm or affine attribute: assumed 1 mm voxels and an identity affine")
        return .identity
    }

    // MARK: - Listing

    /// Every group and dataset in the file, root first, depth-first in name order, with shape, element type,
    /// chunking, filters and attributes — what `medsynth info` prints.
    /// - Throws: `MedSynthError` naming `url`.
    public static func tree(of url: URL) throws -> [HDF5NodeInfo] {
        let file = try HDF5File.open(url)
        var nodes = [HDF5NodeInfo(path: "/", kind: .group, attributes: summaries(file.root.attributes))]
        for node in try file.root.descendants() {
            switch node.kind {
            case .group:
                let group = try file.root.group(node.path)
                nodes.append(HDF5NodeInfo(path: node.path, kind: .group, attributes: summaries(group.attributes)))
            case .dataset:
                let ds = try file.root.dataset(node.path)
                nodes.append(HDF5NodeInfo(path: node.path, kind: .dataset, shape: ds.shape, elementType: ds.elementType.name,
                                          chunkShape: ds.chunkShape, filters: ds.filters, attributes: summaries(ds.attributes)))
            case .other:
                nodes.append(HDF5NodeInfo(path: node.path, kind: .other))
            }
        }
        return nodes
    }

    /// Attribute names with short values; an attribute that cannot be read shows why instead of failing the listing.
    private static func summaries(_ attributes: HDF5Attributes) -> [HDF5NodeInfo.Attribute] {
        let names = (try? attributes.names()) ?? []
        return names.map { name in
            do {
                return HDF5NodeInfo.Attribute(name: name, value: try attributes.value(name)?.description ?? "<missing>")
            } catch let error as MedSynthError {
                return HDF5NodeInfo.Attribute(name: name, value: "<unreadable: \(error.message)>")
            } catch {
                return HDF5NodeInfo.Attribute(name: name, value: "<unreadable>")
            }
        }
    }
}

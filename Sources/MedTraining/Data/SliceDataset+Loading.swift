import Foundation
import MedCore
import MedIO

/// One case as listed in its file (nothing read but names and provenance).
struct CaseListing {
    /// The index of its file in `SliceDataset.files`.
    var fileIndex: Int
    /// The case under `/cases/`.
    var caseID: String
    /// The dataset names in the case group, sorted (`CT`, `FLAIR`, `label`, …).
    var datasetNames: [String]
    /// Its `source_case_id` attribute, "" when absent or empty.
    var sourceCaseID: String
}

/// A case's two volumes, normalised and kept in memory for the whole run, with which slices are usable.
struct CachedCase {
    var fileIndex: Int
    var caseID: String
    /// Modality A's voxels, normalised to [−1, 1], [depth][height][width].
    var voxelsA: [Float]
    /// Modality B's voxels, normalised.
    var voxelsB: [Float]
    var shapeA: VolumeShape
    var shapeB: VolumeShape
    var affineA: Affine
    var affineB: Affine
    var mappingA: IntensityMapping
    var mappingB: IntensityMapping
    /// The slices of A with enough foreground (all slices when filtering is off), ascending.
    var eligibleA: [Int]
    /// The slices of B with enough foreground; equal to `eligibleA` in paired mode.
    var eligibleB: [Int]
    /// Held-out cases with a label map: label > 0 (the head), [depth][height][width] on A's grid; nil otherwise.
    /// Validation metrics are computed inside it.
    var headMask: [Bool]? = nil
    /// Training cases of a dataset that carries label maps: the label values, [depth][height][width] on A's
    /// grid; nil otherwise.
    var labels: [Float]? = nil

    /// Bytes held (both volumes and a carried label map, Float32).
    var byteCount: Int { (voxelsA.count + voxelsB.count + (labels?.count ?? 0)) * MemoryLayout<Float>.size }
}

extension SliceDataset {
    /// Lists the cases of every file and checks each holds what the options need.
    /// - Parameter labelMapsRequiredBy: the setting that needs every case's label map (nil: none does).
    /// - Throws: `MedSynthError` naming the file: `.invalidArgument` (no files, a file listed twice), errors of
    ///   `MedSynthDataset.caseIDs`, `.notFound` (no cases; a case without modality A, B or — for label
    ///   foreground or `labelMapsRequiredBy` — `label`, listing the modalities it has).
    static func listCases(_ files: [URL], options: SliceDatasetOptions,
                          labelMapsRequiredBy: String? = nil) throws -> [CaseListing] {
        guard !files.isEmpty else {
            throw MedSynthError(.invalidArgument, "files", "no dataset files given; expected one or more MedSynth HDF5 datasets")
        }
        var listings: [CaseListing] = []
        let nameA = HDF5VolumeStore.datasetName(for: options.modalityA)
        let nameB = HDF5VolumeStore.datasetName(for: options.modalityB)
        let nameLabel = HDF5VolumeStore.datasetName(for: .label)
        let needsLabels = options.foregroundSource == .labels && options.minimumForegroundFraction > 0
        for (fileIndex, (url, ids)) in try zip(files, caseIDs(of: files)).enumerated() {
            let file = try HDF5File.open(url)
            for id in ids {
                let group = try file.root.group("/\(MedSynthDataset.casesGroup)/\(id)")
                let names = try group.children().filter { $0.kind == .dataset }.map(\.name).sorted()
                let source = (try? group.attributes.string("source_case_id")) ?? nil
                let present = names.isEmpty ? "none" : names.joined(separator: ", ")
                for (name, role) in [(nameA, "modalityA"), (nameB, "modalityB")] where !names.contains(name) {
                    throw MedSynthError(.notFound, url.path,
                                        "case '\(id)' has no '\(name)' volume (\(role)); modalities present: \(present)")
                }
                if needsLabels && !names.contains(nameLabel) {
                    throw MedSynthError(.notFound, url.path,
                                        "case '\(id)' has no '\(nameLabel)' volume, which foregroundSource 'labels' needs; modalities present: \(present); set foregroundSource to intensity or none, or minimumForegroundFraction to 0")
                }
                if let setting = labelMapsRequiredBy, !names.contains(nameLabel) {
                    throw MedSynthError(.notFound, url.path,
                                        "case '\(id)' has no '\(nameLabel)' volume, which \(setting) needs (its lesion voxels are weighted by their label values); modalities present: \(present); use datasets with label maps (`medsynth phantom` writes them) or set that weight to 0")
                }
                listings.append(CaseListing(fileIndex: fileIndex, caseID: id, datasetNames: names, sourceCaseID: source ?? ""))
            }
        }
        return listings
    }

    /// The source group of each listing (index-aligned), as `CaseSplit.groups` computes it over every file.
    static func sourceGroups(_ listings: [CaseListing]) -> [String] {
        var sources: [String: String] = [:]
        for l in listings {
            let source = l.sourceCaseID == l.caseID ? "" : l.sourceCaseID
            if sources[l.caseID] == nil || (sources[l.caseID] == "" && !source.isEmpty) { sources[l.caseID] = source }
        }
        let groups = CaseSplit.groups(sources: sources)
        return listings.map { groups[$0.caseID] ?? $0.caseID }
    }

    /// Reads, checks and normalises one case's volumes and finds its usable slices.
    /// - Parameters:
    ///   - keepHeadMask: keep label > 0 as the head mask (held-out cases with a label map of the image's shape).
    ///   - keepLabels: keep the label values for the batches (the listing must hold a label map; `listCases`
    ///     checked it).
    /// - Throws: `MedSynthError` naming the file and case: read errors, `.mismatch` (paired volumes of different
    ///   shape or geometry; a label map of another shape), errors of `IntensityNormalization.fit`.
    static func loadCase(_ listing: CaseListing, url: URL, options: SliceDatasetOptions,
                         normalizationA: IntensityNormalization, normalizationB: IntensityNormalization,
                         keepHeadMask: Bool = false, keepLabels: Bool = false) throws -> CachedCase {
        let id = listing.caseID
        func read(_ modality: Modality) throws -> Volume {
            try HDF5VolumeStore.read(url, dataset: HDF5VolumeStore.datasetPath(caseID: id, modality: modality)).volume
        }
        // The label map is read at most once, by whichever use comes first.
        var labelMap: Volume? = nil
        func readLabels() throws -> Volume {
            if let labelMap { return labelMap }
            let labels = try read(.label)
            labelMap = labels
            return labels
        }
        let volumeA = try read(options.modalityA)
        let volumeB = try read(options.modalityB)
        let (nameA, nameB) = (options.modalityA.rawValue, options.modalityB.rawValue)
        if options.pairing == .paired {
            guard volumeA.shape == volumeB.shape else {
                throw MedSynthError(.mismatch, url.path,
                                    "case '\(id)': \(nameA) is \(volumeA.shape) but \(nameB) is \(volumeB.shape); paired slices need co-registered volumes of one shape")
            }
            guard volumeA.affine.isClose(to: volumeB.affine, tolerance: 1e-3) else {
                throw MedSynthError(.mismatch, url.path,
                                    "case '\(id)': \(nameA) and \(nameB) have different affines (\(volumeA.affine) vs \(volumeB.affine)); paired slices need co-registered volumes")
            }
        }
        let mappingA = try normalizationA.fit(volumeA, subject: "\(url.path): case '\(id)' \(nameA)")
        let mappingB = try normalizationB.fit(volumeB, subject: "\(url.path): case '\(id)' \(nameB)")
        let voxelsA = mappingA.normalize(volumeA.voxels)
        let voxelsB = mappingB.normalize(volumeB.voxels)

        var headMask: [Bool]? = nil
        if keepHeadMask && listing.datasetNames.contains(HDF5VolumeStore.datasetName(for: .label)) {
            let labels = try readLabels()
            if labels.shape == volumeA.shape && (options.pairing == .unpaired || labels.shape == volumeB.shape) {
                headMask = labels.voxels.map { $0 > 0 }
            }
        }
        let threshold = options.minimumForegroundFraction
        var eligibleA = Array(0..<volumeA.shape.depth)
        var eligibleB = Array(0..<volumeB.shape.depth)
        if threshold > 0 {
            switch options.foregroundSource {
            case .none:
                break
            case .labels:
                let labels = try readLabels()
                for (shape, name) in [(volumeA.shape, nameA), (volumeB.shape, nameB)] where shape != labels.shape {
                    throw MedSynthError(.mismatch, url.path,
                                        "case '\(id)': label is \(labels.shape) but \(name) is \(shape); label foreground needs a label map of the image's shape")
                }
                eligibleA = slices(of: labels.voxels, shape: labels.shape, threshold: threshold) { $0 > 0 }
                eligibleB = eligibleA
            case .intensity:
                let level = Float(options.intensityForegroundLevel)
                eligibleA = slices(of: voxelsA, shape: volumeA.shape, threshold: threshold) { $0 > level }
                if options.pairing == .paired {
                    eligibleB = eligibleA
                } else {
                    eligibleB = slices(of: voxelsB, shape: volumeB.shape, threshold: threshold) { $0 > level }
                }
            }
        }
        var carried: [Float]? = nil
        if keepLabels {
            let labels = try readLabels()
            guard labels.shape == volumeA.shape else {
                throw MedSynthError(.mismatch, url.path,
                                    "case '\(id)': label is \(labels.shape) but \(nameA) is \(volumeA.shape); lesion weights need a label map on the image's grid")
            }
            carried = labels.voxels
        }
        return CachedCase(fileIndex: listing.fileIndex, caseID: id, voxelsA: voxelsA, voxelsB: voxelsB,
                          shapeA: volumeA.shape, shapeB: volumeB.shape, affineA: volumeA.affine, affineB: volumeB.affine,
                          mappingA: mappingA, mappingB: mappingB, eligibleA: eligibleA, eligibleB: eligibleB,
                          headMask: headMask, labels: carried)
    }

    /// The slices in which at least `threshold` of the voxels satisfy `isForeground`.
    static func slices(of voxels: [Float], shape: VolumeShape, threshold: Double,
                       isForeground: (Float) -> Bool) -> [Int] {
        let n = shape.sliceCount
        return (0..<shape.depth).filter { k in
            var count = 0
            for v in voxels[(k * n)..<((k + 1) * n)] where isForeground(v) { count += 1 }
            return Double(count) >= threshold * Double(n)
        }
    }
}

/// The case ids of each dataset file of a run, in order.
/// - Throws: `MedSynthError` naming the file: `.invalidArgument` when it is listed twice, `.notFound` when it has
///   no cases, errors of `MedSynthDataset.caseIDs`.
func caseIDs(of files: [URL]) throws -> [[String]] {
    var seen: Set<String> = []
    return try files.map { url in
        guard seen.insert(url.standardizedFileURL.path).inserted else {
            throw MedSynthError(.invalidArgument, url.path, "is listed twice in data.files; expected each dataset file once")
        }
        let ids = try MedSynthDataset.caseIDs(in: url)
        guard !ids.isEmpty else {
            throw MedSynthError(.notFound, url.path, "has no cases under /\(MedSynthDataset.casesGroup); expected a MedSynth dataset with at least one case")
        }
        return ids
    }
}

import Foundation
import MedCore

/// Everything `medsynth info` reports about a file: the summary of each image it holds and, for HDF5, the
/// group/dataset tree.
public struct FileReport: Codable, Sendable {
    /// The file path.
    public var file: String
    /// Format name of the file ("PNG", "NIfTI-1", "NIfTI-2", "HDF5").
    public var format: String
    /// File size in bytes.
    public var sizeBytes: Int
    /// For HDF5: every group and dataset; nil for other formats.
    public var tree: [HDF5NodeInfo]?
    /// For DICOM: every series found (no patient identifier, no UID, no date); nil for other formats.
    public var series: [DICOMSeriesSummary]?
    /// One summary per image: the file itself, or every 2D/3D numeric dataset of an HDF5 file, or the chosen
    /// DICOM series.
    public var images: [VolumeSummary]
    /// DICOM: what the scan skipped (when no series was read; otherwise the notes are the image's).
    public var seriesNotes: [String]? = nil

    /// Reads `url` and builds its report.
    /// - Parameters:
    ///   - url: the file.
    ///   - dataset: HDF5 only: summarise just this dataset (the tree is still listed).
    ///   - statistics: HDF5 only: false lists the tree without reading any voxels (fast on large datasets).
    ///   - dicom: DICOM only: the series to summarise (the only one when nil) and the PET SUV factor.
    /// - Throws: `MedSynthError` naming the file when it cannot be read, or a dataset option on a non-HDF5 file.
    public static func make(_ url: URL, dataset: String? = nil, statistics: Bool = true,
                            dicom: DICOMReadOptions = DICOMReadOptions()) throws -> FileReport {
        let format = try FileFormatDetector.detect(url)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if format == .dicom {
            if dataset != nil { throw MedSynthError(.invalidArgument, url.path, "--dataset applies to HDF5 files; this is DICOM (choose with --series)") }
            let scan = try DICOMScan.scan(url)
            var images: [VolumeSummary] = []
            var notes = scan.notes
            if statistics && (scan.series.count == 1 || dicom.series != nil) {
                let chosen = try scan.select(dicom.series)
                var loaded = try scan.namingUnreadableFiles { try DICOMReader.read(chosen, options: dicom, subject: url.path) }
                loaded.notes = scan.notes + loaded.notes
                images = [VolumeSummary(file: url.path, dataset: "series \(chosen.number)", loaded: loaded)]
                notes = []
            } else if scan.series.count > 1 {
                notes.append("\(scan.series.count) series: add --series N for one's values")
            }
            var report = FileReport(file: url.path, format: format.rawValue, sizeBytes: size, tree: nil,
                                    series: scan.series.map(DICOMSeriesSummary.init), images: images)
            report.seriesNotes = notes
            return report
        }
        if format == .hdf5 {
            let tree = try HDF5VolumeStore.tree(of: url)
            let paths = statistics ? try dataset.map { [$0] } ?? HDF5VolumeStore.datasetPaths(in: url) : []
            let images = try paths.map {
                VolumeSummary(file: url.path, dataset: $0, loaded: try HDF5VolumeStore.read(url, dataset: $0))
            }
            return FileReport(file: url.path, format: format.rawValue, sizeBytes: size, tree: tree, images: images)
        }
        if dataset != nil {
            throw MedSynthError(.invalidArgument, url.path, "--dataset applies to HDF5 files; this file is \(format.rawValue)")
        }
        let loaded = try VolumeIO.read(url)
        return FileReport(file: url.path, format: loaded.format.rawValue, sizeBytes: size, tree: nil,
                          images: [VolumeSummary(file: url.path, loaded: loaded)])
    }

    /// The report as terminal lines.
    public var textLines: [String] {
        var lines: [String] = []
        if let series {
            lines.append("file:     \(file)")
            lines.append("format:   DICOM, \(series.count) series")
            for s in series {
                let spacing = s.spacingMM.map { $0.map { String(format: "%.4g", $0) } ?? "?" }.joined(separator: " x ")
                lines.append("  series \(s.number): \(s.modality) \(s.shape[2]) x \(s.shape[1]) x \(s.shape[0]) (columns x rows x slices), "
                             + "\(spacing) mm, \(s.orientation)" + (s.seriesNumber.map { ", series number \($0)" } ?? "")
                             + (s.timeOfDay.map { ", \($0)" } ?? ""))
            }
            for note in seriesNotes ?? [] { lines.append("note:     \(note)") }
            for image in images {
                lines.append("")
                lines += image.textLines
            }
            return lines
        }
        if let tree {
            lines.append("file:     \(file)")
            lines.append("format:   \(format), \(sizeBytes) bytes")
            lines.append("tree:")
            for node in tree {
                lines.append("  " + node.summaryLine)
                for a in node.attributes { lines.append("      @\(a.name) = \(a.value)") }
            }
            if images.isEmpty { lines.append("(no image statistics: none requested, or no 2D/3D numeric datasets)") }
            for image in images {
                lines.append("")
                lines.append("dataset:  \(image.dataset ?? "")")
                lines += image.textLines.dropFirst()  // the first line names the file, already printed
            }
            return lines
        }
        return images.flatMap(\.textLines)
    }

    /// Pretty JSON with sorted keys (see `PrettyJSON`).
    public func jsonString() throws -> String { try PrettyJSON.string(self) }
}

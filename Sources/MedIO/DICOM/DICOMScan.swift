import Foundation
import MedCore

/// The DICOM series found in a file or a folder (searched recursively), grouped by SeriesInstanceUID and split
/// further when a series mixes orientations, sizes or pixel spacings. Localizers (ImageType LOCALIZER) are
/// skipped, as are files that are not DICOM images; each skip becomes a note.
public struct DICOMScan: Sendable {
    /// The file or folder scanned.
    public let path: String
    /// The series, ordered by SeriesNumber then UID; `number` counts from 1.
    public let series: [DICOMSeries]
    /// What was skipped and why (localizers, non-image objects, files that are not DICOM).
    public let notes: [String]
    /// DICOM files GDCM could not parse: (file, reason). A series never includes them.
    public let unreadable: [(file: String, reason: String)]

    /// Scans `url`, a DICOM file or a folder.
    /// - Throws: `MedSynthError` naming the path: `.notFound`; `.unsupported` when it holds no DICOM image; for a
    ///   single file, the reason GDCM gave.
    public static func scan(_ url: URL) throws -> DICOMScan {
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedSynthError(.notFound, path, "no such file or folder")
        }
        let all = isDir.boolValue ? try candidateFiles(in: url) : [path]
        let files = isDir.boolValue ? filesThatLookLikeDICOM(all) : all
        let notDICOM = all.count - files.count
        var notes: [String] = []
        var unreadable: [(file: String, reason: String)] = []
        // Series-level facts per file, extracted at once so that no parsed header outlives its file.
        var frames: [(key: SeriesKey, frame: DICOMFrame, facts: FileFacts)] = []
        // GDCM asserts (aborts) on some damaged headers: each header is parsed first in a child process.
        let probes = DICOMIsolation.probeHeaders(files)
        // Then each header is parsed in-process, files in parallel; the results are merged in file order.
        typealias Parsed = (planes: [DICOMFrame]?, facts: FileFacts?, notes: [String], error: MedSynthError?)
        var parsed = [Parsed](repeating: (nil, nil, [], nil), count: files.count)
        parsed.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachChunk(count: files.count) { range in
                for n in range {
                    do {
                        if let failure = probes[n] { throw failure }
                        let header = try DICOMHeader(path: files[n])
                        var fileNotes: [String] = []
                        let planes = try planes(of: header, notes: &fileNotes)
                        out[n] = (planes, planes == nil ? nil : FileFacts(header), fileNotes, nil)
                    } catch let e as MedSynthError {
                        out[n].error = e
                    } catch {
                        out[n].error = MedSynthError(.corrupt, files[n], "\(error)")
                    }
                }
            }
        }
        for (file, p) in zip(files, parsed) {
            notes += p.notes
            if let e = p.error {
                if !isDir.boolValue { throw e }
                unreadable.append((file, e.message))
                continue
            }
            guard let planes = p.planes, let facts = p.facts else { continue }
            frames += planes.map { (SeriesKey(uid: facts.seriesInstanceUID, frame: $0), $0, facts) }
        }
        if notDICOM > 0 { notes.append("skipped \(notDICOM) file(s) that are not DICOM") }
        for u in unreadable { notes.append("skipped \(u.file): \(u.reason)") }
        guard !frames.isEmpty else {
            var why = "holds no DICOM image"
            if !unreadable.isEmpty { why += "; unreadable: " + unreadable.prefix(3).map { "\($0.file) (\($0.reason))" }.joined(separator: "; ") }
            else if !notes.isEmpty { why += " (" + notes.prefix(3).joined(separator: "; ") + ")" }
            throw MedSynthError(.unsupported, path, why)
        }
        var groups: [SeriesKey: [(frame: DICOMFrame, facts: FileFacts)]] = [:]
        for f in frames { groups[f.key, default: []].append((f.frame, f.facts)) }
        var series = groups.map { key, members in makeSeries(key: key, members: members) }
        series.sort {
            ($0.seriesNumber ?? Int.max, $0.seriesInstanceUID, $0.rows, $0.columns, $0.orientation)
                < ($1.seriesNumber ?? Int.max, $1.seriesInstanceUID, $1.rows, $1.columns, $1.orientation)
        }
        for n in series.indices { series[n].number = n + 1 }
        return DICOMScan(path: path, series: series, notes: notes, unreadable: unreadable)
    }

    /// Runs `body` (reading a series of this scan); an error it throws gets the files that could not be read
    /// appended, since a series refused for a gap may be missing exactly those.
    public func namingUnreadableFiles<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as MedSynthError where !unreadable.isEmpty {
            let files = unreadable.prefix(3).map { "\($0.file) (\($0.reason))" }.joined(separator: "; ")
            throw MedSynthError(e.kind, e.subject, e.message + "; \(unreadable.count) file(s) here could not be read: "
                                + files + (unreadable.count > 3 ? "; …" : ""))
        }
    }

    /// The series `choice` names: its number in the listing ("2") or its SeriesInstanceUID; with no choice, the
    /// only series.
    /// - Throws: `MedSynthError(.invalidArgument)` listing the series when the choice is missing or matches none.
    public func select(_ choice: String?) throws -> DICOMSeries {
        let listing = series.map(\.summaryLine).joined(separator: "; ")
        guard let choice else {
            guard series.count == 1 else {
                throw MedSynthError(.invalidArgument, path,
                                    "holds \(series.count) series; choose one with --series N (or its SeriesInstanceUID): \(listing)")
            }
            return series[0]
        }
        if let n = Int(choice) {
            guard n >= 1 && n <= series.count else {
                throw MedSynthError(.invalidArgument, path, "--series \(n) is outside 1…\(series.count): \(listing)")
            }
            return series[n - 1]
        }
        let matches = series.filter { $0.seriesInstanceUID == choice }
        guard matches.count == 1 else {
            if matches.isEmpty {
                throw MedSynthError(.invalidArgument, path, "no series has SeriesInstanceUID '\(choice)'; choose by number: \(listing)")
            }
            throw MedSynthError(.invalidArgument, path,
                                "SeriesInstanceUID '\(choice)' holds \(matches.count) stacks (different orientations or sizes); choose by number: \(matches.map(\.summaryLine).joined(separator: "; "))")
        }
        return matches[0]
    }

    // MARK: - Files

    /// Regular files under `folder`, recursively, sorted, skipping hidden ones (names starting with "."). Links
    /// to files are followed; links to folders are not (no cycles).
    /// - Throws: `MedSynthError(.unreadable)` when `folder` cannot be listed.
    static func candidateFiles(in folder: URL) throws -> [String] {
        var out: [String] = []
        func walk(_ dir: String) -> Bool {
            guard let d = opendir(dir) else { return false }
            defer { closedir(d) }
            while let entry = readdir(d) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name.hasPrefix(".") { continue }
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                var kind = Int32(entry.pointee.d_type)
                if kind == Int32(DT_UNKNOWN) || kind == Int32(DT_LNK) {
                    var st = stat()
                    guard stat(path, &st) == 0 else { continue }
                    let format = st.st_mode & S_IFMT
                    kind = format == S_IFREG ? Int32(DT_REG) : format == S_IFDIR && entry.pointee.d_type != UInt8(DT_LNK) ? Int32(DT_DIR) : -1
                }
                if kind == Int32(DT_REG) {
                    out.append(path)
                } else if kind == Int32(DT_DIR) {
                    _ = walk(path)  // an unreadable subfolder is skipped, as an unreadable file would be
                }
            }
            return true
        }
        guard walk(folder.path) else {
            throw MedSynthError(.unreadable, folder.path, "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        return out.sorted()
    }

    /// `looksLikeDICOM` for every file, files in parallel (each test reads 132 bytes).
    static func filesThatLookLikeDICOM(_ files: [String]) -> [String] {
        var keep = [Bool](repeating: false, count: files.count)
        keep.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachChunk(count: files.count) { range in
                for n in range { out[n] = looksLikeDICOM(files[n]) }
            }
        }
        return zip(files, keep).compactMap { $1 ? $0 : nil }
    }

    /// True for files with the DICOM preamble ("DICM" at byte 128) and for files named `.dcm`/`.ima` or without an
    /// extension (DICOM files without a preamble exist); false for other named formats.
    static func looksLikeDICOM(_ file: String) -> Bool {
        if hasDICOMPreamble(file) { return true }
        let name = (file as NSString).lastPathComponent.lowercased()
        if name == "dicomdir" { return false }
        let ext = (name as NSString).pathExtension
        return ext.isEmpty || ext == "dcm" || ext == "ima" || ext == "dicom" || ext.allSatisfy(\.isNumber)
    }

    /// True when the file has "DICM" at byte offset 128 (PS3.10 file format).
    public static func hasDICOMPreamble(_ file: String) -> Bool {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4)
        return pread(fd, &head, 4, 128) == 4 && head == [0x44, 0x49, 0x43, 0x4D]
    }

    // MARK: - Planes

    /// The planes of one file: one for a single-frame image, one per frame for an enhanced multi-frame object;
    /// nil (with a note) for files that are not images or are localizers.
    static func planes(of h: DICOMHeader, notes: inout [String]) throws -> [DICOMFrame]? {
        let imageType = (h.string(.imageType) ?? "").uppercased()
        if imageType.split(separator: "\\").contains("LOCALIZER") {
            notes.append("skipped localizer \(h.path)")
            return nil
        }
        guard let rows = try h.number(.rows), let columns = try h.number(.columns) else {
            notes.append("skipped \(h.path): not an image (SOP class \(h.string(.sopClassUID) ?? "unknown"), no Rows/Columns)")
            return nil
        }
        guard rows >= 1, columns >= 1, rows <= 65535, columns <= 65535 else {
            throw MedSynthError(.corrupt, h.path, "Rows × Columns is \(Int(rows)) × \(Int(columns)), expected at least 1 × 1")
        }
        let frameCount = Int(try h.number(.numberOfFrames) ?? 1)
        guard frameCount >= 1, frameCount <= 100_000 else {
            throw MedSynthError(.corrupt, h.path, "NumberOfFrames is \(frameCount), expected 1…100000")
        }
        let enhanced = h.sequenceCount(.perFrameFunctionalGroupsSequence) > 0
        if frameCount > 1 && !enhanced {
            throw MedSynthError(.unsupported, h.path,
                                "a multi-frame image with \(frameCount) frames but no per-frame functional groups (positions unknown); convert it to single frames first (e.g. gdcmtar or dcm2niix)")
        }
        let instance = try h.number(.instanceNumber).map { Int($0) }
        let acquisition = dicomTimeSeconds(h.string(.acquisitionTime))
        var out: [DICOMFrame] = []
        for f in 0..<frameCount {
            func value(_ tag: DICOMTag, _ macro: DICOMTag) -> String? {
                enhanced ? h.string(tag, frame: f, macro: macro) ?? h.string(tag) : h.string(tag)
            }
            let where_ = frameCount > 1 ? " (frame \(f + 1))" : ""
            guard let ipp = try h.numbers(value(.imagePositionPatient, .planePositionSequence), .imagePositionPatient),
                  ipp.count == 3 else {
                throw MedSynthError(.unsupported, h.path, "has no ImagePositionPatient \(DICOMTag.imagePositionPatient)\(where_): its place in a volume is unknown")
            }
            guard let iop = try h.numbers(value(.imageOrientationPatient, .planeOrientationSequence), .imageOrientationPatient),
                  iop.count == 6 else {
                throw MedSynthError(.unsupported, h.path, "has no ImageOrientationPatient \(DICOMTag.imageOrientationPatient)\(where_)")
            }
            guard let ps = try h.numbers(value(.pixelSpacing, .pixelMeasuresSequence), .pixelSpacing), ps.count == 2,
                  ps[0] > 0, ps[1] > 0 else {
                throw MedSynthError(.unsupported, h.path, "has no valid PixelSpacing \(DICOMTag.pixelSpacing)\(where_) (expected two positive numbers)")
            }
            var row = SIMD3(iop[0], iop[1], iop[2]), col = SIMD3(iop[3], iop[4], iop[5])
            let rn = norm(row), cn = norm(col)
            guard rn > 0.5, cn > 0.5, abs(dot(row, col)) / (rn * cn) < 1e-3 else {
                throw MedSynthError(.corrupt, h.path, "ImageOrientationPatient \(iop) is not two orthogonal unit vectors")
            }
            row /= rn
            col /= cn
            let slope = try h.numbers(value(.rescaleSlope, .pixelValueTransformationSequence), .rescaleSlope)?.first ?? 1
            let intercept = try h.numbers(value(.rescaleIntercept, .pixelValueTransformationSequence), .rescaleIntercept)?.first ?? 0
            out.append(DICOMFrame(file: h.path, frame: f, framesInFile: frameCount, rows: Int(rows), columns: Int(columns),
                                  positionLPS: SIMD3(ipp[0], ipp[1], ipp[2]), rowCosines: row, columnCosines: col,
                                  pixelSpacing: SIMD2(ps[0], ps[1]), slope: slope == 0 ? 1 : slope, intercept: intercept,
                                  instanceNumber: instance, acquisitionSeconds: acquisition))
        }
        return out
    }

    // MARK: - Series

    /// What splits planes into series: the UID, and within it orientation, size and pixel spacing.
    struct SeriesKey: Hashable {
        var uid: String
        var rows: Int, columns: Int
        var orientation: [Int]
        var spacing: [Int]

        init(uid: String, frame: DICOMFrame) {
            self.uid = uid
            rows = frame.rows
            columns = frame.columns
            let r = frame.rowCosines, c = frame.columnCosines
            orientation = [r.x, r.y, r.z, c.x, c.y, c.z].map { Int(($0 * 1e4).rounded()) }
            spacing = [frame.pixelSpacing.x, frame.pixelSpacing.y].map { Int(($0 * 1e4).rounded()) }
        }
    }

    /// What a series takes from its files' headers besides the planes.
    struct FileFacts {
        var seriesInstanceUID: String
        var studyInstanceUID: String?
        var frameOfReferenceUID: String?
        var modality: String
        var seriesNumber: Int?
        var seriesSeconds: Double?
        var transferSyntaxUID: String?
        var sliceThicknessMM: Double?
        var gantryTiltDegrees: Double?
        var photometric: String?
        var pet: DICOMPETTags?

        init(_ h: DICOMHeader) {
            seriesInstanceUID = h.string(.seriesInstanceUID) ?? "(no SeriesInstanceUID)"
            studyInstanceUID = h.string(.studyInstanceUID)
            frameOfReferenceUID = h.string(.frameOfReferenceUID)
            modality = (h.string(.modality) ?? "OT").uppercased()
            seriesNumber = ((try? h.number(.seriesNumber)) ?? nil).map { Int($0) }
            seriesSeconds = dicomTimeSeconds(h.string(.seriesTime))
            transferSyntaxUID = h.transferSyntaxUID
            sliceThicknessMM = ((try? h.number(.spacingBetweenSlices)) ?? nil) ?? ((try? h.number(.sliceThickness)) ?? nil)
            gantryTiltDegrees = (try? h.number(.gantryDetectorTilt)) ?? nil
            photometric = h.string(DICOMTag(0x0028, 0x0004))
            if modality == "PT" {
                let seq = DICOMTag.radiopharmaceuticalInformationSequence
                func decimal(_ tag: DICOMTag) -> Double? {
                    h.string(tag, inSequence: seq).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                }
                pet = DICOMPETTags(
                    file: h.path, units: h.string(.units)?.uppercased(), decayCorrection: h.string(.decayCorrection)?.uppercased(),
                    seriesSeconds: seriesSeconds,
                    radiopharmaceuticalStartSeconds: dicomTimeSeconds(h.string(.radiopharmaceuticalStartTime, inSequence: seq)),
                    totalDoseBq: decimal(.radionuclideTotalDose), halfLifeSeconds: decimal(.radionuclideHalfLife),
                    patientWeightKG: (try? h.number(.patientWeight)) ?? nil)
            }
        }
    }

    static func makeSeries(key: SeriesKey, members: [(frame: DICOMFrame, facts: FileFacts)]) -> DICOMSeries {
        let first = members[0]
        let n = first.frame.normal
        let sorted = members.map(\.frame).sorted { dot($0.positionLPS, n) < dot($1.positionLPS, n) }
        let steps = zip(sorted.dropFirst(), sorted).map { dot($0.positionLPS - $1.positionLPS, n) }.sorted()
        let median = steps.isEmpty ? nil : steps[steps.count / 2]
        let f = first.facts
        let syntaxes = Set(members.compactMap { $0.facts.transferSyntaxUID }).sorted()
        return DICOMSeries(
            number: 0, seriesNumber: f.seriesNumber, modality: f.modality, rows: first.frame.rows, columns: first.frame.columns,
            pixelSpacingMM: first.frame.pixelSpacing, sliceSpacingMM: median, orientation: orientationName(n),
            timeOfDay: f.seriesSeconds.map(timeOfDayText), transferSyntaxes: syntaxes,
            seriesInstanceUID: key.uid, studyInstanceUID: f.studyInstanceUID, frameOfReferenceUID: f.frameOfReferenceUID,
            frames: sorted, sliceThicknessMM: f.sliceThicknessMM, gantryTiltDegrees: f.gantryTiltDegrees, pet: f.pet,
            photometric: f.photometric)
    }

    /// The plane a normal (LPS) is closest to, or "oblique" when it is more than ~10° from every axis.
    static func orientationName(_ n: SIMD3<Double>) -> String {
        let a = SIMD3(abs(n.x), abs(n.y), abs(n.z))
        if a.z > 0.985 { return "axial" }
        if a.y > 0.985 { return "coronal" }
        if a.x > 0.985 { return "sagittal" }
        return "oblique"
    }
}

import Foundation
import MedCore

/// How `medsynth import` builds cases.
public struct CohortImportOptions: Sendable {
    /// The modality whose grid the others are resampled onto; a case without it uses its first row's.
    public var reference: Modality?
    /// Replace every case name by a keyed hash (rows without a case name always get one).
    public var hashCaseIDs: Bool
    /// The HMAC key of keyed case ids.
    public var salt: String
    /// PET rows from DICOM: multiply Bq/mL by this instead of computing SUV from the tags.
    public var suvFactor: Double?
    /// The provenance `seed` (the run's `--seed`, from which the default salt is derived).
    public var seed: Int
    /// The command line recorded in provenance.
    public var commandLine: String

    public init(reference: Modality? = nil, hashCaseIDs: Bool = false, salt: String, suvFactor: Double? = nil,
                seed: Int = 0, commandLine: String) {
        self.reference = reference
        self.hashCaseIDs = hashCaseIDs
        self.salt = salt
        self.suvFactor = suvFactor
        self.seed = seed
        self.commandLine = commandLine
    }
}

/// Turns a `CohortManifest` into MedSynth dataset cases (`medsynth import`): each row's image read (DICOM through
/// `DICOMReader`, NIfTI through `NIfTIFile`), given the row's modality, and resampled onto the case's reference
/// grid when it lies on another (world coordinates; trilinear for images, nearest for labels). Nothing from a
/// DICOM header but voxel values, geometry and the modality reaches a case: no name, ID, date, UID or description
/// (DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile; docs/REAL_DATA.md).
public final class CohortImporter: @unchecked Sendable {
    public struct Case: Sendable {
        public var id: String
        public var rows: [CohortManifest.Row]
    }

    public let manifest: CohortManifest
    public let options: CohortImportOptions
    /// The cases, in manifest order of their first row.
    public let cases: [Case]
    private let lock = NSLock()
    private var notesStore: [String] = []

    /// Groups the manifest's rows into cases and fixes their ids.
    /// - Throws: `MedSynthError` when a row without a case name is not DICOM, two cases get one id, or a case has
    ///   two rows of one modality.
    public init(manifest: CohortManifest, options: CohortImportOptions) throws {
        self.manifest = manifest
        self.options = options
        let keyed = KeyedCaseID(salt: options.salt)
        // Named rows group by name; unnamed (DICOM) rows by their study's keyed id. With hashCaseIDs a named case's
        // id is the keyed hash of its first DICOM row's StudyInstanceUID, or of its name when it has no DICOM row.
        var order: [String] = []
        var grouped: [String: [CohortManifest.Row]] = [:]
        for row in manifest.rows {
            var key = "name:" + row.caseName
            if row.caseName.isEmpty {
                guard let uid = try Self.studyUID(of: row) else {
                    throw MedSynthError(.invalidArgument, row.path.path,
                                        "\(row.origin): a row without a case name must be DICOM (its StudyInstanceUID gives the keyed id); give the case a name")
                }
                key = "study:" + uid
            }
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(row)
        }
        var seen: [String: String] = [:]
        var built: [Case] = []
        for key in order {
            let rows = grouped[key]!
            var id = String(key.dropFirst(5))
            if key.hasPrefix("study:") {
                id = keyed.caseID(for: String(key.dropFirst(6)))
            } else if options.hashCaseIDs {
                var identifier = "case:" + id
                for row in rows { if let uid = try Self.studyUID(of: row) { identifier = uid; break } }
                id = keyed.caseID(for: identifier)
            }
            if let other = seen[id] {
                throw MedSynthError(.invalidArgument, rows[0].path.path,
                                    "\(rows[0].origin): gives case id '\(id)', as \(other) does (one study named twice, or under a name and without one)")
            }
            seen[id] = rows[0].origin
            for (n, row) in rows.enumerated() {
                if let other = rows[..<n].first(where: { $0.modality == row.modality }) {
                    throw MedSynthError(.invalidArgument, row.path.path,
                                        "\(row.origin): case '\(id)' already has a \(row.modality.rawValue) image (\(other.origin))")
                }
            }
            built.append(Case(id: id, rows: rows))
        }
        cases = built
    }

    /// The StudyInstanceUID of a DICOM row, nil for other files.
    static func studyUID(of row: CohortManifest.Row) throws -> String? {
        guard try FileFormatDetector.detect(row.path) == .dicom else { return nil }
        let scan = try DICOMScan.scan(row.path)
        return try scan.select(row.series).studyInstanceUID
    }

    public var caseIDs: [String] { cases.map(\.id) }

    /// What was skipped or assumed while reading (localizers, MR contrast notes), per case; thread-safe.
    public var notes: [String] {
        lock.lock()
        defer { lock.unlock() }
        return notesStore
    }

    /// The run-configuration entries that decide the stored bytes (no path, no salt: their digests).
    public var configuration: [String: String] {
        var c = ["command": "import", "manifest_digest": manifest.digest,
                 "reference": options.reference?.rawValue ?? "first row",
                 "case_ids": options.hashCaseIDs ? "keyed" : "manifest",
                 "salt_check": KeyedCaseID(salt: options.salt).caseID(for: "medsynth-salt-check")]
        if let f = options.suvFactor { c["suv_factor"] = String(f) }
        return c
    }

    /// Reads case `index` and builds its dataset case.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let c = cases[index]
        var volumes: [(row: CohortManifest.Row, loaded: LoadedVolume)] = []
        for row in c.rows { volumes.append((row, try read(row, caseID: c.id))) }
        let referenceIndex = options.reference.flatMap { r in volumes.firstIndex { $0.row.modality == r } } ?? 0
        let reference = volumes[referenceIndex].loaded.volume
        if let r = options.reference, volumes[referenceIndex].row.modality != r {
            addNote("case \(c.id): no \(r.rawValue) image; the grid is the \(volumes[0].row.modality.rawValue) image's")
        }
        var out: [Volume] = []
        var sources: [[String: Any]] = []
        for (row, loaded) in volumes {
            var v = loaded.volume
            var record: [String: Any] = [
                "modality": row.modality.rawValue, "format": loaded.format.rawValue, "stored_type": loaded.storedDataType,
                "source_shape": [v.shape.depth, v.shape.height, v.shape.width],
                "source_spacing_mm": [v.spacingMM.x, v.spacingMM.y, v.spacingMM.z].map { ($0 * 1e6).rounded() / 1e6 },
            ]
            if GridResampler.sameGrid(v, shape: reference.shape, affine: reference.affine) {
                v.affine = reference.affine  // one grid per case, to the reference's precision (NIfTI headers are float32)
            } else {
                let interpolation: GridResampler.Interpolation = row.modality == .label ? .nearest : .trilinear
                let fill = row.modality.background
                record["source_affine"] = v.affine.rowMajor
                v = try GridResampler.resample(v, onto: reference.shape, affine: reference.affine,
                                               interpolation: interpolation, fill: fill)
                record["resampled"] = ["interpolation": interpolation.rawValue, "fill": Double(fill)] as [String: Any]
            }
            out.append(v)
            sources.append(record)
        }
        let importRecord: [String: Any] = [
            "reference": volumes[referenceIndex].row.modality.rawValue,
            "sources": sources,
            "registration": "none: images are resampled through their affines only (co-register first if needed)",
            "case_id": c.rows.contains { $0.caseName.isEmpty } || options.hashCaseIDs
                ? "keyed hash (HMAC-SHA256 with the dataset's salt) of the StudyInstanceUID or case name" : "from the manifest",
            "deidentification": [
                "profile": "DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile",
                "method_codes": [["code": "113100", "scheme": "DCM", "meaning": "Basic Application Confidentiality Profile"]],
                "kept": "voxel values, geometry (affine), modality; no DICOM attribute is copied",
                "not_done": "burned-in text in the pixels is not removed (113101 Clean Pixel Data Option not applied)",
            ] as [String: Any],
        ]
        let json = try JSONSerialization.data(withJSONObject: importRecord, options: [.sortedKeys])
        let provenance = CaseProvenance(commandLine: options.commandLine, seed: options.seed, caseIndex: index,
                                        importJSON: String(decoding: json, as: UTF8.self))
        return DatasetCase(id: c.id, volumes: out, provenance: provenance)
    }

    /// Reads one row's image with the row's modality.
    func read(_ row: CohortManifest.Row, caseID: String) throws -> LoadedVolume {
        let format = try FileFormatDetector.detect(row.path)
        var loaded: LoadedVolume
        switch format {
        case .dicom:
            loaded = try DICOMReader.read(row.path, options: DICOMReadOptions(series: row.series, suvFactor: options.suvFactor))
            let dicomModality = loaded.volume.modality
            if (row.modality == .ct || row.modality == .pet) && dicomModality != row.modality {
                throw MedSynthError(.mismatch, row.path.path,
                                    "\(row.origin): the manifest says \(row.modality.rawValue) but the DICOM series is \(dicomModality == .unknown ? "not CT or PET" : dicomModality.rawValue)")
            }
            if row.modality.isMRContrast && dicomModality != .unknown {
                throw MedSynthError(.mismatch, row.path.path,
                                    "\(row.origin): the manifest says \(row.modality.rawValue) (MR) but the DICOM series is \(dicomModality.rawValue)")
            }
        case .nifti1, .nifti2:
            if row.series != nil {
                throw MedSynthError(.invalidArgument, row.path.path, "\(row.origin): a series column applies to DICOM folders, this is NIfTI")
            }
            loaded = try NIfTIFile.read(row.path)
        default:
            throw MedSynthError(.unsupported, row.path.path,
                                "\(row.origin): is \(FileFormatDetector.describe(format)); expected a DICOM file or folder or a NIfTI file")
        }
        loaded.volume.modality = row.modality
        loaded.volume.unit = row.modality.defaultUnit
        if row.modality == .label {
            if let bad = loaded.volume.voxels.first(where: { !$0.isFinite || $0 != $0.rounded() || $0 < 0 }) {
                throw MedSynthError(.invalidArgument, row.path.path,
                                    "\(row.origin): a label map holds whole numbers ≥ 0, but this one holds \(bad)")
            }
        }
        let relevant = loaded.notes.filter { !$0.hasPrefix("MR series:") }
        if !relevant.isEmpty { addNote("case \(caseID) \(row.modality.rawValue): " + relevant.joined(separator: "; ")) }
        return loaded
    }

    private func addNote(_ note: String) {
        lock.lock()
        notesStore.append(note)
        lock.unlock()
    }
}

import ArgumentParser
import Foundation
import MedCore
import MedIO

/// `medsynth import`: a MedSynth dataset from real scans (DICOM series, NIfTI files), de-identified, atomic per case
/// and resumable.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Build a MedSynth dataset (HDF5) from DICOM series and NIfTI files listed in a manifest, de-identified.",
        discussion: """
        The manifest is a CSV file whose header names the columns case, modality and path (an optional series column chooses a series of a DICOM folder, by number or SeriesInstanceUID). path is a DICOM file or folder or a NIfTI file, relative to the manifest's folder; modality is CT, T1, T2, FLAIR, PET, label or another MR contrast name (T1ce, PD, DWI, ADC, …). Instead of a manifest, --pattern "{case}/{modality}.nii.gz" --root DIR takes every file under DIR that matches.

        Each case becomes /cases/<case>/<modality> (layout: docs/DATASET_FORMAT.md). Within a case, images on another grid than the reference modality's (--reference, default the case's first row) are resampled onto it through their affines — trilinear for images, nearest for labels; the images must already be co-registered (this is not registration: use elastix or ANTs first). Cases may lack modalities.

        De-identification (docs/REAL_DATA.md): no DICOM attribute — names, IDs, dates, institution, physicians, accession number, UIDs, descriptions — reaches the dataset; only voxel values, geometry and the modality do, and each case records the method (DICOM PS3.15 code 113100). Case ids are the manifest's; rows with an empty case, or every case with --hash-case-ids, get "sub-" and a keyed hash (HMAC-SHA256) of the StudyInstanceUID, keyed by --salt. Choose case names and --salt that identify no one.

        Cases are committed one at a time: a stopped run started again with the same arguments continues; different arguments on an existing file are refused unless --overwrite.

        Examples:
          medsynth import --manifest Tests/Fixtures/import/cohort.csv --out Outputs/cohort.h5 --overwrite
          medsynth import --pattern "{case}/{modality}.nii.gz" --root Tests/Fixtures/import/nifti-cohort --out Outputs/nifti-cohort.h5 --overwrite
          medsynth import --manifest Tests/Fixtures/import/cohort.csv --hash-case-ids --salt "a secret kept with the key list" --out Outputs/cohort-keyed.h5 --overwrite --json
        """
    )

    @Option(help: ArgumentHelp("CSV manifest with the columns case, modality, path (and optionally series).", valueName: "file.csv"))
    var manifest: String?

    @Option(help: ArgumentHelp("Instead of a manifest: relative path pattern of the files under --root, with {case} and {modality}.", valueName: "pattern"))
    var pattern: String?

    @Option(help: ArgumentHelp("The folder --pattern is matched under.", valueName: "dir"))
    var root: String?

    @Option(help: ArgumentHelp("The modality whose grid the others of a case are resampled onto (default: the case's first row).", valueName: "modality"))
    var reference: String?

    @Flag(name: .customLong("hash-case-ids"), help: "Replace every case name by a keyed hash of its StudyInstanceUID (or name).")
    var hashCaseIDs = false

    @Option(help: ArgumentHelp("The key of hashed case ids (default: derived from --seed, so anyone who knows the seed and a StudyInstanceUID can compute its id; give a secret to prevent that).", valueName: "text"))
    var salt: String?

    @Option(help: "Seed recorded in provenance and, without --salt, the source of the key of hashed case ids.")
    var seed: UInt64 = 2026

    @Option(help: ArgumentHelp("DICOM PET rows: multiply Bq/mL by F instead of computing body-weight SUV from the tags.", valueName: "F"))
    var suvFactor: Double?

    @OptionGroup var storage: DatasetStorageOptions

    @Option(help: "The output dataset file (.h5).")
    var out: String

    @Flag(help: "Replace an existing output instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (manifest == nil) != (pattern == nil) else {
            throw ValidationError("give either --manifest FILE.csv or --pattern P --root DIR")
        }
        if pattern != nil && root == nil { throw ValidationError("--pattern needs --root DIR") }
        if manifest != nil && root != nil { throw ValidationError("--root goes with --pattern, not --manifest") }
        if let reference, Modality(contrastName: reference) == nil {
            throw ValidationError("--reference '\(reference)' is not a modality name (CT, T1, T2, FLAIR, PET, label, or an MR contrast)")
        }
        if let f = suvFactor, !(f.isFinite && f > 0) { throw ValidationError("--suv-factor must be a positive number, got \(f)") }
        guard seed <= UInt64(Int64.max) else { throw ValidationError("--seed must be at most \(Int64.max), got \(seed)") }
        if let salt, salt.isEmpty { throw ValidationError("--salt must not be empty") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: out)
        guard FileFormatDetector.formatFromName(url) == .hdf5 else {
            throw MedSynthError(.invalidArgument, out, "the dataset is HDF5; expected a name ending in .h5 or .hdf5")
        }
        let cohort: CohortManifest
        if let manifest {
            cohort = try CohortManifest.read(csv: URL(fileURLWithPath: manifest))
        } else {
            cohort = try CohortManifest.read(pattern: pattern!, root: URL(fileURLWithPath: root!))
        }
        let options = CohortImportOptions(
            reference: reference.flatMap { Modality(contrastName: $0) }, hashCaseIDs: hashCaseIDs,
            salt: salt ?? "medsynth-import-seed-\(seed)", suvFactor: suvFactor, seed: Int(seed),
            commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        let importer = try CohortImporter(manifest: cohort, options: options)
        let configuration = DatasetRunConfiguration(importer.configuration.merging(storage.configuration) { a, _ in a })
        let summary = try DatasetRun.write(command: "import", to: url, configuration: configuration, caseIDs: importer.caseIDs,
                                           overwrite: overwrite, deflateLevel: storage.deflateLevel,
                                           deflateStrategy: storage.deflateStrategy, syncsToDisk: !storage.noFsync,
                                           make: importer.makeCase)
        for note in importer.notes { FileHandle.standardError.write(Data("medsynth import: note: \(note)\n".utf8)) }
        let report = DatasetRunReport(summary: summary, shape: nil, seed: seed)
        if json {
            print(try PrettyJSON.string(report))
        } else {
            print(report.line(command: "import"))
        }
    }
}

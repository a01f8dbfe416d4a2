import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth lesions`: adds synthetic lesions to an existing MedSynth dataset (a new dataset; drawn, or
/// transplanted from donor cases with CarveMix) or to a NIfTI volume inside a mask (a new volume and label map).
struct LesionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesions",
        abstract: "Add synthetic lesions to a MedSynth HDF5 dataset, or to a NIfTI volume inside a mask.",
        discussion: """
        Dataset mode (--in FILE.h5 --out NEW.h5): every case is copied with lesions in all its modalities where its label map has an allowed label (--allowed-labels, default brain tissues 7,8,9); its label map gets the lesion labels and its provenance the source case id and the lesion metadata. --method phantom renders a phantom case again from its provenance with the lesions inside (partial volume, bias field, PET blur and noise apply to them as to tissue); --method blend blends them into the stored images; --method auto (default) renders where the case allows it (a phantom case, not augmented, whose lesions are all rendered ones) and blends otherwise. --mask MASK (a volume on the cases' grid) restricts every case further: lesions go where the mask is non-zero and the label is allowed, and are blended. Atomic per case and resumable like `medsynth phantom`; the summary says how many lesions were placed.

        CarveMix (--carvemix DONORS.h5, dataset mode): instead of drawing lesions, each case gets the lesions of --per-case donor cases of DONORS (cases with lesions; DONORS may be the input, a case is then never its own donor) with their labels and their values in every modality, feathered at the edge, at the donor's position when it lands on allowed labels, else at a random valid shift (a lesion that finds no place is dropped). Donors must be on the same grid as the input's cases.

        Volume mode (--in VOLUME.nii.gz --mask MASK.nii.gz --out OUT.nii.gz): lesions go where the mask is non-zero; writes OUT and the label map OUT_label.nii.gz (the --label map updated, or a new one). The volume's modality comes from its header (MedSynth NIfTI) or --modality.

        Lesion labels: 10, or with --sub-regions 11 necrotic core, 12 oedema, 13 enhancing rim.

        Lesion types (--lesion-type NAME, drawn lesions): glioma (infiltrative; necrotic core, enhancing rim and oedema, labels 11-13), metastasis (round; necrotic centre, enhancing ring, large oedema), haemorrhage (acute: hyperdense on CT, dark on T2 and FLAIR), infarct (hypodense on CT, dark on T1, bright on T2 and FLAIR, cold on PET) or plaque (demyelinating: small ovoid, bright on T2 and FLAIR, near isodense on CT, so a CT-only plaque is usually dropped as invisible). Each type sets its size, shape, parts, per-modality appearance ranges from the literature (docs/TISSUE_PARAMETERS.md, "Lesion types") and a smooth internal heterogeneity of blended lesions; --lesion-radius still sets the median radius. Aliases: hemorrhage, ms-plaque, stroke, gbm and others.

        Visible where labelled (blended lesions): each lesion's contrast-to-noise ratio, CNR = |mean change over its labelled voxels| / the host's noise sigma estimated from the image around it, is measured in every image and recorded (visibility in the lesion records). A lesion below --minimum-cnr (default 1) in every image gets its appearance drawn again up to 8 times and is then dropped; the summary says which and why. --allow-invisible keeps such lesions, labelled wherever they change the image, and says so. Only voxels whose change is real are labelled, one connected piece per lesion.

        Examples: the first three make a small dataset and its first case's FLAIR image and label map as NIfTI, the others add lesions to them:
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5
          medsynth convert Outputs/small.h5 Outputs/small_label.nii.gz --dataset /cases/case000/label
          medsynth convert Outputs/small.h5 Outputs/small_FLAIR.nii.gz --dataset /cases/case000/FLAIR
          medsynth lesions --in Outputs/small.h5 --out Outputs/small_lesions.h5 --per-case 2 --seed 3
          medsynth lesions --in Outputs/small.h5 --mask Outputs/small_label.nii.gz --allowed-labels 8 --out Outputs/small_wm_lesions.h5
          medsynth lesions --in Outputs/small.h5 --carvemix Outputs/small_lesions.h5 --out Outputs/small_mixed.h5
          medsynth lesions --in Outputs/small_FLAIR.nii.gz --mask Outputs/small_label.nii.gz --modality FLAIR --out Outputs/small_FLAIR_lesion.nii.gz
          medsynth lesions --in Outputs/small_FLAIR.nii.gz --mask Outputs/small_label.nii.gz --label Outputs/small_label.nii.gz --out Outputs/small_FLAIR_lesions.nii.gz --json
          medsynth lesions --in Outputs/small_FLAIR.nii.gz --mask Outputs/small_label.nii.gz --modality FLAIR --minimum-cnr 1000 --allow-invisible --out Outputs/small_FLAIR_faint.nii.gz
          medsynth lesions --in Outputs/small_FLAIR.nii.gz --mask Outputs/small_label.nii.gz --modality FLAIR --lesion-type plaque --per-case 3 --out Outputs/small_FLAIR_plaques.nii.gz
          medsynth lesions --in Outputs/small.h5 --out Outputs/small_infarcts.h5 --method blend --lesion-type infarct --seed 4
        """
    )

    @Option(help: "Input: a MedSynth HDF5 dataset, or a NIfTI volume.")
    var `in`: String

    @Option(help: "Output: a new .h5 dataset (dataset mode) or a .nii/.nii.gz volume (volume mode).")
    var out: String

    @Option(help: "Lesions per case (exactly K; a lesion that does not fit is dropped, and the summary says how many were placed).")
    var perCase: Int = 1

    @Option(help: "Where lesions may go (non-zero voxels; values in 0..1 are fractions): required for a NIfTI input; for a dataset, a volume on its grid that restricts every case (with --allowed-labels; lesions are then blended).")
    var mask: String?

    @Option(help: "Volume mode: an existing label map to update (new lesions avoid its lesions).")
    var label: String?

    @Option(help: "Volume mode: the input's modality when its header does not say (CT, T1, T2, FLAIR, PET).")
    var modality: String?

    @Option(help: "Dataset mode: label values where lesions may go (comma-separated).")
    var allowedLabels: String = "7,8,9"

    @Option(help: "Dataset mode: phantom (render the case again with the lesions), blend (into the stored images) or auto (phantom where possible).")
    var method: LesionDatasetBuilder.Method = .auto

    @Option(help: ArgumentHelp("Dataset mode: transplant the lesions of --per-case donor cases of this dataset (CarveMix) instead of drawing new ones.", valueName: "donors.h5"))
    var carvemix: String?

    @Option(help: "Random seed (0 … 2^63-1).")
    var seed: UInt64 = 2026

    @Flag(help: "Lesions with BraTS-like sub-regions (necrotic core 11, oedema 12, enhancing rim 13).")
    var subRegions = false

    @Option(help: "Median lesion radius in mm (log-normal, sigma of ln R 0.4; default 6, or the --lesion-type's median); radii are clamped to 0.42-2.5 times it (never narrower than the default 2.5-15 mm or the type's range, at most 100 mm).")
    var lesionRadius: Double?

    @Option(help: ArgumentHelp("Drawn lesions: a named lesion type with its own size, shape, parts and appearance: glioma, metastasis, haemorrhage, infarct or plaque.", valueName: "name"))
    var lesionType: String?

    @Option(help: "Drawn lesions: the contrast-to-noise ratio a lesion needs in at least one image (|mean inserted change| / host noise sigma); below it in every image, its appearance is drawn again, then it is dropped.")
    var minimumCnr: Double = LesionVisibilitySettings().minimumCNR

    @Flag(help: "Drawn lesions: keep lesions below --minimum-cnr in every image (labelled where they change the image at all) instead of dropping them; the records and the summary say so.")
    var allowInvisible = false

    @Flag(help: "Dataset mode: replace an existing output instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary (with the lesion metadata in volume mode) as JSON.")
    var json = false

    /// Dataset mode only.
    @OptionGroup var storage: DatasetStorageOptions

    func validate() throws {
        guard (1...100).contains(perCase) else { throw ValidationError("--per-case must be 1…100, got \(perCase)") }
        guard seed <= UInt64(Int64.max) else { throw ValidationError("--seed must be at most \(Int64.max), got \(seed)") }
        if let lesionRadius, !(lesionRadius > 0 && lesionRadius.isFinite) {
            throw ValidationError("--lesion-radius must be positive, got \(lesionRadius)")
        }
        if carvemix != nil && (subRegions || method != .auto || allowInvisible || minimumCnr != LesionVisibilitySettings().minimumCNR || lesionType != nil) {
            throw ValidationError("--carvemix copies lesions as they are; --sub-regions, --method, --minimum-cnr, --allow-invisible and --lesion-type are for drawn lesions")
        }
        if let lesionType {
            do { _ = try LesionType(name: lesionType) } catch let e as MedSynthError { throw ValidationError(e.description) }
            if subRegions {
                throw ValidationError("--lesion-type sets the lesion's parts itself (glioma and metastasis have sub-regions, the others none); leave out --sub-regions")
            }
        }
        guard minimumCnr >= 0 && minimumCnr <= 1e6 && minimumCnr.isFinite else {
            throw ValidationError("--minimum-cnr must be within 0…1000000, got \(minimumCnr)")
        }
    }

    private var lesionSettings: LesionSettings {
        var s = LesionSettings()
        if let name = lesionType, let type = try? LesionType(name: name) {   // validate() checked the name
            type.apply(to: &s)
        } else {
            s.subRegions = subRegions
        }
        s.countRange = perCase...perCase
        if let lesionRadius { s.setRadiusMedian(lesionRadius) }
        s.visibility.minimumCNR = minimumCnr
        s.visibility.allowInvisible = allowInvisible
        return s
    }

    func run() throws {
        let input = URL(fileURLWithPath: self.in)
        switch try FileFormatDetector.detect(input) {
        case .hdf5: try runDataset(input)
        case .nifti1, .nifti2: try runVolume(input)
        case .png: throw MedSynthError(.unsupported, self.in, "is a PNG; expected a MedSynth HDF5 dataset or a NIfTI volume")
        case .dicom: throw MedSynthError(.unsupported, self.in, "is DICOM; make it a dataset first with `medsynth import`, or a NIfTI volume with `medsynth convert`")
        }
    }

    private func runDataset(_ input: URL) throws {
        let url = URL(fileURLWithPath: out)
        guard FileFormatDetector.formatFromName(url) == .hdf5 else {
            throw MedSynthError(.invalidArgument, out, "the input is a dataset, so the output is one too; expected a name ending in .h5")
        }
        guard label == nil, modality == nil else {
            throw MedSynthError(.invalidArgument, "--label", "--label and --modality are for NIfTI input; a dataset's cases use their own label maps (--allowed-labels)")
        }
        if mask != nil, carvemix != nil {
            throw MedSynthError(.invalidArgument, "--mask", "is for drawn lesions; --carvemix places transplants where --allowed-labels allow")
        }
        guard input.standardizedFileURL.path != url.standardizedFileURL.path else {
            throw MedSynthError(.invalidArgument, out, "is the input; write the lesioned dataset to a new file")
        }
        let allowed = try parseLabels(allowedLabels)
        let commandLine = CaseProvenance.quotedCommandLine(CommandLine.arguments)
        let configuration: DatasetRunConfiguration
        let caseIDs: [String]
        let make: @Sendable (Int) throws -> DatasetCase
        if let carvemix {
            let donors = URL(fileURLWithPath: carvemix)
            guard try FileFormatDetector.detect(donors) == .hdf5 else {
                throw MedSynthError(.invalidArgument, carvemix, "is not HDF5; --carvemix takes a MedSynth dataset whose cases have lesions")
            }
            guard donors.standardizedFileURL.path != url.standardizedFileURL.path else {
                throw MedSynthError(.invalidArgument, out, "is the donor dataset; write the mixed dataset to a new file")
            }
            var settings = CarveMixSettings()
            settings.allowedTargetLabels = allowed
            let builder = try CarveMixDatasetBuilder(source: input, donors: donors, perCase: perCase, settings: settings,
                                                     seed: seed, commandLine: commandLine)
            configuration = builder.runConfiguration(storage: storage.configuration)
            (caseIDs, make) = (builder.caseIDs, builder.makeCase)
        } else {
            // A mask (NIfTI or HDF5 volume on the cases' grid) restricts placement in every case; its voxels are
            // part of the run's arguments (path and hash), so another mask is another run.
            let placementMask = try mask.map { try VolumeIO.read(URL(fileURLWithPath: $0)).volume }
            let builder = try LesionDatasetBuilder(source: input, settings: lesionSettings, allowedLabels: allowed, seed: seed,
                                                   perCase: perCase, method: method, commandLine: commandLine,
                                                   placementMask: placementMask)
            configuration = builder.runConfiguration(maskPath: mask, storage: storage.configuration)
            (caseIDs, make) = (builder.caseIDs, builder.makeCase)
        }
        let summary = try DatasetRun.write(command: "lesions", to: url, configuration: configuration,
                                           caseIDs: caseIDs, overwrite: overwrite, deflateLevel: storage.deflateLevel,
                                           deflateStrategy: storage.deflateStrategy, syncsToDisk: !storage.noFsync, make: make)
        var report = DatasetRunReport(summary: summary, shape: nil, seed: seed)
        if carvemix == nil { try report.countLesions(output: url, input: input, caseIDs: caseIDs, perCase: perCase) }
        print(json ? try PrettyJSON.string(report) : report.line(command: "lesions"))
    }

    private func runVolume(_ input: URL) throws {
        guard carvemix == nil else {
            throw MedSynthError(.invalidArgument, "--carvemix", "transplants between the cases of MedSynth datasets; the input \(self.in) is a NIfTI volume")
        }
        guard let mask else {
            throw MedSynthError(.invalidArgument, "--mask", "is required for a NIfTI input: lesions go where the mask is non-zero")
        }
        let outURL = URL(fileURLWithPath: out)
        guard FileFormatDetector.formatFromName(outURL) == .nifti1 else {
            throw MedSynthError(.invalidArgument, out, "the input is NIfTI, so the output is too; expected a name ending in .nii or .nii.gz")
        }
        var image = try VolumeIO.read(input).volume
        if let modality {
            guard let m = Modality(name: modality), m != .label, m != .unknown else {
                throw MedSynthError(.invalidArgument, "--modality", "'\(modality)' is not one of CT, T1, T2, FLAIR, PET")
            }
            image.modality = m
            image.unit = m.defaultUnit
        }
        var maskVolume = try VolumeIO.read(URL(fileURLWithPath: mask)).volume
        guard maskVolume.shape == image.shape else {
            throw MedSynthError(.mismatch, mask, "has shape \(maskVolume.shape); the input \(self.in) has \(image.shape)")
        }
        guard maskVolume.affine.isClose(to: image.affine, tolerance: 1e-2) else {
            throw MedSynthError(.mismatch, mask, "has the affine \(maskVolume.affine); the input \(self.in) has \(image.affine) (another orientation or origin: resample the mask onto the image's grid)")
        }
        maskVolume.affine = image.affine   // same grid; header rounding below 0.01 mm must not refuse it
        var labels: Volume? = nil
        if let label {
            var l = try VolumeIO.read(URL(fileURLWithPath: label)).volume
            guard l.shape == image.shape else {
                throw MedSynthError(.mismatch, label, "has shape \(l.shape); the input \(self.in) has \(image.shape)")
            }
            l.modality = .label
            l.unit = .label
            l.affine = image.affine
            labels = l
        }
        let inserter = try VolumeLesionInserter(settings: lesionSettings)
        let result: LesionInsertionResult
        do {
            result = try inserter.insert(into: [image], labels: labels, mask: maskVolume,
                                         using: SeededGenerator(seed: seed), count: perCase)
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, self.in, "\(e.subject.map { "\($0) " } ?? "")\(e.message)")
        }
        let labelURL = Self.labelURL(for: outURL)
        try VolumeIO.write(result.images[0], to: outURL)
        let maxLabel = result.labels.voxels.max() ?? 0
        try VolumeIO.write(result.labels, to: labelURL,
                           options: VolumeWriteOptions(niftiDataType: maxLabel <= 255 && (result.labels.voxels.min() ?? 0) >= 0 ? .uint8 : .int16))
        let report = VolumeLesionReport(input: self.in, output: out, labels: labelURL.path, seed: seed, lesions: result.lesions,
                                        dropped: result.dropped)
        if json {
            print(try PrettyJSON.string(report))
        } else {
            let volume = result.lesions.reduce(0) { $0 + $1.volumeMM3 }
            print(String(format: "medsynth lesions: %d lesion(s), %.0f mm³ in all, added to %@ → %@ (labels %@)",
                         result.lesions.count, volume, self.in, out, labelURL.path))
            for lesion in result.lesions {
                let cnr = (lesion.visibility ?? [:]).sorted { $0.key < $1.key }
                    .map { String(format: "%@ %.2f", $0.key, $0.value.cnr) }.joined(separator: ", ")
                let type = lesion.parameters?.type.map { " (\($0.rawValue))" } ?? ""
                print(String(format: "  lesion %d%@: %.0f mm³, CNR %@", lesion.index, type, lesion.volumeMM3, cnr)
                      + (lesion.keptInvisible.map { " — \($0)" } ?? ""))
            }
            for d in result.dropped {
                let type = d.parameters.type.map { "\($0.rawValue), " } ?? ""
                print("  dropped (\(type)drawn lesion \(d.drawIndex)): \(d.reason)")
            }
        }
    }

    /// `OUT_label.nii.gz` beside `OUT.nii(.gz)`.
    static func labelURL(for out: URL) -> URL {
        out.deletingLastPathComponent().appendingPathComponent(VolumeIO.stem(of: out) + "_label.nii.gz")
    }

    private func parseLabels(_ text: String) throws -> Set<Int> {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !values.isEmpty, values.count == parts.count else {
            throw MedSynthError(.invalidArgument, "--allowed-labels", "'\(text)' is not a comma-separated list of label values")
        }
        return Set(values)
    }
}

extension LesionDatasetBuilder.Method: ExpressibleByArgument {}

/// The summary of `medsynth lesions` on a volume.
struct VolumeLesionReport: Codable {
    var input: String
    var output: String
    var labels: String
    var seed: UInt64
    var lesions: [LesionRecord]
    /// Lesions placed but not inserted: invisible in every image (`--minimum-cnr`), with the reason.
    var dropped: [DroppedLesion]
}

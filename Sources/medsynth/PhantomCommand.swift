import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth phantom`: a MedSynth HDF5 dataset of head-phantom cases, optionally with lesions; atomic per case
/// and resumable.
struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Generate a dataset of multimodal head-phantom cases (optionally with lesions) as HDF5.",
        discussion: """
        Each case is /cases/caseNNN/{CT,T1,T2,FLAIR,PET,label} with provenance attributes (seed, drawn phantom parameters, lesion metadata); layout in docs/DATASET_FORMAT.md. Cases are committed one at a time: a run that is stopped (Ctrl-C, kill) and started again with the same arguments continues where it stopped. Different arguments on an existing file are refused unless --overwrite is given.

        Lesions (--lesions K): each case gets 1 to K lesions in the brain (centred in white matter), rendered through the phantom so partial volume, bias, blur and noise apply; label 10, or 11 necrotic core, 12 oedema, 13 enhancing rim with --sub-regions. --lesion-type NAME draws a named type instead: glioma, metastasis (both with sub-regions), haemorrhage, infarct or plaque, each with its size, shape and per-modality appearance from the literature (docs/TISSUE_PARAMETERS.md, "Lesion types"); phantom lesions have no internal heterogeneity (each part is one tissue).

        Acquisition: every case draws its own CT noise, MR TR/TE and noise, PET resolution and counts around the default settings (docs/TISSUE_PARAMETERS.md, "Acquisition variation per case"). --settings FILE.yaml overrides any phantom setting — only the keys it states (Configs/phantom-acquisition.yaml shows the acquisition keys); the file's text is part of the run's arguments.

        Examples:
          medsynth phantom --cases 20 --shape 64 128 128 --seed 7 --out Outputs/phantom.h5
          medsynth phantom --cases 20 --settings Configs/phantom-acquisition.yaml --out Outputs/phantom-1p5T.h5
          medsynth phantom --cases 100 --shape 128 256 256 --seed 1 --lesions 3 --sub-regions --out Outputs/lesions.h5
          medsynth phantom --cases 2 --shape 32 64 64 --seed 3 --lesions 2 --lesion-type haemorrhage --out Outputs/small_haemorrhage.h5
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5 --overwrite --json
          medsynth phantom --from-labels Tests/Fixtures/labels/aseg-ellipsoids.nii.gz --label-table aseg --cases 2 --out Outputs/from-labels.h5 --overwrite
          medsynth phantom --from-labels Tests/Fixtures/labels/aseg-ellipsoids.nii.gz --label-table Configs/labels-synthseg.yaml --cases 1 --domain-randomised --out Outputs/synthseg.h5 --overwrite

        From label maps (--from-labels FILE.nii.gz, or a .txt manifest with one NIfTI path per line): the brain is the label map's (FreeSurfer aseg, SynthSeg, or any segmentation whose values --label-table maps to grey_matter, deep_grey_matter, white_matter, ventricles, csf or background: the built-in tables aseg and synthseg, or a YAML file such as Configs/labels-freesurfer-aseg.yaml), undeformed; the phantom adds CSF, skull and scalp around it and renders CT, T1, T2, FLAIR and PET with drawn tissue properties, bias, noise and acquisition, --cases cases per label map, on the label map's own grid (its shape and affine, any axis order such as FreeSurfer's LIA) so they overlay it. Label values the table lacks are refused, naming them, unless --unknown-labels TISSUE maps them. --domain-randomised replaces the five images by SynthSeg-style random contrasts (random per-label intensities, resolution, bias, noise and gamma; values 0-1). --shape, --lesions and --sub-regions do not apply. Provenance names each label map by its SHA-256, and the command line recorded in the file has the --from-labels path replaced by that digest.
        """
    )

    @Option(help: "Number of cases.")
    var cases: Int

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Grid extents D H W (slices, rows, columns); the field of view stays an adult head's.", valueName: "d h w"))
    var shape: [Int] = [64, 128, 128]

    @Option(help: "Random seed (0 … 2^63-1); the same arguments give the same voxel data.")
    var seed: UInt64 = 2026

    @Option(help: "Up to K lesions per case (the count is drawn from 1...K); 0 for none.")
    var lesions: Int = 0

    @Flag(help: "Lesions with BraTS-like sub-regions (necrotic core 11, oedema 12, enhancing rim 13).")
    var subRegions = false

    @Option(help: "Median lesion radius in mm (log-normal, sigma of ln R 0.4; default 6, or the --lesion-type's median); radii are clamped to 0.42-2.5 times it (never narrower than the default 2.5-15 mm or the type's range, at most 100 mm).")
    var lesionRadius: Double?

    @Option(help: ArgumentHelp("A named lesion type with its own size, shape, parts and appearance: glioma, metastasis, haemorrhage, infarct or plaque (needs --lesions K).", valueName: "name"))
    var lesionType: String?

    @Option(help: ArgumentHelp("YAML (or JSON) file overriding phantom settings: acquisition (ct, mr, pet, acquisitionVariation), tissues, anatomy; only the keys it states.", valueName: "file"))
    var settings: String?

    @OptionGroup var fromLabels: PhantomFromLabelsOptions

    @OptionGroup var storage: DatasetStorageOptions

    @Option(help: "The output dataset file (.h5).")
    var out: String

    @Flag(help: "Replace an existing output instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard shape.count == 3, shape.allSatisfy({ $0 >= 8 && $0 <= 1024 }) else {
            throw ValidationError("--shape takes three extents D H W, each 8…1024; got \(shape)")
        }
        guard cases >= 1 && cases <= 100_000 else { throw ValidationError("--cases must be 1…100000, got \(cases)") }
        guard (0...100).contains(lesions) else { throw ValidationError("--lesions must be 0…100, got \(lesions)") }
        guard seed <= UInt64(Int64.max) else { throw ValidationError("--seed must be at most \(Int64.max), got \(seed)") }
        if subRegions && lesions == 0 { throw ValidationError("--sub-regions needs --lesions K with K >= 1") }
        try fromLabels.validate(lesions: lesions)
        if let lesionRadius, !(lesionRadius > 0 && lesionRadius.isFinite) {
            throw ValidationError("--lesion-radius must be positive, got \(lesionRadius)")
        }
        if let lesionType {
            do { _ = try LesionType(name: lesionType) } catch let e as MedSynthError { throw ValidationError(e.description) }
            if lesions == 0 { throw ValidationError("--lesion-type needs --lesions K with K >= 1") }
            if subRegions {
                throw ValidationError("--lesion-type sets the lesion's parts itself (glioma and metastasis have sub-regions, the others none); leave out --sub-regions")
            }
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: out)
        guard FileFormatDetector.formatFromName(url) == .hdf5 else {
            throw MedSynthError(.invalidArgument, out, "the dataset is HDF5; expected a name ending in .h5 or .hdf5")
        }
        if fromLabels.fromLabels != nil {
            try fromLabels.run(cases: cases, seed: seed, settingsPath: settings, out: url, storage: storage,
                               overwrite: overwrite, json: json)
            return
        }
        var arguments = PhantomDatasetBuilder.Arguments(cases: cases, shape: VolumeShape(depth: shape[0], height: shape[1], width: shape[2]),
                                                        seed: seed, lesions: lesions)
        arguments.subRegions = subRegions
        arguments.lesionRadiusMM = lesionRadius
        arguments.lesionType = try lesionType.map { try LesionType(name: $0) }
        if let path = settings {
            do {
                arguments.settings = (try String(contentsOfFile: path, encoding: .utf8), path)
            } catch {
                throw MedSynthError(.unreadable, path, "cannot read the phantom settings: \(error.localizedDescription)")
            }
        }
        let builder = try PhantomDatasetBuilder(arguments, commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        let configuration = PhantomDatasetBuilder.runConfiguration(arguments, storage: storage.configuration)
        let summary = try DatasetRun.write(command: "phantom", to: url, configuration: configuration, caseIDs: builder.caseIDs,
                                           overwrite: overwrite, deflateLevel: storage.deflateLevel, deflateStrategy: storage.deflateStrategy,
                                           syncsToDisk: !storage.noFsync, make: builder.makeCase)
        let report = DatasetRunReport(summary: summary, shape: shape, seed: seed)
        if json {
            print(try PrettyJSON.string(report))
        } else {
            print(report.line(command: "phantom"))
        }
    }
}

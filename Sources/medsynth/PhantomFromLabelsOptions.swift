import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// The `medsynth phantom --from-labels` options and run: the phantom rendered from users' label maps
/// (`LabelMapDatasetBuilder`).
struct PhantomFromLabelsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Render from a label map (NIfTI) or a .txt manifest of label maps (one path per line) instead of the template brain; --cases is then per label map.", valueName: "file"))
    var fromLabels: String?

    @Option(help: ArgumentHelp("Label table for --from-labels: aseg (FreeSurfer, the default), synthseg, or a YAML file mapping label values to tissues.", valueName: "name|file"))
    var labelTable: String = "aseg"

    @Option(help: ArgumentHelp("Map label values the table lacks to this tissue (background, grey_matter, deep_grey_matter, white_matter, ventricles, csf) instead of refusing them.", valueName: "tissue"))
    var unknownLabels: String?

    @Flag(help: "With --from-labels: SynthSeg-style domain-randomised images (random per-label intensities, resolution, bias, noise, gamma) instead of the phantom's physics.")
    var domainRandomised = false

    /// Checks the combination with the template-phantom options.
    func validate(lesions: Int) throws {
        guard fromLabels != nil else {
            if domainRandomised { throw ValidationError("--domain-randomised needs --from-labels FILE") }
            if unknownLabels != nil { throw ValidationError("--unknown-labels needs --from-labels FILE") }
            return
        }
        if lesions > 0 { throw ValidationError("--lesions does not apply with --from-labels (the brain is the label map's)") }
        if let unknownLabels, LabelTissue(rawValue: unknownLabels) == nil {
            throw ValidationError("--unknown-labels must be one of \(LabelTissue.allCases.map(\.rawValue).joined(separator: ", ")); got \(unknownLabels)")
        }
    }

    /// Writes the dataset.
    func run(cases: Int, seed: UInt64, settingsPath: String?, out: URL, storage: DatasetStorageOptions, overwrite: Bool,
             json: Bool) throws {
        let path = fromLabels!
        var arguments = LabelMapDatasetBuilder.Arguments(labelMaps: try LabelMapDatasetBuilder.labelMaps(from: path),
                                                         casesPerMap: cases, seed: seed)
        arguments.labelTable = labelTable
        arguments.unknownLabels = unknownLabels.flatMap(LabelTissue.init(rawValue:))
        arguments.domainRandomised = domainRandomised
        if let settingsPath {
            do {
                arguments.settings = (try String(contentsOfFile: settingsPath, encoding: .utf8), settingsPath)
            } catch {
                throw MedSynthError(.unreadable, settingsPath, "cannot read the phantom settings: \(error.localizedDescription)")
            }
        }
        // The recorded command line names the label map (or manifest) by its digest: its path may name a subject.
        let digest = "sha256:" + (try FileDigest.sha256Hex(of: URL(fileURLWithPath: path)))
        var words = CommandLine.arguments
        for n in words.indices.dropLast() where words[n] == "--from-labels" { words[n + 1] = digest }
        for n in words.indices where words[n].hasPrefix("--from-labels=") { words[n] = "--from-labels=" + digest }
        let builder = try LabelMapDatasetBuilder(arguments, commandLine: CaseProvenance.quotedCommandLine(words))
        let configuration = try LabelMapDatasetBuilder.runConfiguration(arguments, storage: storage.configuration)
        let summary = try DatasetRun.write(command: "phantom", to: out, configuration: configuration, caseIDs: builder.caseIDs,
                                           overwrite: overwrite, deflateLevel: storage.deflateLevel, deflateStrategy: storage.deflateStrategy,
                                           syncsToDisk: !storage.noFsync, make: builder.makeCase)
        let shape = builder.phantoms[0].labelMap.outputShape
        let report = DatasetRunReport(summary: summary, shape: [shape.depth, shape.height, shape.width], seed: seed)
        if json {
            print(try PrettyJSON.string(report))
        } else {
            print(report.line(command: "phantom"))
        }
    }
}

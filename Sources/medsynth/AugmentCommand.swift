import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedSynthesis

/// `medsynth augment`: a new MedSynth dataset with every case of the input augmented K times by a YAML pipeline.
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Augment every case of a MedSynth HDF5 dataset K times with a YAML pipeline.",
        discussion: """
        Each output case `<id>_aug<k>` is the source case after the pipeline (docs/AUGMENTATION.md): spatial steps move every modality and the label map together (labels by nearest neighbour), intensity and k-space steps change images only. Every case records its source case id and the transforms with their drawn parameters in its provenance (docs/DATASET_FORMAT.md). Atomic per case and resumable like `medsynth phantom`: run the same command again to continue; the pipeline file's content is part of the run's signature.

        Examples: the first makes a small dataset, the others augment it:
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5
          medsynth augment --in Outputs/small.h5 --config Configs/augment-default.yaml --per-case 2 --out Outputs/small_augmented.h5
          medsynth augment --in Outputs/small.h5 --per-case 1 --seed 9 --out Outputs/small_aug1.h5 --json
        """
    )

    @Option(help: "Input MedSynth HDF5 dataset.")
    var `in`: String

    @Option(help: "Augmentation pipeline (YAML), e.g. Configs/augment-default.yaml.")
    var config: String = "Configs/augment-default.yaml"

    @Option(help: "Augmented copies per input case.")
    var perCase: Int = 1

    @Option(help: "Random seed (0 … 2^63-1).")
    var seed: UInt64 = 2026

    @Option(help: "Output dataset (.h5), a new file.")
    var out: String

    @OptionGroup var storage: DatasetStorageOptions

    @Flag(help: "Replace an existing output instead of resuming it.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(perCase) else { throw ValidationError("--per-case must be 1…1000, got \(perCase)") }
        guard seed <= UInt64(Int64.max) else { throw ValidationError("--seed must be at most \(Int64.max), got \(seed)") }
    }

    func run() throws {
        let input = URL(fileURLWithPath: self.in), url = URL(fileURLWithPath: out)
        guard try FileFormatDetector.detect(input) == .hdf5 else {
            throw MedSynthError(.invalidArgument, self.in, "is not HDF5; expected a MedSynth dataset (medsynth phantom writes one)")
        }
        guard FileFormatDetector.formatFromName(url) == .hdf5 else {
            throw MedSynthError(.invalidArgument, out, "the dataset is HDF5; expected a name ending in .h5 or .hdf5")
        }
        guard input.standardizedFileURL.path != url.standardizedFileURL.path else {
            throw MedSynthError(.invalidArgument, out, "is the input; write the augmented dataset to a new file")
        }
        let configURL = URL(fileURLWithPath: config)
        let yaml: String
        do { yaml = try String(contentsOf: configURL, encoding: .utf8) } catch {
            throw MedSynthError(FileManager.default.fileExists(atPath: config) ? .unreadable : .notFound, config,
                                "cannot read the pipeline: \(error.localizedDescription)")
        }
        let pipeline: AugmentationPipeline
        do { pipeline = try AugmentationPipeline(yaml: yaml) } catch let e as MedSynthError {
            throw MedSynthError(e.kind, config, e.description)
        }
        let builder = try AugmentDatasetBuilder(source: input, pipeline: pipeline, perCase: perCase, seed: seed,
                                                commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        let configuration = builder.runConfiguration(pipelineYAML: yaml, storage: storage.configuration)
        let summary = try DatasetRun.write(command: "augment", to: url, configuration: configuration, caseIDs: builder.caseIDs,
                                           overwrite: overwrite, deflateLevel: storage.deflateLevel, deflateStrategy: storage.deflateStrategy,
                                           syncsToDisk: !storage.noFsync, make: builder.makeCase)
        let report = DatasetRunReport(summary: summary, shape: nil, seed: seed)
        print(json ? try PrettyJSON.string(report) : report.line(command: "augment"))
    }
}

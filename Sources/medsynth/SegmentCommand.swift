import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedInference
import MedTraining

/// `medsynth segment`: train a U-Net segmenter, and segment volumes with a trained one.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Train a U-Net segmenter and segment volumes with it.",
        discussion: """
        Examples: train, resume, then segment a small lesion dataset (made by the third and fourth lines):
          medsynth segment train --config Configs/unet-lesion.yaml
          medsynth segment train --name unet-lesion --resume
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --lesions 2 --out Outputs/small-lesions.h5
          medsynth convert Outputs/small-lesions.h5 Outputs/small-lesions_FLAIR.nii.gz --dataset /cases/case000/FLAIR
          medsynth segment predict --checkpoint Outputs/unet-lesion/checkpoints/best.h5 --in Outputs/small-lesions_FLAIR.nii.gz --out Outputs/small-lesions_predicted.nii.gz
        """,
        subcommands: [SegmentTrainCommand.self, SegmentPredictCommand.self]
    )
}

/// `medsynth segment train`: trains a segmenter from a YAML configuration into `OUTPUTS/<name>/`.
struct SegmentTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a 2-D or 3-D U-Net segmenter (Dice + cross-entropy, Adam) from a YAML configuration.",
        discussion: """
        Every setting has a default (docs/SEGMENTATION.md lists them); without `data.files` the run uses the built-in phantom with lesions, generated once under OUTPUTS/datasets/. The run folder OUTPUTS/NAME/ gets config.yaml, losses.csv, validation.csv (Dice and HD95 in mm per class on whole held-out volumes), checkpoints/{latest,best}.h5, samples/step-N.png, report.html and summary.json.

        Ctrl-C saves checkpoints/latest.h5 and stops; `--resume` continues exactly. A NaN or infinite loss stops the run and keeps the last good checkpoint.

        Examples:
          medsynth segment train --config Configs/unet-lesion.yaml
          medsynth segment train --config Configs/unet-lesion.yaml --name short --steps 100 --set seed=2
          medsynth segment train --name unet-lesion --resume
          medsynth segment train --config Configs/unet-lesion.yaml --name unet-t1-flair --set "data.modalities=[T1, FLAIR]"
        """
    )

    @OptionGroup var options: RunOptions

    func run() throws {
        let (directory, configPath, all) = try options.resolved(example: "unet-lesion")
        let resolved = try ConfigLoader.load(SegmentationRunConfig.self, file: configPath, overrides: all)
        let files = try BuiltInPhantomData.resolve(files: resolved.value.data.files, phantom: resolved.value.data.phantom,
                                                   outputs: options.outputs)
        let progress = TrainingProgressDisplay()
        progress.message("segment train: loading data and building the U-Net")
        let run = try SegmentationRun(configuration: resolved, files: files, directory: directory, resume: options.resume)
        if options.resume { progress.message("segment train: resuming \(directory.path) at step \(run.step) of \(resolved.value.training.steps)") }
        progress.message("segment train: \(run.dataset.trainingCaseCount) training cases, \(run.dataset.validationCases.count) held-out cases; patch \(run.dataset.patch.map(String.init).joined(separator: "×")); run folder \(directory.path)")

        let summary = try progress.run(run, logEvery: resolved.value.training.logEvery)
        if options.json {
            print(try PrettyJSON.string(summary))
        } else {
            var line = "medsynth segment train: \(summary.name) \(summary.task), step \(summary.steps)/\(summary.totalSteps)"
            if summary.interrupted { line += " (interrupted; continue with --name \(summary.name) --resume)" }
            line += String(format: " in %.0f s (%.2f steps/s)", summary.seconds, summary.stepsPerSecond)
            if let b = summary.best {
                line += String(format: "; best step %d: mean Dice %.4f", b.step, b.meanDice)
                for (c, n) in summary.classNames.enumerated() {
                    line += String(format: ", %@ HD95 %@", n, b.hd95MM[c].map { String(format: "%.2f mm", $0) } ?? "n/a")
                }
            }
            line += "; report \(summary.report)"
            print(line)
        }
        if summary.interrupted { throw ExitCode(130) }
    }
}

/// `medsynth segment predict`: segments NIfTI volumes or every case of a MedSynth HDF5 dataset.
struct SegmentPredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Segment volumes with a checkpoint of `medsynth segment train`.",
        discussion: """
        The checkpoint says which modalities it reads (in order), how they are normalised and what its classes are. Volumes (NIfTI, PNG, single-volume HDF5): give one --in per input modality; OUT is a label map (class indices: 0 background, 1… the trained classes; uint8 NIfTI) on the first input's grid with its affine. A MedSynth HDF5 dataset: one --in; OUT is a dataset with /cases/<id>/label for every case.

        Examples: a FLAIR segmenter and a T1 + FLAIR one are trained, a small dataset is made and its first case extracted, then segmented:
          medsynth segment train --config Configs/unet-lesion.yaml
          medsynth segment train --config Configs/unet-lesion.yaml --name unet-t1-flair --set "data.modalities=[T1, FLAIR]"
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --lesions 2 --out Outputs/small-lesions.h5
          medsynth convert Outputs/small-lesions.h5 Outputs/small-lesions_FLAIR.nii.gz --dataset /cases/case000/FLAIR
          medsynth convert Outputs/small-lesions.h5 Outputs/small-lesions_T1.nii.gz --dataset /cases/case000/T1
          medsynth segment predict --checkpoint Outputs/unet-lesion/checkpoints/best.h5 --in Outputs/small-lesions_FLAIR.nii.gz --out Outputs/small-lesions_predicted.nii.gz
          medsynth segment predict --checkpoint Outputs/unet-t1-flair/checkpoints/best.h5 --in Outputs/small-lesions_T1.nii.gz --in Outputs/small-lesions_FLAIR.nii.gz --out Outputs/small-lesions_predicted-t1-flair.nii.gz
          medsynth segment predict --checkpoint Outputs/unet-lesion/checkpoints/best.h5 --in Outputs/small-lesions.h5 --out Outputs/small-lesions_predicted.h5
        """
    )

    @Option(help: "A checkpoint of medsynth segment train (latest.h5, best.h5).")
    var checkpoint: String

    @Option(name: .customLong("in"), help: "An input volume per modality, or one MedSynth HDF5 dataset.")
    var inputs: [String] = []

    @Option(help: "The output: a volume file (.nii.gz, .nii, .h5) or, for a dataset input, a MedSynth dataset (.h5).")
    var out: String

    @Flag(help: "Replace an existing output.")
    var overwrite = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give --in FILE (one per input modality, or one MedSynth HDF5 dataset)") }
    }

    /// What `--json` prints.
    struct Summary: Codable {
        struct Case: Codable {
            var id: String
            var shape: [Int]
            /// Voxels per class name (background included).
            var voxels: [String: Int]
        }
        var checkpoint: String
        var output: String
        var modalities: [String]
        var classes: [String]
        var cases: [Case]
        var seconds: Double
    }

    /// Voxels per class name.
    static func counts(_ v: Volume, classNames: [String]) -> [String: Int] {
        var n = [Int](repeating: 0, count: classNames.count)
        for x in v.voxels { n[min(max(0, Int(x)), classNames.count - 1)] += 1 }
        return Dictionary(uniqueKeysWithValues: zip(classNames, n))
    }

    /// The cases the dataset writer's worker segmented, in order.
    final class CollectedCases: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [Summary.Case] = []
        var cases: [Summary.Case] { lock.lock(); defer { lock.unlock() }; return stored }
        func append(_ c: Summary.Case) { lock.lock(); stored.append(c); lock.unlock() }
    }

    func run() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let predictor = try SegmentationPredictor(checkpoint: URL(fileURLWithPath: checkpoint))
        let d = predictor.description
        let outURL = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: out) && !overwrite {
            throw MedSynthError(.invalidArgument, out, "exists; add --overwrite to replace it")
        }
        for path in inputs where !FileManager.default.fileExists(atPath: path) {
            throw MedSynthError(.notFound, path, "does not exist; expected an input volume or a MedSynth HDF5 dataset")
        }
        let first = URL(fileURLWithPath: inputs[0])
        var datasetInput = false
        if try FileFormatDetector.detect(first) == .hdf5, (try? MedSynthDataset.caseIDs(in: first))?.isEmpty == false {
            datasetInput = true
        }
        let classNames = ["background"] + d.classNames
        var cases: [Summary.Case] = []
        if datasetInput {
            guard inputs.count == 1 else {
                throw MedSynthError(.invalidArgument, "--in", "gives \(inputs.count) inputs, the first a MedSynth dataset; expected one dataset, or one volume per modality")
            }
            guard FileFormatDetector.formatFromName(outURL) == .hdf5 else {
                throw MedSynthError(.invalidArgument, out, "is not an .h5 file; a MedSynth dataset input gives a MedSynth dataset output")
            }
            let ids = try MedSynthDataset.caseIDs(in: first)
            nonisolated(unsafe) let model = predictor
            let input = first
            let configuration = DatasetRunConfiguration([
                "command": "segment predict", "checkpoint": URL(fileURLWithPath: checkpoint).standardizedFileURL.path,
                "checkpoint_step": String(d.step), "input": input.standardizedFileURL.path,
            ])
            let commandLine = CaseProvenance.quotedCommandLine(CommandLine.arguments)
            let made = CollectedCases()
            _ = try DatasetRun.write(command: "segment predict", to: outURL, configuration: configuration, caseIDs: ids,
                                     overwrite: overwrite) { index in
                let id = ids[index]
                let volumes = try d.modalities.map {
                    try HDF5VolumeStore.read(input, dataset: HDF5VolumeStore.datasetPath(caseID: id, modality: $0)).volume
                }
                let labels = try model.predict(volumes, subject: "\(input.path): case '\(id)'")
                made.append(Summary.Case(id: id, shape: [labels.shape.depth, labels.shape.height, labels.shape.width],
                                         voxels: Self.counts(labels, classNames: classNames)))
                return DatasetCase(id: id, volumes: [labels],
                                   provenance: CaseProvenance(commandLine: commandLine, seed: 0, caseIndex: index, sourceCaseID: id))
            }
            cases = made.cases
        } else {
            guard inputs.count == d.modalities.count else {
                throw MedSynthError(.invalidArgument, "--in", "gives \(inputs.count) volume\(inputs.count == 1 ? "" : "s"); the checkpoint reads \(d.modalities.count): \(d.modalities.map(\.rawValue).joined(separator: ", ")) (one --in each, in this order)")
            }
            let volumes = try inputs.map { try VolumeIO.read(URL(fileURLWithPath: $0)).volume }
            FileHandle.standardError.write(Data("segment predict: \(inputs.joined(separator: " + ")) (\(volumes[0].shape))\n".utf8))
            let labels = try predictor.predict(volumes, subject: inputs.joined(separator: " + "))
            let name = outURL.deletingPathExtension().deletingPathExtension().lastPathComponent
            try VolumeIO.write(labels, to: outURL, options: VolumeWriteOptions(niftiDataType: .uint8, caseID: name))
            cases = [Summary.Case(id: name, shape: [labels.shape.depth, labels.shape.height, labels.shape.width], voxels: Self.counts(labels, classNames: classNames))]
        }
        let summary = Summary(checkpoint: checkpoint, output: out, modalities: d.modalities.map(\.rawValue), classes: classNames,
                              cases: cases, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        if json {
            print(try PrettyJSON.string(summary))
        } else {
            let found = d.classNames.map { n in "\(n) \(cases.reduce(0) { $0 + ($1.voxels[n] ?? 0) }) voxels" }.joined(separator: ", ")
            print(String(format: "medsynth segment predict: %@: %d case%@ segmented (%@) in %.1f s",
                         out, cases.count, cases.count == 1 ? "" : "s", found, summary.seconds))
        }
    }
}

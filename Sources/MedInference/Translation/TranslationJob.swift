import Dispatch
import Foundation
import MedCore
import MedTraining
import MedIO

/// What `medsynth translate` was asked to do.
public struct TranslationRequest: Sendable {
    /// The checkpoint (written by `medsynth train`).
    public var checkpoint: URL
    /// A NIfTI volume, a PNG slice or a MedSynth dataset.
    public var input: URL
    /// `.nii`/`.nii.gz`/`.png` for a volume or slice, `.h5`/`.hdf5` for a dataset.
    public var output: URL
    /// Which way to translate.
    public var direction: TranslationDirection
    /// Batch size, noise seed, padding.
    public var options: TranslationOptions
    /// The input's modality when the file does not record it (NIfTI and PNG files from other tools);
    /// its unit becomes the modality's default unit.
    public var inputModality: Modality?
    /// Datasets: replace an existing output instead of resuming it.
    public var overwrite: Bool
    /// Datasets: deflate level of the output (nil: uncompressed).
    public var deflateLevel: Int?
    /// Datasets: how chunks are deflated.
    public var deflateStrategy: DeflateStrategy
    /// Datasets: `fsync` after each case.
    public var syncsToDisk: Bool
    /// Datasets: the command line recorded in each case's provenance.
    public var commandLine: String

    /// Creates a request (defaults: A→B, default options, deflate level 4 with run-length matching, fsync).
    public init(checkpoint: URL, input: URL, output: URL, direction: TranslationDirection = .aToB,
                options: TranslationOptions = TranslationOptions(), inputModality: Modality? = nil, overwrite: Bool = false,
                deflateLevel: Int? = HDF5VolumeStore.defaultDeflateLevel, deflateStrategy: DeflateStrategy = .runLength,
                syncsToDisk: Bool = true, commandLine: String = "") {
        self.checkpoint = checkpoint
        self.input = input
        self.output = output
        self.direction = direction
        self.options = options
        self.inputModality = inputModality
        self.overwrite = overwrite
        self.deflateLevel = deflateLevel
        self.deflateStrategy = deflateStrategy
        self.syncsToDisk = syncsToDisk
        self.commandLine = commandLine
    }
}

/// Translates a file with a checkpoint — what `medsynth translate` runs:
///
/// - **NIfTI volume** → NIfTI (float32, the input's NIfTI version; `.nii.gz` compressed) or, for one slice, PNG:
///   every axial slice translated (`VolumeTranslator`), the shape and the affine (sform, qform, pixdim) kept;
///   the data type, scaling and `descrip` (modality, unit) describe the new data.
/// - **PNG slice** → PNG (16-bit, window = the output mapping's window, so nothing the network can produce is
///   clipped; MedSynth's text chunk records window, modality, unit and spacing) or NIfTI.
/// - **MedSynth dataset** → a new dataset (`DatasetTranslationBuilder`, written by `MedSynthDatasetWriter`:
///   atomic per case, resumable, the same run signature required to resume).
///
/// Every output appears complete or not at all. Loading the checkpoint and reading a volume input run at the same
/// time (two threads); for datasets, case n + 1 is read and translated while case n is compressed and written.
public enum TranslationJob {
    /// Runs a request.
    /// - Parameters:
    ///   - request: what to translate.
    ///   - events: progress (called from the translating thread and, for datasets, the calling thread).
    /// - Returns: the summary.
    /// - Throws: `MedSynthError` naming the file or option at fault (see `VolumeTranslator`,
    ///   `DatasetTranslationBuilder`, the readers and writers); `.invalidArgument` for an output format that
    ///   does not fit the input (a dataset needs a dataset output, a volume cannot be written as a dataset, a PNG
    ///   holds one slice) or an output that is the input. Outputs are never left half-written.
    public static func run(_ request: TranslationRequest,
                           events: @escaping @Sendable (TranslationEvent) -> Void = { _ in }) throws -> TranslationSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        try request.options.validate()
        let (input, output) = (request.input, request.output)
        let inputFormat = try FileFormatDetector.detect(input)
        guard let outputFormat = FileFormatDetector.formatFromName(output) else {
            throw MedSynthError(.invalidArgument, output.path, "unknown output extension; expected .nii, .nii.gz or .png (volumes and slices) or .h5 (datasets)")
        }
        guard input.standardizedFileURL.path != output.standardizedFileURL.path else {
            throw MedSynthError(.invalidArgument, output.path, "is the input; write the translation to a new file")
        }
        try AtomicFile.checkWritableFolder(output.deletingLastPathComponent(), for: output)
        if inputFormat == .hdf5 {
            guard outputFormat == .hdf5 else {
                throw MedSynthError(.invalidArgument, output.path,
                                    "the input is an HDF5 dataset, so the output is a dataset too; expected a name ending in .h5 or .hdf5")
            }
            return try runDataset(request, start: start, events: events)
        }
        guard outputFormat != .hdf5 else {
            throw MedSynthError(.invalidArgument, output.path,
                                "an HDF5 output holds a translated dataset, but the input is a \(inputFormat.rawValue) file; expected .nii, .nii.gz or .png "
                                + "(or a MedSynth dataset as input)")
        }
        return try runVolume(request, outputFormat: outputFormat, start: start, events: events)
    }

    /// A NIfTI or PNG input.
    private static func runVolume(_ request: TranslationRequest, outputFormat: VolumeFileFormat, start: UInt64,
                                  events: @escaping @Sendable (TranslationEvent) -> Void) throws -> TranslationSummary {
        let (input, output) = (request.input, request.output)
        // Read the input while the checkpoint loads: both are single-threaded (gunzip / HDF5).
        nonisolated(unsafe) var read: Result<LoadedVolume, Error>?
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { read = Result { try VolumeIO.read(input) } }
        let built = Result { try VolumeTranslator(checkpoint: request.checkpoint, direction: request.direction, options: request.options) }
        reading.wait()
        var loaded = try read!.get()
        let translator = try built.get()

        if let modality = request.inputModality {
            if loaded.volume.modality == .unknown {
                loaded.volume.modality = modality
                loaded.volume.unit = modality.defaultUnit
            } else if loaded.volume.modality != modality {
                throw MedSynthError(.mismatch, input.path,
                                    "records modality \(loaded.volume.modality.rawValue), but --modality says \(modality.rawValue); expected them to agree (leave --modality out)")
            }
        }
        if outputFormat == .png, loaded.volume.shape.depth != 1 {
            throw MedSynthError(.invalidArgument, output.path,
                                "a PNG holds one slice, but the input has \(loaded.volume.shape.depth) (shape \(loaded.volume.shape)); expected a .nii or .nii.gz output")
        }
        let translated = try translator.translate(loaded.volume, subject: input.path) { events(.batch($0)) }
        switch outputFormat {
        case .png:
            let mapping = translated.outputMapping
            let window = try IntensityWindow(lowerValue: mapping.lowerValue, upperValue: mapping.upperValue)
            try PNGFile.write(translated.volume, to: output, bitDepth: 16, window: window)
        default:
            try NIfTIFile.write(translated.volume, to: output, dataType: .float32, version: loaded.format == .nifti2 ? 2 : 1)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let slices = loaded.volume.shape.depth
        return TranslationSummary(
            input: input.path, output: output.path, checkpoint: request.checkpoint.path, direction: request.direction.rawValue,
            model: translator.description.model.rawValue, inputModality: translator.inputModality.rawValue,
            outputModality: translator.outputModality.rawValue, outputUnit: translated.volume.unit.rawValue,
            format: loaded.format.rawValue, slices: slices, cases: nil, casesWritten: nil, casesSkipped: nil,
            seconds: seconds, translateSeconds: translated.seconds, slicesPerSecond: seconds > 0 ? Double(slices) / seconds : 0)
    }

    /// A MedSynth dataset input.
    private static func runDataset(_ request: TranslationRequest, start: UInt64,
                                   events: @escaping @Sendable (TranslationEvent) -> Void) throws -> TranslationSummary {
        let translator = try VolumeTranslator(checkpoint: request.checkpoint, direction: request.direction, options: request.options)
        let builder = try DatasetTranslationBuilder(source: request.input, translator: translator, commandLine: request.commandLine) {
            events(.batch($0))
        }
        let writer = try MedSynthDatasetWriter(
            url: request.output, configuration: builder.runConfiguration(deflateLevel: request.deflateLevel, deflateStrategy: request.deflateStrategy),
            plannedCaseCount: builder.caseIDs.count, overwrite: request.overwrite, deflateLevel: request.deflateLevel,
            deflateStrategy: request.deflateStrategy, syncsToDisk: request.syncsToDisk)
        if !writer.resumedCaseIDs.isEmpty {
            events(.resumed(present: writer.resumedCaseIDs.count, total: builder.caseIDs.count, file: request.output.path))
        }
        let written = try writer.writeMissing(caseIDs: builder.caseIDs, make: builder.makeCase) { events(.caseWritten($0)) }
        try writer.close()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let slices = builder.slicesTranslated
        let roles = translator.description.roles(request.direction)
        return TranslationSummary(
            input: request.input.path, output: request.output.path, checkpoint: request.checkpoint.path,
            direction: request.direction.rawValue, model: translator.description.model.rawValue,
            inputModality: roles.input.rawValue, outputModality: roles.output.rawValue, outputUnit: roles.outputMapping.unit.rawValue,
            format: VolumeFileFormat.hdf5.rawValue, slices: slices, cases: written.total, casesWritten: written.written,
            casesSkipped: written.skipped, seconds: seconds, translateSeconds: builder.translateSeconds,
            slicesPerSecond: seconds > 0 ? Double(slices) / seconds : 0)
    }
}

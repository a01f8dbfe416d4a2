import ArgumentParser
import Dispatch
import Foundation
import MedCore
import MedIO
import MedInference
import MedTraining

/// `medsynth translate`: a NIfTI volume, a PNG slice or every case of a MedSynth dataset through a trained
/// generator, back in physical units.
struct TranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate a NIfTI volume, a PNG slice or a MedSynth dataset with a checkpoint of `medsynth train`.",
        discussion: """
        The checkpoint says what it translates (its translator description: modalities, normalisation, output window, generator per direction). Volumes are translated axial slice by axial slice, in batches; slice sides are padded up to what the generator needs and cropped back. Outputs are in physical units: HU for CT, SUV for PET, the training's typical window for MR.

        - NIfTI in: NIfTI out (float32), same shape and affine; `.nii.gz` is compressed.
        - PNG in: PNG out (16-bit, the output window recorded in MedSynth's text chunk) or NIfTI.
        - MedSynth dataset in: a new dataset with, per case, the translated modality and the label map, with provenance (checkpoint, direction, training step). Atomic per case and resumable like `medsynth phantom`: run the same command again to continue.

        A conditional GAN's noise channels are drawn from --seed: the same seed gives the same bytes. Progress goes to stderr, the summary to stdout (--json: input, output, direction, slices, seconds, slices/s).

        Examples: a CT → T1 CycleGAN and a CT → PET conditional GAN are trained (runs go to Outputs/<name>/, checkpoints to Outputs/<name>/checkpoints/), sample files and a small dataset are made, then translated:
          medsynth train --config Configs/cyclegan-ct2t1.yaml
          medsynth train --config Configs/cgan-ct2pet.yaml
          medsynth sample
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5
          medsynth translate --checkpoint Outputs/cyclegan-ct2t1/checkpoints/latest.h5 --in Outputs/sample/case000_CT.nii.gz --out Outputs/sample/case000_T1_translated.nii.gz
          medsynth translate --checkpoint Outputs/cyclegan-ct2t1/checkpoints/best.h5 --in Outputs/sample/case000_T1.nii.gz --out Outputs/sample/case000_CT_translated.nii.gz --direction BtoA --batch 4
          medsynth translate --checkpoint Outputs/cgan-ct2pet/checkpoints/latest.h5 --in Outputs/sample/case000_CT_mid.png --out Outputs/sample/case000_PET_mid.png --seed 7
          medsynth translate --checkpoint Outputs/cyclegan-ct2t1/checkpoints/latest.h5 --in Outputs/small.h5 --out Outputs/small_T1_translated.h5 --json
        """
    )

    @Option(help: "Checkpoint written by `medsynth train` (generators + translator description).")
    var checkpoint: String

    @Option(help: "Input: a NIfTI volume (.nii, .nii.gz), a PNG slice or a MedSynth dataset (.h5).")
    var `in`: String

    @Option(help: "Output: .nii, .nii.gz or .png for a volume or slice, .h5 for a dataset.")
    var out: String

    @Option(help: "AtoB (modality A → B) or BtoA (CycleGAN checkpoints).")
    var direction: TranslationDirection = .aToB

    @Option(help: "Axial slices per network call.")
    var batch: Int = TranslationOptions.defaultBatchSize

    @Option(help: "Seed of the conditional GAN's noise channels (0 … 2^63-1).")
    var seed: UInt64 = 0

    @Option(help: "reflect or edge: how slice sides are padded up to what the generator needs.")
    var padding: TranslationOptions.Padding = .reflect

    @Option(help: "The input's modality when the file does not record it (CT, T1, T2, FLAIR, PET).")
    var modality: String?

    @Flag(help: "Datasets: replace an existing output instead of resuming it.")
    var overwrite = false

    @Flag(help: "Datasets: do not fsync after each case (a killed run still resumes; a power failure may lose cases).")
    var noFsync = false

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard (1...TranslationOptions.maximumBatchSize).contains(batch) else {
            throw ValidationError("--batch must be 1…\(TranslationOptions.maximumBatchSize), got \(batch)")
        }
        guard seed <= UInt64(Int64.max) else { throw ValidationError("--seed must be at most \(Int64.max), got \(seed)") }
        if let modality {
            guard let m = Modality(name: modality), m != .label, m != .unknown else {
                throw ValidationError("--modality must be one of CT, T1, T2, FLAIR, PET, got '\(modality)'")
            }
        }
    }

    func run() throws {
        let request = TranslationRequest(
            checkpoint: URL(fileURLWithPath: checkpoint), input: URL(fileURLWithPath: self.in), output: URL(fileURLWithPath: out),
            direction: direction, options: TranslationOptions(batchSize: batch, seed: seed, padding: padding),
            inputModality: modality.flatMap(Modality.init(name:)), overwrite: overwrite, syncsToDisk: !noFsync,
            commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        let reporter = TranslateProgressReporter()
        let summary: TranslationSummary
        do {
            defer { reporter.finish() }
            summary = try TranslationJob.run(request, events: reporter.report)
        }
        print(json ? try PrettyJSON.string(summary) : summary.line)
    }
}

extension TranslationDirection: ExpressibleByArgument {}
extension TranslationOptions.Padding: ExpressibleByArgument {}

/// Progress of `medsynth translate` on stderr, in the style of `ProgressReporter`: on a terminal one line
/// redrawn in place (a bar over the slices of the current volume, the rate, the time left; the case for
/// datasets), otherwise one plain line per batch and per written case. Events arrive from two threads.
final class TranslateProgressReporter: @unchecked Sendable {
    /// True when stderr is a terminal.
    let isTerminal: Bool
    private let lock = NSLock()
    private let start = DispatchTime.now().uptimeNanoseconds
    private var drewLine = false

    /// Creates a reporter (`isTerminal` defaults to `isatty(stderr)`).
    init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    /// Shows one event.
    func report(_ event: TranslationEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case let .resumed(present, total, file):
            emit("translate: resuming \(file): \(present) of \(total) cases already present", final: true)
        case let .batch(p):
            let left = p.slicesPerSecond > 0 ? Double(p.sliceCount - p.slicesDone) / p.slicesPerSecond : 0
            let caseText = p.caseID.map { id in
                p.caseIndex.flatMap { n in p.caseCount.map { "case \(n + 1)/\($0) \(id): " } } ?? "\(id): "
            } ?? ""
            if isTerminal {
                let filled = p.sliceCount > 0 ? ProgressReporter.barWidth * p.slicesDone / p.sliceCount : ProgressReporter.barWidth
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: ProgressReporter.barWidth - filled)
                emit(String(format: "%@[%@] %d/%d slices  %.2f slices/s  %@ left", caseText, bar, p.slicesDone, p.sliceCount,
                            p.slicesPerSecond, ProgressReporter.duration(left)), final: false)
            } else {
                emit(String(format: "translate: %@slices %d/%d (batch %d/%d, %.2f slices/s, about %@ left)", caseText, p.slicesDone,
                            p.sliceCount, p.batchesDone, p.batchCount, p.slicesPerSecond, ProgressReporter.duration(left)), final: true)
            }
        case let .caseWritten(p):
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rate = elapsed > 0 ? Double(p.written) / elapsed : 0
            let left = rate > 0 ? Double(p.total - p.completed) / rate : 0
            emit(String(format: "translate: %@ written (%d/%d cases, %.2f cases/s, about %@ left)", p.caseID, p.completed, p.total,
                        rate, ProgressReporter.duration(left)), final: true)
        }
    }

    /// Ends the display (a redrawn terminal line gets its newline).
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
        drewLine = false
    }

    private func emit(_ line: String, final: Bool) {
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\(final ? "\n" : "")".utf8))
            drewLine = !final
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }
}

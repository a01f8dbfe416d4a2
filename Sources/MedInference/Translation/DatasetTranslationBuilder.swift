import Foundation
import MedCore
import MedTraining
import MedIO

/// Makes the cases of a translated MedSynth dataset: every case of the source dataset with its input-modality
/// volume translated, for `MedSynthDatasetWriter.writeMissing` (atomic per case, resumable).
///
/// Output case n has the source case's id and holds the translated volume (the direction's output modality)
/// and, when the source case has one, its label map unchanged. The noise of a conditional GAN comes from
/// `SeededGenerator(seed: options.seed).split(n)` (slice k: `.split(n).split(k)`), so any case can be made
/// again alone — which is what lets an interrupted run resume.
///
/// Provenance: the source case id; the source's phantom parameters and lesion metadata carried over unchanged
/// (the geometry is the source's); the source's transforms followed by one entry
/// `{"step": <position>, "transform": "translate", "parameters": {…}}` whose parameters name the checkpoint
/// (path and weights fingerprint), the model, direction, network, training step, the input's fitted window and
/// the output window, and the noise seed.
public final class DatasetTranslationBuilder: @unchecked Sendable {
    /// The source dataset.
    public let source: URL
    /// The source's case ids, in order (the output's too).
    public let caseIDs: [String]
    /// The translator (calls are serialised by its lock).
    public let translator: VolumeTranslator
    /// The command line recorded in provenance.
    public let commandLine: String
    /// The weights' fingerprint (`VolumeTranslator.weightsFingerprint()`), recorded in provenance and in the
    /// run configuration.
    public let weightsFingerprint: String
    /// Called after each batch of slices (from the thread that makes the case).
    public let progress: @Sendable (TranslationProgress) -> Void

    private let lock = NSLock()
    private var translatedSlices = 0
    private var translatingSeconds = 0.0

    /// Lists the source's cases.
    /// - Parameters:
    ///   - source: a MedSynth dataset.
    ///   - translator: the translator to run.
    ///   - commandLine: recorded in each case's provenance.
    ///   - progress: called after each batch.
    /// - Throws: `MedSynthError` naming `source` when it cannot be listed or holds no case.
    public init(source: URL, translator: VolumeTranslator, commandLine: String,
                progress: @escaping @Sendable (TranslationProgress) -> Void = { _ in }) throws {
        self.source = source
        caseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !caseIDs.isEmpty else {
            throw MedSynthError(.invalidArgument, source.path, "has no cases under /\(MedSynthDataset.casesGroup); expected a MedSynth dataset with at least one case")
        }
        self.translator = translator
        self.commandLine = commandLine
        self.progress = progress
        weightsFingerprint = translator.weightsFingerprint()
    }

    /// The arguments that determine the output's content, for the writer's run signature: the input and its
    /// cases, the checkpoint (path, weights fingerprint, training step), the direction, the noise seed and
    /// padding, and the storage options.
    public func runConfiguration(deflateLevel: Int?, deflateStrategy: DeflateStrategy) -> DatasetRunConfiguration {
        DatasetRunConfiguration([
            "command": "translate", "input": source.standardizedFileURL.path, "input_cases": caseIDs.joined(separator: ","),
            "checkpoint": URL(fileURLWithPath: translator.checkpoint).standardizedFileURL.path,
            "checkpoint_weights": weightsFingerprint, "training_step": String(translator.description.step),
            "direction": translator.direction.rawValue, "seed": String(translator.options.seed),
            "padding": translator.options.padding.rawValue,
            "deflate_level": deflateLevel.map(String.init) ?? "none", "deflate_strategy": deflateStrategy.rawValue,
        ])
    }

    /// Slices translated so far by `makeCase`.
    public var slicesTranslated: Int {
        lock.lock()
        defer { lock.unlock() }
        return translatedSlices
    }

    /// Seconds spent translating (normalising, network, mapping back) by `makeCase` so far.
    public var translateSeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        return translatingSeconds
    }

    /// Makes output case `index`.
    /// - Throws: `MedSynthError` naming the source: the case cannot be read, has no volume of the translator's
    ///   input modality (listing what it has), or cannot be translated (see `VolumeTranslator.translate`).
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let id = caseIDs[index]
        let stored = try MedSynthDataset.readCase(id, in: source)
        let modality = translator.inputModality
        guard let input = stored.volume(modality) else {
            throw MedSynthError(.mismatch, source.path,
                                "case '\(id)' has no \(modality.rawValue) volume (it holds \(stored.volumes.map(\.modality.rawValue).joined(separator: ", "))); "
                                + "the checkpoint's \(translator.direction.rawValue) generator translates \(translator.description.summary(translator.direction))")
        }
        let translated = try translator.translate(input, subject: "\(source.path): case '\(id)' \(modality.rawValue)",
                                                  noise: SeededGenerator(seed: translator.options.seed).split(UInt64(index)),
                                                  caseID: id) { [caseCount = caseIDs.count, progress] in
            var p = $0
            (p.caseIndex, p.caseCount) = (index, caseCount)
            progress(p)
        }
        lock.lock()
        translatedSlices += input.shape.depth
        translatingSeconds += translated.seconds
        lock.unlock()

        var volumes = [translated.volume]
        if let labels = stored.volume(.label) { volumes.append(labels) }
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(truncatingIfNeeded: translator.options.seed), caseIndex: index, sourceCaseID: id,
            phantomParametersJSON: stored.provenance?.phantomParametersJSON ?? "null",
            lesionsJSON: stored.provenance?.lesionsJSON ?? "[]",
            transformsJSON: try transformsJSON(after: stored.provenance?.transformsJSON, translated: translated))
        return DatasetCase(id: id, volumes: volumes, provenance: provenance)
    }

    /// The source's transforms followed by this translation's entry.
    private func transformsJSON(after sourceJSON: String?, translated: TranslatedVolume) throws -> String {
        var transforms: [Any] = []
        if let sourceJSON, let old = try? JSONSerialization.jsonObject(with: Data(sourceJSON.utf8)) as? [Any] { transforms = old }
        let d = translator.description
        func window(_ m: IntensityMapping) -> [String: Any] {
            ["modality": m.modality.rawValue, "unit": m.unit.rawValue, "lowerValue": m.lowerValue, "upperValue": m.upperValue,
             "normalization": m.normalization.description]
        }
        let parameters: [String: Any] = [
            "checkpoint": URL(fileURLWithPath: translator.checkpoint).standardizedFileURL.path,
            "checkpointWeights": weightsFingerprint, "model": d.model.rawValue, "direction": translator.direction.rawValue,
            "network": translator.networkName, "trainingStep": d.step,
            "inputModality": translator.inputModality.rawValue, "outputModality": translator.outputModality.rawValue,
            "inputWindow": window(translated.inputMapping), "outputWindow": window(translated.outputMapping),
            "noiseChannels": d.noiseChannels, "seed": NSNumber(value: translator.options.seed),
            "padding": translator.options.padding.rawValue,
            "paddedSize": [translated.paddedSize.height, translated.paddedSize.width],
        ]
        transforms.append(["step": transforms.count, "transform": "translate", "parameters": parameters] as [String: Any])
        let data = try JSONSerialization.data(withJSONObject: transforms, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

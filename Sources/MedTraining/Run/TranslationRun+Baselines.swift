import Foundation
import MedCore
import MedIO
import MedTensor

/// The two baselines a trained translator must beat, scored exactly as validation scores the network
/// (`TranslationRun.score`): the untrained network (step 0, the seeded initial weights), and the best affine
/// intensity mapping of the input, ŷ = a·x + b in physical units, fitted by least squares on the held-out
/// slices themselves (inside the head) — an oracle fit, so no affine mapping of the input does better there.
public struct TranslationBaselines: Codable, Sendable {
    public var untrained: ValidationResult
    public var affine: ValidationResult
    /// The fitted slope and intercept (output unit per input unit, output unit).
    public var affineSlope: Double
    public var affineIntercept: Double
}

/// What a peer implementation needs to train and validate on exactly the same data (`split.json` in the run
/// folder; `benchmarks/torch_translation_quality.py` reads it): the files, the training slices, the held-out
/// slices with their crops, every case's normalisation window, and the window the output is mapped back with.
struct TranslationSplit: Codable {
    struct Window: Codable {
        var lower: Double
        var upper: Double
    }

    struct CaseEntry: Codable {
        var file: Int
        var caseID: String
        var windowA: Window
        var windowB: Window
        /// Slices the sampler draws from (training cases), or [] for held-out cases.
        var trainingSlices: [Int]
    }

    var files: [String]
    var modalityA: String
    var modalityB: String
    var pairing: String
    var cropSize: Int
    var randomFlip: Bool
    var batchSize: Int
    var trainingCases: [CaseEntry]
    var validationCases: [CaseEntry]
    /// The held-out slices in validation order, with their crops.
    var validationSlices: [SliceSample]
    /// The output modality's window (physical = lower + (n + 1)/2·(upper − lower)).
    var outputWindowB: Window
    var outputUnitB: String
    /// The head mask of a held-out slice is label > 0 of the case's `label` volume.
    var maskRule: String
}

extension TranslationRun {
    public var baselinesFile: URL { directory.appendingPathComponent("baselines.json") }
    var splitFile: URL { directory.appendingPathComponent("split.json") }

    /// Scores both baselines (call before the first step for the untrained network) and writes baselines.json.
    @discardableResult
    public func scoreBaselines() throws -> TranslationBaselines {
        precondition(step == 0, "the untrained baseline is only defined before the first step")
        let untrained = try validate()
        // Least squares over every head voxel of every held-out slice, in physical units.
        var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for batch in dataset.validationBatches(batchSize: config.training.validationBatchSize) {
            for i in 0..<batch.samples.count {
                let x = batch.mappingsA[i].physicalValues(of: batch.a.sliced(axis: 0, i..<(i + 1)))
                let y = batch.mappingsB[i].physicalValues(of: batch.b.sliced(axis: 0, i..<(i + 1)))
                let inside = batch.headMasks[i]
                for v in 0..<x.count where inside == nil || inside![v] {
                    let (xv, yv) = (Double(x[v]), Double(y[v]))
                    n += 1; sx += xv; sy += yv; sxx += xv * xv; sxy += xv * yv
                }
            }
        }
        let variance = sxx - sx * sx / max(n, 1)
        let slope = variance > 0 ? (sxy - sx * sy / n) / variance : 0
        let intercept = (sy - slope * sx) / max(n, 1)
        let (lower, upper) = (Float(outputMapping.lowerValue), Float(outputMapping.upperValue))
        let affine = try score(writeSamples: false) { batch in
            (0..<batch.samples.count).map { i in
                batch.mappingsA[i].physicalValues(of: batch.a.sliced(axis: 0, i..<(i + 1))).map {
                    min(upper, max(lower, Float(slope * Double($0) + intercept)))   // the networks' outputs are in the window too
                }
            }
        }
        let baselines = TranslationBaselines(untrained: untrained, affine: affine, affineSlope: slope, affineIntercept: intercept)
        let encoder = runJSONEncoder()
        try RunFiles.writeAtomically(String(decoding: try encoder.encode(baselines), as: UTF8.self) + "\n", to: baselinesFile)
        return baselines
    }

    /// Writes split.json (see `TranslationSplit`).
    func writeSplit() throws {
        func window(_ m: IntensityMapping) -> TranslationSplit.Window { .init(lower: m.lowerValue, upper: m.upperValue) }
        let training = Set(dataset.entriesA.map(\.caseIndex))
        func entry(_ index: Int) -> TranslationSplit.CaseEntry {
            let c = dataset.cases[index]
            let slices = training.contains(index) ? dataset.entriesA.filter { $0.caseIndex == index }.map(\.slice) : []
            return .init(file: c.fileIndex, caseID: c.caseID, windowA: window(c.mappingA), windowB: window(c.mappingB),
                         trainingSlices: slices)
        }
        let samples = dataset.validationEntries.map { dataset.validationSample($0) }
        let split = TranslationSplit(
            files: dataset.files.map { $0.standardizedFileURL.path },
            modalityA: config.data.slices.modalityA.rawValue, modalityB: config.data.slices.modalityB.rawValue,
            pairing: config.data.slices.pairing.rawValue, cropSize: config.data.slices.cropSize ?? 0,
            randomFlip: config.data.slices.randomFlip, batchSize: config.data.slices.batchSize,
            trainingCases: (0..<dataset.trainingCaseCount).map(entry),
            validationCases: (dataset.trainingCaseCount..<dataset.cases.count).map(entry),
            validationSlices: samples, outputWindowB: window(outputMapping), outputUnitB: outputMapping.unit.rawValue,
            maskRule: "label > 0")
        let encoder = runJSONEncoder()
        try RunFiles.writeAtomically(String(decoding: try encoder.encode(split), as: UTF8.self) + "\n", to: splitFile)
    }
}

/// The run's JSON files: pretty, sorted, with infinite PSNR (identical images) written as "inf".
public func runJSONEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
}

/// Reads what `runJSONEncoder` writes.
public func runJSONDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
}

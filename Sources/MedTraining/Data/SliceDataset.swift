import Foundation
import MedCore
import MedIO
import MedTensor

/// Axial 2-D training slices drawn from one or more MedSynth HDF5 datasets (docs/DATASET_FORMAT.md) by
/// modality name, as [N, 1, H, W] tensors in [−1, 1].
///
/// ```swift
/// var options = SliceDatasetOptions(modalityA: .ct, modalityB: .t1, pairing: .paired)
/// options.cropSize = 128
/// let data = try SliceDataset(files: [url], options: options, generator: SeededGenerator(seed: 7))
/// let batch = data.nextBatch()                   // batch.a, batch.b: [1, 1, 128, 128]
/// checkpoint.samplerState = data.samplerState    // … later: try data.restore(saved)
/// for v in data.validationBatches() { … v.mappingsB[0].physicalValues(of: output) … }
/// ```
///
/// - **Cases.** Every case of every file must hold both modalities (`/cases/<id>/<modality>`); cases are split
///   into training and validation by source case (`CaseSplit`), so held-out cases never train.
/// - **Normalisation.** Each volume is normalised once with its modality's `IntensityNormalization`; the fitted
///   `IntensityMapping`s are kept per case (`mapping(of:)`, validation batches) and summarised for new inputs
///   (`typicalMapping(_:)`).
/// - **Sampling.** Training draws go through shuffled passes (epochs) over the eligible slices: paired mode
///   one order of (case, slice) pairs; unpaired mode one order for A and an independent one for B. Each
///   sample gets a random square crop (`cropSize`) and a left–right flip (`randomFlip`), the same for both
///   images of a pair. Slices with less foreground than `minimumForegroundFraction` are never drawn.
/// - **Determinism.** Every draw comes from split streams of the generator passed in (`SliceSamplerState`):
///   the same generator gives byte-identical batches, and a restored state continues exactly.
/// - **Label maps.** Batches carry the training slices' label values (`SliceBatch.labels`, cropped and flipped
///   as A) only when asked (`labelMapsRequiredBy`, for the lesion-weighted L1 term); every case must then hold
///   a `label` volume of A's shape. Otherwise nothing about the draws changes.
/// - **Memory.** Both normalised volumes of every case stay in memory as Float32 for the whole run, read once
///   at construction (label maps are read, reduced to per-slice foreground fractions and dropped, unless batches
///   carry them): `cachedByteCount` = Σ over cases of 4 bytes × (A's + B's voxels, + the training label map's
///   when carried) — 64 MiB for 8 cases of 64×128×128 (2 modalities), 512 MiB for 8 cases of 128×256×256. The
///   HDF5 files are not touched after `init`.
public final class SliceDataset {
    /// Which modality of a pair.
    public enum Domain: String, Sendable, CaseIterable {
        /// Modality A (the translation's input for A→B).
        case a = "A"
        /// Modality B.
        case b = "B"
    }

    /// The dataset files, in the order given (`SliceSample.fileIndex` indexes this).
    public let files: [URL]
    /// The options the dataset was built with.
    public let options: SliceDatasetOptions
    /// Modality A's normalisation rule (resolved).
    public let normalizationA: IntensityNormalization
    /// Modality B's normalisation rule (resolved).
    public let normalizationB: IntensityNormalization

    /// Every loaded case: training ones first, then validation ones, each part in (file, case id) order.
    let cases: [CachedCase]
    /// `cases[0..<trainingCaseCount]` train; the rest validate.
    let trainingCaseCount: Int
    /// Training draws of A (paired: of the pairs): (case index, slice), in (file, case, slice) order.
    let entriesA: [SliceRef]
    /// Training draws of B (unpaired only; equal to `entriesA` in paired mode).
    let entriesB: [SliceRef]
    /// Validation slices (after the `validationSlices` subset), in (file, case, slice) order.
    let validationEntries: [SliceRef]
    /// The index in `cases` of each (file, case id).
    private let caseIndexByKey: [CaseKey: Int]

    /// Whether training batches carry label maps (`SliceBatch.labels`).
    public let carriesLabelMaps: Bool
    private var state: SliceSamplerState
    private var orderCache: [Int: (epoch: Int, order: [Int])] = [:]

    /// A case of one file.
    struct CaseKey: Hashable {
        var fileIndex: Int
        var caseID: String
    }

    /// A case index and a slice.
    struct SliceRef: Equatable {
        var caseIndex: Int
        var slice: Int
    }

    // Split-stream indices of the sampler's generator.
    private static let orderStreamA: UInt64 = 1
    private static let orderStreamB: UInt64 = 2
    private static let cropStreamA: UInt64 = 3
    private static let cropStreamB: UInt64 = 4

    /// Lists, splits, reads and normalises the cases of `files`.
    /// - Parameters:
    ///   - files: MedSynth HDF5 datasets (`medsynth phantom`, `lesions`, `augment`, `demo`, `convert`).
    ///   - options: modalities, pairing, normalisation, split, crop, filtering, batch size.
    ///   - generator: the source of every training draw (shuffles, crops, flips); the split uses
    ///     `options.splitSeed` instead.
    ///   - labelMapsRequiredBy: nil (the default): batches carry no label maps. Otherwise the setting that needs
    ///     them, quoted in the error for a case without one (`"network.lesionL1Weight = 20"`): every training
    ///     batch then carries its label values (`SliceBatch.labels`).
    /// - Throws: `MedSynthError`: `.invalidArgument` for bad options (naming the option), too few cases for the
    ///   split, a crop larger than a slice or a batch of slices of different sizes, no eligible slice left;
    ///   `.notFound` naming the file and case when a modality is missing (listing those present), or the label
    ///   map that `labelMapsRequiredBy` asks for; `.mismatch` for paired volumes of different shapes or geometry,
    ///   or a carried label map of another shape; HDF5 and normalisation errors.
    public init(files: [URL], options: SliceDatasetOptions, generator: SeededGenerator,
                labelMapsRequiredBy: String? = nil) throws {
        try options.validate()
        self.files = files
        self.options = options
        let (normalizationA, normalizationB) = (options.resolvedNormalizationA, options.resolvedNormalizationB)
        self.normalizationA = normalizationA
        self.normalizationB = normalizationB

        let listings = try Self.listCases(files, options: options, labelMapsRequiredBy: labelMapsRequiredBy)
        let groups = Self.sourceGroups(listings)
        let describe = files.count == 1 ? files[0].path : "the \(files.count) files"
        let held = try CaseSplit.validationGroups(Set(groups), fraction: options.validationFraction,
                                                  seed: options.splitSeed, describe: describe)
        let training = listings.indices.filter { !held.contains(groups[$0]) }
        let validation = listings.indices.filter { held.contains(groups[$0]) }
        var cases: [CachedCase] = []
        for (n, i) in (training + validation).enumerated() {
            let l = listings[i]
            cases.append(try Self.loadCase(l, url: files[l.fileIndex], options: options,
                                           normalizationA: normalizationA, normalizationB: normalizationB,
                                           keepHeadMask: n >= training.count,
                                           keepLabels: labelMapsRequiredBy != nil && n < training.count))
        }
        self.cases = cases
        trainingCaseCount = training.count
        caseIndexByKey = Dictionary(uniqueKeysWithValues: cases.enumerated().map { (CaseKey(fileIndex: $1.fileIndex, caseID: $1.caseID), $0) })

        let trainingRange = 0..<training.count
        entriesA = trainingRange.flatMap { c in cases[c].eligibleA.map { SliceRef(caseIndex: c, slice: $0) } }
        entriesB = options.pairing == .paired
            ? entriesA : trainingRange.flatMap { c in cases[c].eligibleB.map { SliceRef(caseIndex: c, slice: $0) } }
        let validationPairs = (training.count..<cases.count).flatMap { c in
            let b = Set(cases[c].eligibleB)
            return cases[c].eligibleA.filter(b.contains).map { SliceRef(caseIndex: c, slice: $0) }
        }
        validationEntries = Self.evenlySpaced(validationPairs, count: options.validationSlices)
        try Self.checkSizes(cases: cases, trainingCaseCount: training.count, options: options, files: files)
        try Self.checkNotEmpty(entriesA: entriesA, entriesB: entriesB, validation: validationEntries,
                               validationCases: validation.count, options: options, describe: describe)

        let signature = Self.signature(options: options, cases: cases, entriesA: entriesA, entriesB: entriesB)
        state = SliceSamplerState(generator: generator, datasetSignature: signature)
        carriesLabelMaps = labelMapsRequiredBy != nil
    }

    // MARK: - What was loaded

    /// The training cases as (file index, case id), in (file, case id) order.
    public var trainingCases: [(fileIndex: Int, caseID: String)] {
        cases[0..<trainingCaseCount].map { ($0.fileIndex, $0.caseID) }
    }

    /// The held-out cases as (file index, case id), in (file, case id) order.
    public var validationCases: [(fileIndex: Int, caseID: String)] {
        cases[trainingCaseCount...].map { ($0.fileIndex, $0.caseID) }
    }

    /// Training slices of A (paired mode: training pairs) that can be drawn.
    public var trainingSliceCountA: Int { entriesA.count }
    /// Training slices of B that can be drawn (paired mode: equal to `trainingSliceCountA`).
    public var trainingSliceCountB: Int { entriesB.count }
    /// Slices `validationBatches` yields.
    public var validationSliceCount: Int { validationEntries.count }

    /// Bytes of normalised voxels held in memory (see the type's documentation).
    public var cachedByteCount: Int { cases.reduce(0) { $0 + $1.byteCount } }

    /// The normalisation rule of a domain.
    public func normalization(_ domain: Domain) -> IntensityNormalization {
        domain == .a ? normalizationA : normalizationB
    }

    /// The fitted mapping of one case's volume, nil for a case that was not loaded.
    public func mapping(_ domain: Domain, fileIndex: Int, caseID: String) -> IntensityMapping? {
        guard let i = caseIndexByKey[CaseKey(fileIndex: fileIndex, caseID: caseID)] else { return nil }
        return domain == .a ? cases[i].mappingA : cases[i].mappingB
    }

    /// The mapping to use for a domain's volumes that have no fitted window of their own (a translation's
    /// output on new data): the rule's fixed window (CT, PET), or for per-volume rules (MR) the median lower
    /// and median upper bound over the training volumes. Save it with a run for `translate`.
    public func typicalMapping(_ domain: Domain) -> IntensityMapping {
        let training = cases[0..<trainingCaseCount].map { domain == .a ? $0.mappingA : $0.mappingB }
        let first = training[0]
        if let fixed = normalization(domain).fixedMapping(modality: first.modality) { return fixed }
        func median(_ values: [Double]) -> Double {
            let s = values.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let lower = median(training.map(\.lowerValue)), upper = median(training.map(\.upperValue))
        // Medians of valid windows keep lower < upper: each window has lower < upper, so the median of the
        // lowers is below the median of the uppers.
        return try! IntensityMapping(modality: first.modality, unit: first.unit, lowerValue: lower, upperValue: upper,
                                     normalization: first.normalization)
    }

    // MARK: - Training draws

    /// Where the sampler stands: save it with a checkpoint to resume the same draws.
    public var samplerState: SliceSamplerState { state }

    /// Continues from a saved state.
    /// - Throws: `MedSynthError(.mismatch)` when the state was made for other options or other training slices
    ///   (its `datasetSignature` differs), `.invalidArgument` for negative counters.
    public func restore(_ saved: SliceSamplerState) throws {
        guard saved.datasetSignature == state.datasetSignature else {
            throw MedSynthError(.mismatch, "sampler state",
                                "was saved for data with signature \(saved.datasetSignature), but these files and options give \(state.datasetSignature); expected the same dataset files and data options as the saved run")
        }
        guard saved.epochA >= 0, saved.epochB >= 0, saved.samplesDrawn >= 0,
              (0...entriesA.count).contains(saved.positionA), (0...entriesB.count).contains(saved.positionB) else {
            throw MedSynthError(.invalidArgument, "sampler state",
                                "has counters out of range (epochs \(saved.epochA), \(saved.epochB); positions \(saved.positionA)/\(entriesA.count), \(saved.positionB)/\(entriesB.count); samples \(saved.samplesDrawn))")
        }
        state = saved
    }

    /// The next training batch: `options.batchSize` samples, [N, 1, H, W] each side.
    public func nextBatch() -> SliceBatch {
        var samplesA: [SliceSample] = [], samplesB: [SliceSample] = []
        for _ in 0..<options.batchSize {
            let n = UInt64(state.samplesDrawn)
            state.samplesDrawn += 1
            let refA = nextEntry(stream: Self.orderStreamA)
            let sampleA = drawCrop(refA, domain: .a, stream: state.generator.split(Self.cropStreamA).split(n))
            samplesA.append(sampleA)
            if options.pairing == .paired {
                samplesB.append(sampleA)
            } else {
                let refB = nextEntry(stream: Self.orderStreamB)
                samplesB.append(drawCrop(refB, domain: .b, stream: state.generator.split(Self.cropStreamB).split(n)))
            }
        }
        return SliceBatch(a: tensor(samplesA, domain: .a), b: tensor(samplesB, domain: .b),
                          labels: carriesLabelMaps ? labelTensor(samplesA) : nil, samplesA: samplesA, samplesB: samplesB)
    }

    /// The next (case, slice) of a stream's shuffled pass, starting a new pass when one ends.
    private func nextEntry(stream: UInt64) -> SliceRef {
        let isA = stream == Self.orderStreamA
        let entries = isA ? entriesA : entriesB
        var (epoch, position) = isA ? (state.epochA, state.positionA) : (state.epochB, state.positionB)
        if position >= entries.count { (epoch, position) = (epoch + 1, 0) }
        let ref = entries[order(stream: stream, epoch: epoch, count: entries.count)[position]]
        position += 1
        if isA { (state.epochA, state.positionA) = (epoch, position) } else { (state.epochB, state.positionB) = (epoch, position) }
        return ref
    }

    /// The permutation of pass `epoch` of a stream (Fisher–Yates with `generator.split(stream).split(epoch)`).
    private func order(stream: UInt64, epoch: Int, count: Int) -> [Int] {
        if let cached = orderCache[Int(stream)], cached.epoch == epoch { return cached.order }
        var g = state.generator.split(stream).split(UInt64(epoch))
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, CaseSplit.uniformIndex(i + 1, &g)) }
        orderCache[Int(stream)] = (epoch, order)
        return order
    }

    /// Draws the crop origin and flip of one sample from its own stream (row, then column, then flip).
    private func drawCrop(_ ref: SliceRef, domain: Domain, stream: SeededGenerator) -> SliceSample {
        var g = stream
        let c = cases[ref.caseIndex]
        let shape = domain == .a ? c.shapeA : c.shapeB
        let (h, w) = (options.cropSize ?? shape.height, options.cropSize ?? shape.width)
        let row = CaseSplit.uniformIndex(shape.height - h + 1, &g)
        let column = CaseSplit.uniformIndex(shape.width - w + 1, &g)
        let coin = g.next() >> 63
        let flip = options.randomFlip && coin == 1
        return SliceSample(fileIndex: c.fileIndex, caseID: c.caseID, slice: ref.slice, originRow: row, originColumn: column,
                           height: h, width: w, flipped: flip)
    }

    /// Copies the samples' crops (flipped where marked) into one [N, 1, H, W] tensor.
    /// - Precondition: every sample has the same height and width (checked at construction).
    func tensor(_ samples: [SliceSample], domain: Domain) -> Tensor {
        crops(samples) { domain == .a ? ($0.shapeA, $0.voxelsA) : ($0.shapeB, $0.voxelsB) }
    }

    /// The label values of the samples' crops (on A's grid, flipped where marked), [N, 1, H, W].
    /// - Precondition: the dataset carries label maps and the samples are of training cases.
    func labelTensor(_ samples: [SliceSample]) -> Tensor {
        crops(samples) { c in
            guard let labels = c.labels else { preconditionFailure("no label map kept for case '\(c.caseID)'") }
            return (c.shapeA, labels)
        }
    }

    /// Copies the samples' crops of the volume `source` picks from each case (flipped where marked) into one
    /// [N, 1, H, W] tensor.
    private func crops(_ samples: [SliceSample], of source: (CachedCase) -> (VolumeShape, [Float])) -> Tensor {
        let (h, w) = (samples[0].height, samples[0].width)
        var values = [Float](repeating: 0, count: samples.count * h * w)
        values.withUnsafeMutableBufferPointer { out in
            for (n, s) in samples.enumerated() {
                precondition(s.height == h && s.width == w, "batch of mixed sizes: \(s.height)x\(s.width) and \(h)x\(w)")
                let (shape, voxels) = source(cases[caseIndexByKey[CaseKey(fileIndex: s.fileIndex, caseID: s.caseID)]!])
                voxels.withUnsafeBufferPointer { src in
                    for r in 0..<h {
                        let from = (s.slice * shape.height + s.originRow + r) * shape.width + s.originColumn
                        let to = (n * h + r) * w
                        if s.flipped {
                            for x in 0..<w { out[to + x] = src[from + w - 1 - x] }
                        } else {
                            for x in 0..<w { out[to + x] = src[from + x] }
                        }
                    }
                }
            }
        }
        return Tensor(values, shape: [samples.count, 1, h, w])
    }
}

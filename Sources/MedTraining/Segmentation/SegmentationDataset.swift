import Foundation
import MedCore
import MedIO
import MedTensor

/// Labelled cases of MedSynth HDF5 datasets for segmentation: every case's input modalities
/// (`/cases/<id>/<modality>`) normalised and its `label` map reduced to classes, split by source case into
/// training and validation (`CaseSplit`), and a seeded sampler of training patches.
///
/// - **Patches.** Each draw picks a training case uniformly, then — with probability `foregroundOversampling` and
///   when the case has foreground — a patch centred on one of its foreground voxels (drawn uniformly), otherwise a
///   patch at a uniform position (nnU-Net's oversampling, which keeps small lesions in view). 2-D patches are one
///   axial slice thick ([N, C, H, W]); 3-D ones [N, C, D, H, W]. Labels come as class indices [N, spatial…].
/// - **Determinism.** Every draw comes from one `SeededGenerator`; `generator` is saved with checkpoints, so a
///   restored sampler continues exactly.
/// - **Memory.** All cases stay in memory as Float32: (channels + 1) × 4 bytes per voxel.
public final class SegmentationDataset {
    /// The dataset files, in the order given.
    public let files: [URL]
    /// Every case: training ones first, then validation ones, each part in (file, case id) order.
    public let cases: [SegmentationCase]
    /// `cases[0..<trainingCaseCount]` train; the rest validate.
    public let trainingCaseCount: Int
    /// The patch's sides [depth, height, width] (depth 1 for 2-D).
    public let patch: [Int]
    /// Patches per batch.
    public let batchSize: Int
    /// 2 or 3.
    public let spatialRank: Int
    /// The probability of a foreground-centred patch.
    public let foregroundOversampling: Double
    /// The sampler's random stream (saved in checkpoints).
    public var generator: SeededGenerator

    /// The training cases.
    public var trainingCases: ArraySlice<SegmentationCase> { cases[..<trainingCaseCount] }
    /// The held-out cases.
    public var validationCases: ArraySlice<SegmentationCase> { cases[trainingCaseCount...] }

    /// Lists, splits, reads and normalises the cases of `files`.
    /// - Parameters:
    ///   - files: MedSynth HDF5 datasets whose cases hold every input modality and a `label` map.
    ///   - config: the run configuration (modalities, normalisation, classes, split, patch, batch, oversampling).
    ///   - generator: the sampler's stream.
    /// - Throws: `MedSynthError`: `.invalidArgument` (no files, a file twice, too few cases to split, a patch larger
    ///   than a volume or whole slices that are not multiples of 2^depth, naming `data.patchSize`); `.notFound`
    ///   naming the file and case when a modality or the label map is missing (listing those present);
    ///   `.mismatch` for volumes of different grids; HDF5 and normalisation errors.
    public convenience init(files: [URL], config: SegmentationRunConfig, generator: SeededGenerator) throws {
        let data = config.data
        guard !files.isEmpty else {
            throw MedSynthError(.invalidArgument, "data.files", "no dataset files given; expected one or more MedSynth HDF5 datasets")
        }
        let modalities = data.inputModalities
        // List every case with its source (for the split).
        var listings: [(file: Int, id: String, source: String)] = []
        for (f, (url, ids)) in try zip(files, caseIDs(of: files)).enumerated() {
            let file = try HDF5File.open(url)
            for id in ids {
                let group = try file.root.group("/\(MedSynthDataset.casesGroup)/\(id)")
                let names = try group.children().filter { $0.kind == .dataset }.map(\.name).sorted()
                for m in modalities + [.label] where !names.contains(HDF5VolumeStore.datasetName(for: m)) {
                    throw MedSynthError(.notFound, url.path,
                                        "case '\(id)' has no '\(HDF5VolumeStore.datasetName(for: m))' volume, which the segmentation run needs (data.modalities and the label map); present: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                }
                let source = ((try? group.attributes.string("source_case_id")) ?? nil) ?? ""
                listings.append((f, id, source == id ? "" : source))
            }
        }
        var sources: [String: String] = [:]
        for l in listings where sources[l.id] == nil || sources[l.id] == "" { sources[l.id] = l.source }
        let groupOf = CaseSplit.groups(sources: sources)
        let groups = listings.map { groupOf[$0.id] ?? $0.id }
        let held = try CaseSplit.validationGroups(Set(groups), fraction: data.validationFraction, seed: data.splitSeed,
                                                  describe: files.count == 1 ? files[0].path : "the \(files.count) files")
        let training = listings.indices.filter { !held.contains(groups[$0]) }
        let validation = listings.indices.filter { held.contains(groups[$0]) }
        var cases: [SegmentationCase] = []
        for i in training + validation {
            let l = listings[i]
            cases.append(try Self.loadCase(l.id, file: files[l.file], fileIndex: l.file, data: data))
        }
        try self.init(files: files, cases: cases, trainingCaseCount: training.count, config: config, generator: generator)
    }

    /// A dataset of cases already loaded (`loadCase`): `cases[..<trainingCaseCount]` train, the rest validate
    /// (none is allowed: a fixed-length run that keeps its last weights, as `medsynth validate` trains).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `data.patchSize` (a patch that does not fit, whole slices
    ///   or volumes of several shapes or not multiples of 2^depth) or when no training case is left.
    public init(files: [URL], cases: [SegmentationCase], trainingCaseCount: Int, config: SegmentationRunConfig,
                generator: SeededGenerator) throws {
        precondition((0...cases.count).contains(trainingCaseCount), "trainingCaseCount \(trainingCaseCount) outside 0...\(cases.count)")
        self.files = files
        self.generator = generator
        spatialRank = config.network.spatialRank
        batchSize = config.data.batchSize
        foregroundOversampling = config.training.foregroundOversampling
        let data = config.data
        guard trainingCaseCount > 0 else {
            throw MedSynthError(.invalidArgument, "data.validationFraction", "leaves no training case; lower it or add cases")
        }
        self.cases = cases
        self.trainingCaseCount = trainingCaseCount

        // The patch: configured, or whole slices / volumes, which must then fit the network.
        let m = 1 << config.network.depth
        let rank = config.network.spatialRank
        let smallest = cases.map(\.shape).reduce(into: [Int.max, Int.max, Int.max]) { r, s in
            r = [min(r[0], s.depth), min(r[1], s.height), min(r[2], s.width)]
        }
        var patch: [Int]
        if data.patchSize.isEmpty {
            let shapes = Set(cases[..<trainingCaseCount].map { [$0.shape.depth, $0.shape.height, $0.shape.width] })
            guard shapes.count == 1, let s = shapes.first else {
                throw MedSynthError(.invalidArgument, "data.patchSize", "is [] (whole \(rank == 2 ? "slices" : "volumes")), but the training volumes have \(shapes.count) different shapes; set a patch size")
            }
            patch = rank == 2 ? [1, s[1], s[2]] : s
            for side in patch.dropFirst(rank == 2 ? 1 : 0) where side % m != 0 {
                throw MedSynthError(.invalidArgument, "data.patchSize",
                                    "is [] (whole \(rank == 2 ? "slices" : "volumes") of \(s.dropFirst(rank == 2 ? 1 : 0).map(String.init).joined(separator: "×"))), whose sides are not multiples of \(m) (2^network.depth); set a patch size that is")
            }
        } else {
            patch = rank == 2 ? [1] + data.patchSize : data.patchSize
        }
        for a in 0..<3 where patch[a] > smallest[a] {
            throw MedSynthError(.invalidArgument, "data.patchSize",
                                "is \(data.patchSize), larger than the smallest volume (\(smallest.map(String.init).joined(separator: "×"))); expected a patch that fits every case")
        }
        self.patch = patch
    }

    /// Reads case `id` of `url`: its input modalities normalised (`data.modalities`, `data.normalization`) and its
    /// label map reduced to classes (`data.classLabels`).
    /// - Parameters:
    ///   - modalities: the datasets to read as the inputs, in order, when they are not `data.modalities` — a
    ///     segmenter trained on CT applied to T1 images reads T1 where the config says CT. Each volume is normalised
    ///     by the rule of the modality it is (so every input lands in the network's range).
    /// - Throws: `MedSynthError` naming the file and case: `.notFound` (a missing volume), `.mismatch` (grids),
    ///   normalisation and HDF5 errors.
    public static func loadCase(_ id: String, file url: URL, fileIndex: Int, data: SegmentationDataConfig,
                                reading modalities: [Modality]? = nil) throws -> SegmentationCase {
        let stored = modalities ?? data.inputModalities
        precondition(stored.count == data.inputModalities.count, "reading \(stored.count) modalities for \(data.inputModalities.count) inputs")
        let subject = "\(url.path): case '\(id)'"
        func read(_ m: Modality) throws -> Volume {
            try HDF5VolumeStore.read(url, dataset: HDF5VolumeStore.datasetPath(caseID: id, modality: m)).volume
        }
        let inputs = try SegmentationCase.normalizedInputs(try stored.map(read), modalities: stored,
                                                           normalizations: stored.map { data.normalization.resolved(for: $0) },
                                                           subject: subject)
        let labels = try read(.label)
        guard labels.shape == inputs.shape else {
            throw MedSynthError(.mismatch, url.path, "case '\(id)': label is \(labels.shape) but the inputs are \(inputs.shape); expected a label map on the images' grid")
        }
        let map = try SegmentationCase.classMap(labels, classLabels: data.classLabels, subject: subject)
        return SegmentationCase(fileIndex: fileIndex, caseID: id, shape: inputs.shape, affine: inputs.affine,
                                channels: inputs.channels, mappings: inputs.mappings, classes: map.classes,
                                foreground: map.foreground)
    }

    /// Mixing control: the first `realCaseCount` training cases are the real ones, and `realFraction` of every
    /// batch (rounded to whole patches) is drawn from them, the rest from the other training cases. nil (the
    /// default) draws every patch uniformly over all training cases.
    public var mixing: (realCaseCount: Int, realFraction: Double)? = nil

    /// A patch made by something other than copying (on-the-fly augmentation): given the case, the patch's first
    /// voxel [z, y, x], its size [depth, height, width] and the dataset's generator, it returns the channels
    /// [C][voxels] and the class indices [voxels] of the patch.
    public typealias PatchSource = (SegmentationCase, [Int], [Int], inout SeededGenerator) throws -> (channels: [[Float]], classes: [Float])

    /// The case of batch item `n`: uniform over the training cases, or by `mixing`.
    private func caseIndex(item n: Int) -> Int {
        guard let mixing, mixing.realCaseCount > 0, mixing.realCaseCount < trainingCaseCount, mixing.realFraction > 0 else {
            return CaseSplit.uniformIndex(trainingCaseCount, &generator)
        }
        let realItems = Int((mixing.realFraction * Double(batchSize)).rounded())
        if n < realItems { return CaseSplit.uniformIndex(mixing.realCaseCount, &generator) }
        return mixing.realCaseCount + CaseSplit.uniformIndex(trainingCaseCount - mixing.realCaseCount, &generator)
    }

    /// The next training batch: inputs [N, C, spatial…] and class indices [N, spatial…].
    public func nextBatch() -> (images: Tensor, labels: Tensor) {
        // Without a patch source nothing can throw.
        try! nextBatch(patchSource: nil)
    }

    /// The next training batch, each patch made by `patchSource` when there is one (else copied).
    /// - Throws: what `patchSource` throws.
    public func nextBatch(patchSource: PatchSource?) throws -> (images: Tensor, labels: Tensor) {
        let c = cases[0].channels.count
        let (pd, ph, pw) = (patch[0], patch[1], patch[2])
        let size = pd * ph * pw
        var images = [Float](repeating: 0, count: batchSize * c * size)
        var labels = [Float](repeating: 0, count: batchSize * size)
        for n in 0..<batchSize {
            let item = cases[caseIndex(item: n)]
            let extents = [item.shape.depth, item.shape.height, item.shape.width]
            var origin = [0, 0, 0]
            let centred = !item.foreground.isEmpty && generator.nextUnitDouble() < foregroundOversampling
            if centred {
                let v = item.foreground[CaseSplit.uniformIndex(item.foreground.count, &generator)]
                let at = [v / (extents[1] * extents[2]), (v / extents[2]) % extents[1], v % extents[2]]
                for a in 0..<3 { origin[a] = min(max(0, at[a] - patch[a] / 2), extents[a] - patch[a]) }
            } else {
                for a in 0..<3 { origin[a] = CaseSplit.uniformIndex(extents[a] - patch[a] + 1, &generator) }
            }
            if let patchSource {
                let made = try patchSource(item, origin, patch, &generator)
                precondition(made.channels.count == c && made.channels.allSatisfy { $0.count == size } && made.classes.count == size,
                             "a patch source returned \(made.channels.map(\.count)) channel voxels and \(made.classes.count) classes for \(c) channels of \(size)")
                for ch in 0..<c { images.replaceSubrange((n * c + ch) * size..<(n * c + ch + 1) * size, with: made.channels[ch]) }
                labels.replaceSubrange(n * size..<(n + 1) * size, with: made.classes)
                continue
            }
            for z in 0..<pd {
                for y in 0..<ph {
                    let src = ((origin[0] + z) * extents[1] + origin[1] + y) * extents[2] + origin[2]
                    let dst = (z * ph + y) * pw
                    for ch in 0..<c {
                        let base = (n * c + ch) * size + dst
                        item.channels[ch].withUnsafeBufferPointer { p in
                            for x in 0..<pw { images[base + x] = p[src + x] }
                        }
                    }
                    for x in 0..<pw { labels[n * size + dst + x] = item.classes[src + x] }
                }
            }
        }
        let spatial = spatialRank == 2 ? [ph, pw] : [pd, ph, pw]
        return (Tensor(images, shape: [batchSize, c] + spatial), Tensor(labels, shape: [batchSize] + spatial))
    }
}

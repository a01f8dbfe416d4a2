import Foundation
import MedCore
import MedIO

extension SliceDataset {
    /// Checks that crops fit every slice, that whole slices batched together share one size, and that held-out
    /// cases (compared slice by slice) have A and B of one shape.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `cropSize` or `batchSize`, the file, case and sizes;
    ///   `.mismatch` naming the file for a held-out case whose volumes differ in shape.
    static func checkSizes(cases: [CachedCase], trainingCaseCount: Int, options: SliceDatasetOptions,
                           files: [URL]) throws {
        func sides(_ c: CachedCase) -> [(shape: VolumeShape, modality: Modality)] {
            [(c.shapeA, options.modalityA), (c.shapeB, options.modalityB)]
        }
        for (i, c) in cases.enumerated() {
            let isTraining = i < trainingCaseCount
            if !isTraining && c.shapeA != c.shapeB {
                throw MedSynthError(.mismatch, files[c.fileIndex].path,
                                    "held-out case '\(c.caseID)': \(options.modalityA.rawValue) is \(c.shapeA) but \(options.modalityB.rawValue) is \(c.shapeB); validation compares A's translation with B on the same slice, so held-out cases need co-registered volumes of one shape")
            }
            guard let crop = options.cropSize, isTraining || options.validationCrop == .center else { continue }
            for side in sides(c) where crop > side.shape.height || crop > side.shape.width {
                throw MedSynthError(.invalidArgument, "cropSize",
                                    "is \(crop), larger than the \(side.shape.height)x\(side.shape.width) slices of \(files[c.fileIndex].path) case '\(c.caseID)' (\(side.modality.rawValue)); expected a crop that fits every slice")
            }
        }
        guard options.cropSize == nil, options.batchSize > 1 else { return }
        for domain in [Domain.a, .b] {
            var first: (size: String, caseID: String)? = nil
            for c in cases[0..<trainingCaseCount] {
                let shape = domain == .a ? c.shapeA : c.shapeB
                let size = "\(shape.height)x\(shape.width)"
                guard let f = first else { first = (size, c.caseID); continue }
                if f.size != size {
                    let modality = domain == .a ? options.modalityA : options.modalityB
                    throw MedSynthError(.invalidArgument, "batchSize",
                                        "is \(options.batchSize), but whole \(modality.rawValue) slices differ in size (\(f.size) in case '\(f.caseID)', \(size) in case '\(c.caseID)'); set cropSize to batch slices of different sizes")
                }
            }
        }
    }

    /// Checks that training (and, with held-out cases, validation) has slices to draw.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `minimumForegroundFraction`.
    static func checkNotEmpty(entriesA: [SliceRef], entriesB: [SliceRef], validation: [SliceRef], validationCases: Int,
                              options: SliceDatasetOptions, describe: String) throws {
        let rule = "\(Int((options.minimumForegroundFraction * 100).rounded())) % foreground (\(options.foregroundSource.rawValue))"
        for (entries, what) in [(entriesA, options.modalityA.rawValue), (entriesB, options.modalityB.rawValue)] where entries.isEmpty {
            throw MedSynthError(.invalidArgument, "minimumForegroundFraction",
                                "is \(options.minimumForegroundFraction), and no \(what) training slice of \(describe) has \(rule); expected a lower fraction or more cases")
        }
        if validationCases > 0 && validation.isEmpty {
            throw MedSynthError(.invalidArgument, "minimumForegroundFraction",
                                "is \(options.minimumForegroundFraction), and no slice of the \(validationCases) held-out case\(validationCases == 1 ? "" : "s") has \(rule) in both modalities; expected a lower fraction or more cases")
        }
    }

    /// `count` entries evenly spaced over `entries` (index ⌊i · n / count⌋), or all of them.
    static func evenlySpaced(_ entries: [SliceRef], count: Int?) -> [SliceRef] {
        guard let count, count < entries.count else { return entries }
        return (0..<count).map { entries[$0 * entries.count / count] }
    }

    /// `fnv1a64:<16 hex digits>` of what decides the training draws — modalities, pairing, normalisations, crop,
    /// flip, and every training slice (file index, case id, slice) — so a sampler state is only restored onto the
    /// data it was made for. Left out: file paths (moved files still resume), the batch size (draws are per
    /// sample) and the validation settings.
    static func signature(options: SliceDatasetOptions, cases: [CachedCase], entriesA: [SliceRef],
                          entriesB: [SliceRef]) -> String {
        let o = options
        var text = "\(o.modalityA.rawValue)|\(o.modalityB.rawValue)|\(o.pairing.rawValue)|\(o.resolvedNormalizationA)|"
            + "\(o.resolvedNormalizationB)|crop \(o.cropSize.map(String.init) ?? "none")|flip \(o.randomFlip)"
        for (name, entries) in [("A", entriesA), ("B", entriesB)] {
            text += "\n\(name):"
            for e in entries { text += "\(cases[e.caseIndex].fileIndex)/\(cases[e.caseIndex].caseID)/\(e.slice);" }
        }
        return FNV1a64.signature(of: text)
    }
}

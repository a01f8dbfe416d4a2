import MedIO
import MedTensor

/// One validation batch: co-registered A and B slices of held-out cases [N, 1, H, W] in [−1, 1], with each
/// slice's intensity mappings so outputs can be mapped back to physical units
/// (`mappingsB[n].physicalValues(of: output.sliced(axis: 0, n..<n+1))`).
public struct ValidationBatch {
    /// Domain A images [N, 1, H, W].
    public var a: Tensor
    /// Domain B images [N, 1, H, W].
    public var b: Tensor
    /// The source of image n of both `a` and `b` (never flipped).
    public var samples: [SliceSample]
    /// The mapping of each A image (its case's A volume).
    public var mappingsA: [IntensityMapping]
    /// The mapping of each B image (its case's B volume).
    public var mappingsB: [IntensityMapping]
    /// The head (label > 0) of each slice crop, [H·W] row-major, when its case has a label map of the image's
    /// shape; nil otherwise. Validation metrics are taken inside it.
    public var headMasks: [[Bool]?]
}

/// The held-out slices of a `SliceDataset`, in a fixed order — (file, case id, slice), the `validationSlices`
/// subset if set — as batches of co-registered A and B images with their intensity mappings. Nothing is
/// random: every pass yields the same batches. Slices are whole or centre-cropped (`validationCrop`), never
/// flipped; a batch never mixes slice sizes (it ends early where the size changes).
public struct ValidationSequence: Sequence {
    /// The dataset whose held-out slices this walks.
    public let dataset: SliceDataset
    /// The most slices per batch.
    public let batchSize: Int

    /// An iterator from the first held-out slice.
    public func makeIterator() -> Iterator { Iterator(dataset: dataset, batchSize: batchSize) }

    /// Yields the batches in order.
    public struct Iterator: IteratorProtocol {
        let dataset: SliceDataset
        let batchSize: Int
        var position = 0

        init(dataset: SliceDataset, batchSize: Int) {
            self.dataset = dataset
            self.batchSize = batchSize
        }

        /// The next batch, nil after the last held-out slice.
        public mutating func next() -> ValidationBatch? {
            let entries = dataset.validationEntries
            guard position < entries.count else { return nil }
            var samples: [SliceSample] = []
            var mappingsA: [IntensityMapping] = [], mappingsB: [IntensityMapping] = []
            var masks: [[Bool]?] = []
            while position < entries.count && samples.count < batchSize {
                let ref = entries[position]
                let c = dataset.cases[ref.caseIndex]
                let sample = dataset.validationSample(ref)
                if let first = samples.first, first.height != sample.height || first.width != sample.width { break }
                samples.append(sample)
                mappingsA.append(c.mappingA)
                mappingsB.append(c.mappingB)
                masks.append(c.headMask.map { Self.crop($0, shape: c.shapeA, sample: sample) })
                position += 1
            }
            return ValidationBatch(a: dataset.tensor(samples, domain: .a), b: dataset.tensor(samples, domain: .b),
                                   samples: samples, mappingsA: mappingsA, mappingsB: mappingsB, headMasks: masks)
        }

        /// The sample's crop of a [depth][height][width] mask, row-major.
        static func crop(_ mask: [Bool], shape: VolumeShape, sample s: SliceSample) -> [Bool] {
            var out: [Bool] = []
            out.reserveCapacity(s.height * s.width)
            for r in 0..<s.height {
                let from = (s.slice * shape.height + s.originRow + r) * shape.width + s.originColumn
                out.append(contentsOf: mask[from..<(from + s.width)])
            }
            return out
        }
    }
}

extension SliceDataset {
    /// The held-out slices in batches of at most `batchSize` (see `ValidationSequence`).
    /// - Precondition: `batchSize >= 1`.
    public func validationBatches(batchSize: Int = 1) -> ValidationSequence {
        precondition(batchSize >= 1, "validation batch size must be at least 1, got \(batchSize)")
        return ValidationSequence(dataset: self, batchSize: batchSize)
    }

    /// The crop of one validation slice: whole, or the centred `cropSize` square (top-left rounding down).
    func validationSample(_ ref: SliceRef) -> SliceSample {
        let c = cases[ref.caseIndex]
        let shape = c.shapeA
        var (h, w) = (shape.height, shape.width)
        if options.validationCrop == .center, let crop = options.cropSize { (h, w) = (crop, crop) }
        return SliceSample(fileIndex: c.fileIndex, caseID: c.caseID, slice: ref.slice,
                           originRow: (shape.height - h) / 2, originColumn: (shape.width - w) / 2,
                           height: h, width: w, flipped: false)
    }
}

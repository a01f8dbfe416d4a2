import MedTensor

/// One training batch: images of domain A and B, each [N, 1, H, W] in [−1, 1], and where each came from.
/// Paired batches have `samplesA == samplesB` (same case, slice, crop and flip).
public struct SliceBatch {
    /// Domain A images [N, 1, H, W].
    public var a: Tensor
    /// Domain B images [N, 1, H, W].
    public var b: Tensor
    /// The source of each A image.
    public var samplesA: [SliceSample]
    /// The source of each B image.
    public var samplesB: [SliceSample]

    /// The batch as CycleGAN's input.
    public var unpaired: UnpairedBatch { UnpairedBatch(realA: a, realB: b) }

    /// The batch as pix2pix's or the conditional GAN's input (meaningful for a paired `SliceDataset`).
    public var paired: PairedBatch { PairedBatch(realA: a, realB: b) }
}

/// An unpaired pair of batches: images of domain A and of domain B, each [N, C, H, W] in [−1, 1].
public struct UnpairedBatch {
    /// Domain A images.
    public var realA: Tensor
    /// Domain B images.
    public var realB: Tensor

    /// Pairs two batches.
    public init(realA: Tensor, realB: Tensor) {
        self.realA = realA
        self.realB = realB
    }
}

/// A paired batch: inputs A and their targets B, [N, C_A, H, W] and [N, C_B, H, W], in [−1, 1].
public struct PairedBatch {
    /// The inputs (pix2pix's A; the CT of the conditional GAN).
    public var realA: Tensor
    /// The targets, co-registered with `realA` (pix2pix's B; the PET of the conditional GAN).
    public var realB: Tensor

    /// Pairs two batches.
    public init(realA: Tensor, realB: Tensor) {
        self.realA = realA
        self.realB = realB
    }
}

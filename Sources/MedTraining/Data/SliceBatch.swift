import MedTensor

/// One training batch: images of domain A and B, each [N, 1, H, W] in [−1, 1], and where each came from.
/// Paired batches have `samplesA == samplesB` (same case, slice, crop and flip).
public struct SliceBatch {
    /// Domain A images [N, 1, H, W].
    public var a: Tensor
    /// Domain B images [N, 1, H, W].
    public var b: Tensor
    /// The label values of each A image's crop [N, 1, H, W] (cropped and flipped as A, so in paired mode as B),
    /// when the dataset was asked to carry label maps (`SliceDataset(…, labelMapsRequiredBy:)`); nil otherwise.
    public var labels: Tensor?
    /// The source of each A image.
    public var samplesA: [SliceSample]
    /// The source of each B image.
    public var samplesB: [SliceSample]

    /// The batch as CycleGAN's input.
    public var unpaired: UnpairedBatch { UnpairedBatch(realA: a, realB: b) }

    /// The batch as the paired trainers' input (pix2pix, the conditional GAN, regression; meaningful for a paired
    /// `SliceDataset`), with the label maps when the dataset carries them.
    public var paired: PairedBatch { PairedBatch(realA: a, realB: b, labels: labels) }
}

/// The images of one translator step: A [N, C_A, H, W] and B [N, C_B, H, W], in [−1, 1].
public struct TranslationBatch {
    /// Domain A: CycleGAN's A images, pix2pix's inputs, the conditional GAN's CT.
    public var realA: Tensor
    /// Domain B: CycleGAN's B images (unrelated to A), or the targets co-registered with `realA` (pix2pix's B, the
    /// conditional GAN's PET).
    public var realB: Tensor
    /// The label map of each image of `realA` [N, 1, H, W] (of both images in a paired batch), for the
    /// lesion-weighted L1 term (`LesionWeightedL1`); nil when the data carries none.
    public var labels: Tensor?

    /// Pairs two batches, with their label maps if any.
    public init(realA: Tensor, realB: Tensor, labels: Tensor? = nil) {
        self.realA = realA
        self.realB = realB
        self.labels = labels
    }
}

/// CycleGAN's input: images of A and of B, not related to each other.
public typealias UnpairedBatch = TranslationBatch
/// pix2pix's and the conditional GAN's input: inputs A and their co-registered targets B.
public typealias PairedBatch = TranslationBatch

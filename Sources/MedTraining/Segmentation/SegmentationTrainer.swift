import MedCore
import MedIO
import MedNN
import MedTensor

/// A U-Net segmenter with its Adam optimiser and the Dice + cross-entropy objective: one `step` per batch (or
/// `setInput` + `optimizeParameters`, as every `Trainer`).
///
/// ℓ = diceWeight · softDice(softmax(logits), onehot(labels)) + crossEntropyWeight · CE(logits, labels), the soft
/// Dice per sample and class (`softDiceLoss`; background left out unless `includeBackground`), as nnU-Net.
public final class SegmentationTrainer: ResumableTrainer {
    /// The network (checkpoint name `SegmentationDescription.networkName`).
    public let network: UNetSegmenter
    /// Adam over the network's parameters (β 0.9, 0.999), checkpoint name "optimizer".
    public let optimizer: Optimizer<Adam>
    /// The Dice term's weight.
    public let diceWeight: Float
    /// The cross-entropy term's weight.
    public let crossEntropyWeight: Float
    /// Whether the Dice term averages the background class.
    public let includeBackground: Bool
    /// The losses of the last step: "loss", "dice", "ce".
    public private(set) var lastLosses: [String: Float] = [:]
    /// The names of `lastLosses`, in CSV order.
    public static let lossNames = ["loss", "dice", "ce"]
    /// The batch `optimizeParameters` trains on, and the logits of the last step (detached).
    private var input: (images: Tensor, labels: Tensor)?
    private var lastLogits: Tensor?

    /// Builds the network from `seed` and its optimiser.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - learningRate: Adam's initial learning rate.
    ///   - seed: the initial weights' seed (Kaiming normal).
    public init(config: UNetSegmenterConfig, learningRate: Float, seed: UInt64, diceWeight: Float = 1,
                crossEntropyWeight: Float = 1, includeBackground: Bool = false) {
        var g = SeededGenerator(seed: seed)
        network = UNetSegmenter(config, generator: &g)
        optimizer = Optimizer(network.namedParameters(prefix: SegmentationDescription.networkName), learningRate: learningRate,
                              rule: Adam())
        self.diceWeight = diceWeight
        self.crossEntropyWeight = crossEntropyWeight
        self.includeBackground = includeBackground || config.classes < 2
    }

    /// One optimisation step on a batch.
    /// - Parameters:
    ///   - images: [N, C, spatial…], sides multiples of 2^depth.
    ///   - labels: [N, spatial…] class indices.
    /// - Returns: the total loss before the update (NaN or infinite when training diverged; the weights have then
    ///   been updated with non-finite gradients, so the caller must not save them).
    @discardableResult
    public func step(images: Tensor, labels: Tensor) -> Float {
        network.train()
        optimizer.zeroGrad()
        let logits = network(images)
        lastLogits = logits.detached()
        let dice = softDiceLoss(logits, labels, includeBackground: includeBackground)
        let ce = crossEntropyLoss(logits, labels)
        let loss = diceWeight * dice + crossEntropyWeight * ce
        let value = loss.item
        lastLosses = ["loss": value, "dice": dice.item, "ce": ce.item]
        guard value.isFinite else { return value }
        loss.backward()
        optimizer.step()
        return value
    }

    // MARK: - Trainer

    public var lossNames: [String] { Self.lossNames }
    public var networks: [(name: String, module: Module)] { [(SegmentationDescription.networkName, network)] }
    public var optimizers: [(name: String, optimizer: any ParameterOptimizer)] { [("optimizer", optimizer)] }
    public var visualNames: [String] { ["images", "labels", "logits"] }

    /// Stores the batch: images [N, C, spatial…], labels [N, spatial…] class indices.
    public func setInput(_ batch: (images: Tensor, labels: Tensor)) { input = batch }

    /// One step on the stored batch (`step(images:labels:)`).
    public func optimizeParameters() {
        guard let input else { preconditionFailure("optimizeParameters() before setInput(_:)") }
        step(images: input.images, labels: input.labels)
    }

    public func currentLosses() -> [String: Float] { lastLosses }

    /// The last batch and the logits of the last step ([N, classes, spatial…]); empty before the first step.
    public func currentVisuals() -> [String: Tensor] {
        guard let input, let lastLogits else { return [:] }
        return ["images": input.images, "labels": input.labels, "logits": lastLogits]
    }

    /// Adam's moments are in the optimizer group; the sampler belongs to the run: nothing else to save.
    public func saveState(into state: inout TrainingState) {}
    public func restoreState(from state: TrainingState) throws {}

    /// Class probabilities of whole volumes in evaluation mode (2-D slice by slice, 3-D by Gaussian-weighted
    /// sliding windows), see `SegmentationInference`.
    /// - Parameters:
    ///   - channels: normalised inputs [C][depth][height][width].
    ///   - patch: the 3-D window (ignored in 2-D).
    /// - Returns: [classes][voxels].
    public func probabilities(channels: [[Float]], shape: VolumeShape, patch: [Int], overlap: Double,
                              batchSize: Int) -> [Float] {
        Self.probabilities(network: network, channels: channels, shape: shape, patch: patch, overlap: overlap,
                           batchSize: batchSize)
    }

    /// `probabilities(channels:…)` for any segmenter (the trainer's or one loaded for prediction).
    public static func probabilities(network: UNetSegmenter, channels: [[Float]], shape: VolumeShape, patch: [Int],
                                     overlap: Double, batchSize: Int) -> [Float] {
        let wasTraining = network.isTraining
        network.eval()
        defer { if wasTraining { network.train() } }
        let c = network.config
        if c.spatialRank == 2 {
            return SegmentationInference.probabilities2D(channels: channels, shape: shape, classes: c.classes,
                                                         sideMultiple: 1 << c.depth, batchSize: batchSize) { network($0) }
        }
        return SegmentationInference.probabilities3D(channels: channels, shape: shape, classes: c.classes, patch: patch,
                                                     sideMultiple: 1 << c.depth, overlap: overlap, batchSize: batchSize) { network($0) }
    }
}

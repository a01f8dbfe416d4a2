import Foundation
import MedCore
import MedIO
import MedNN

/// Everything `medsynth segment predict` needs besides the weights: the input modalities and how they are
/// normalised, which label values each class stands for, the network's architecture and the inference patch.
/// A segmentation run saves it in every checkpoint's `TrainingState` under `stateKey` (JSON), so a checkpoint
/// alone is enough to predict.
public struct SegmentationDescription: Codable, Equatable, Sendable {
    /// The `TrainingState` JSON key.
    public static let stateKey = "segmenter"
    /// The checkpoint network's name.
    public static let networkName = "segmenter"

    /// The input channels, in order.
    public var modalities: [Modality]
    /// The normalisation of each input (resolved, index-aligned with `modalities`), fitted per input volume.
    public var normalizations: [IntensityNormalization]
    /// The foreground classes' names (class i + 1).
    public var classNames: [String]
    /// The label values each foreground class was trained on (class i + 1).
    public var classLabels: [[Int]]
    /// The U-Net (spatial rank, channels, classes, depth, width, norm).
    public var network: UNetSegmenterConfig
    /// The training patch's spatial extents ([] = whole slices or volumes). 3-D inference slides a window of this
    /// size; 2-D inference runs whole slices.
    public var patchSize: [Int]
    /// Overlap of neighbouring 3-D windows (0.5).
    public var overlap: Double
    /// Slices or windows per inference batch.
    public var inferenceBatchSize: Int
    /// The training step the weights come from.
    public var step: Int

    /// Creates a description.
    public init(modalities: [Modality], normalizations: [IntensityNormalization], classNames: [String],
                classLabels: [[Int]], network: UNetSegmenterConfig, patchSize: [Int], overlap: Double,
                inferenceBatchSize: Int, step: Int) {
        self.modalities = modalities
        self.normalizations = normalizations
        self.classNames = classNames
        self.classLabels = classLabels
        self.network = network
        self.patchSize = patchSize
        self.overlap = overlap
        self.inferenceBatchSize = inferenceBatchSize
        self.step = step
    }

    /// Spatial sides must be multiples of this (2^depth); inputs are padded up to it and cropped back.
    public var sideMultiple: Int { 1 << network.depth }

    /// Reads the description from a checkpoint's training state.
    /// - Throws: `MedSynthError(.notFound)` naming `source` when the state holds none (not a segmentation
    ///   checkpoint), `.corrupt` when it does not decode or is inconsistent.
    public static func read(from state: TrainingState, source: String) throws -> SegmentationDescription {
        guard state.strings[stateKey] != nil else {
            throw MedSynthError(.notFound, source, "holds no segmentation description ('\(stateKey)' in its training state); expected a checkpoint written by medsynth segment train")
        }
        let d = try state.decodeJSON(SegmentationDescription.self, named: stateKey)
        guard !d.modalities.isEmpty, d.normalizations.count == d.modalities.count,
              d.network.inputChannels == d.modalities.count, d.network.classes == d.classLabels.count + 1,
              d.classNames.count == d.classLabels.count, d.network.spatialRank == 2 || d.network.spatialRank == 3,
              (0...7).contains(d.network.depth), d.network.baseWidth > 0,
              d.patchSize.isEmpty || d.patchSize.count == d.network.spatialRank,
              d.patchSize.allSatisfy({ $0 > 0 && $0 % (1 << d.network.depth) == 0 }),
              d.overlap >= 0 && d.overlap < 1, d.inferenceBatchSize >= 1 else {
            throw MedSynthError(.corrupt, source, "has an inconsistent segmentation description (\(d)); expected one written by medsynth segment train")
        }
        return d
    }
}

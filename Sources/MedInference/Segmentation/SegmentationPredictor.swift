import Foundation
import MedCore
import MedTraining
import MedIO
import MedNN

/// A trained segmenter loaded from a checkpoint of `medsynth segment train`: segments whole volumes given
/// in physical units (what `segment predict` runs).
///
/// ```swift
/// let predictor = try SegmentationPredictor(checkpoint: URL(fileURLWithPath: "Outputs/unet-lesion/checkpoints/best.h5"))
/// let labels = try predictor.predict([flair], subject: "flair.nii.gz")   // class indices, flair's grid and affine
/// ```
public final class SegmentationPredictor {
    /// What the checkpoint says about inputs, classes and inference.
    public let description: SegmentationDescription
    /// The network, in evaluation mode.
    public let network: UNetSegmenter

    /// Loads the description and the weights.
    /// - Throws: `MedSynthError` naming the file: checkpoint read errors, `.notFound` when it is not a segmentation
    ///   checkpoint, `.mismatch` when its weights do not fit the described network.
    public init(checkpoint url: URL) throws {
        let contents = try CheckpointContents.read(from: url)
        description = try SegmentationDescription.read(from: contents.trainingState, source: url.path)
        var unused = SeededGenerator(seed: 0)   // every weight is replaced by the checkpoint's
        network = UNetSegmenter(description.network, generator: &unused)
        try Checkpoint(networks: [(name: SegmentationDescription.networkName, module: network as Module)]).load(contents)
        network.eval()
    }

    /// Class probabilities [classes][voxels] of co-registered inputs (one per `description.modalities`, in order).
    /// - Throws: `MedSynthError` naming `subject` (count, modality, grid and normalisation errors).
    public func probabilities(_ volumes: [Volume], subject: String) throws -> (probabilities: [Float], shape: VolumeShape, affine: Affine) {
        let inputs = try SegmentationCase.normalizedInputs(volumes, modalities: description.modalities,
                                                           normalizations: description.normalizations, subject: subject)
        let p = SegmentationTrainer.probabilities(network: network, channels: inputs.channels, shape: inputs.shape,
                                                  patch: description.network.spatialRank == 3 ? description.patchSize : [],
                                                  overlap: description.overlap, batchSize: description.inferenceBatchSize)
        return (p, inputs.shape, inputs.affine)
    }

    /// The label map of co-registered inputs: class indices (0 background, i + 1 for `description.classNames[i]`)
    /// on the first input's grid, with its affine.
    /// - Throws: `MedSynthError` naming `subject`.
    public func predict(_ volumes: [Volume], subject: String) throws -> Volume {
        let r = try probabilities(volumes, subject: subject)
        let classes = SegmentationInference.labels(probabilities: r.probabilities, classes: description.network.classes,
                                                   voxelCount: r.shape.voxelCount)
        return Volume(shape: r.shape, voxels: classes, affine: r.affine, modality: .label)
    }
}

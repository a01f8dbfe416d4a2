import Foundation
import MedCore
import MedIO

/// One case ready for segmentation: its input channels normalised, its label map reduced to class indices,
/// and where its foreground voxels are (for foreground oversampling).
public struct SegmentationCase: Sendable {
    /// The index of its file in the dataset's file list.
    public var fileIndex: Int
    /// The case under `/cases/`.
    public var caseID: String
    /// The grid of every channel and of the class map.
    public var shape: VolumeShape
    /// The voxel → world transform (mm), of the first input.
    public var affine: Affine
    /// Normalised inputs, one [depth][height][width] array per modality.
    public var channels: [[Float]]
    /// The fitted normalisation of each input.
    public var mappings: [IntensityMapping]
    /// Class indices (0 = background) as Float, [depth][height][width]; empty when the case has no label map.
    public var classes: [Float]
    /// Flat indices of the voxels whose class is > 0, ascending.
    public var foreground: [Int]

    /// Normalises co-registered input volumes.
    /// - Parameters:
    ///   - volumes: one volume per modality, in `modalities` order.
    ///   - modalities: what each input must be; a volume whose modality is known and differs is refused.
    ///   - normalizations: the rule of each input.
    ///   - subject: what the inputs are, for messages (`FILE: case 'case003'`).
    /// - Returns: the channels, their mappings, the grid and the affine.
    /// - Throws: `MedSynthError` naming `subject`: `.invalidArgument` (wrong count), `.mismatch` (another
    ///   modality, shapes or affines that differ), normalisation errors.
    public static func normalizedInputs(_ volumes: [Volume], modalities: [Modality],
                                        normalizations: [IntensityNormalization], subject: String) throws
        -> (channels: [[Float]], mappings: [IntensityMapping], shape: VolumeShape, affine: Affine) {
        guard volumes.count == modalities.count else {
            throw MedSynthError(.invalidArgument, subject,
                                "gives \(volumes.count) input volume\(volumes.count == 1 ? "" : "s"); the segmenter expects \(modalities.count): \(modalities.map(\.rawValue).joined(separator: ", "))")
        }
        guard let first = volumes.first else { return ([], [], VolumeShape(depth: 0, height: 0, width: 0), .identity) }
        var channels: [[Float]] = [], mappings: [IntensityMapping] = []
        for (i, (v, m)) in zip(volumes, modalities).enumerated() {
            if v.modality != .unknown && v.modality != m {
                throw MedSynthError(.mismatch, subject, "input \(i + 1) is \(v.modality.rawValue); the segmenter expects \(m.rawValue) there")
            }
            guard v.shape == first.shape else {
                throw MedSynthError(.mismatch, subject, "input \(i + 1) (\(m.rawValue)) is \(v.shape) but input 1 is \(first.shape); expected co-registered volumes of one shape")
            }
            guard v.affine.isClose(to: first.affine, tolerance: 1e-3) else {
                throw MedSynthError(.mismatch, subject, "input \(i + 1) (\(m.rawValue)) has another affine than input 1; expected co-registered volumes")
            }
            // A NIfTI without a modality tag reads as unknown with arbitrary units; the rule takes it as `m`.
            var typed = v
            if typed.modality == .unknown {
                typed.modality = m
                if m.defaultUnit == .hounsfield || m.defaultUnit == .suv { typed.unit = m.defaultUnit }
            }
            let mapping = try normalizations[i].fit(typed, subject: "\(subject) \(m.rawValue)")
            mappings.append(mapping)
            channels.append(mapping.normalize(typed.voxels))
        }
        return (channels, mappings, first.shape, first.affine)
    }

    /// The class of every voxel of a label map: class i + 1 where the label is one of `classLabels[i]`, else 0.
    /// - Returns: class indices as Float and the flat indices of the foreground voxels.
    /// - Throws: `MedSynthError(.corrupt)` naming `subject` when a label is not a finite integer.
    public static func classMap(_ labels: Volume, classLabels: [[Int]], subject: String) throws -> (classes: [Float], foreground: [Int]) {
        var lookup: [Int: Float] = [:]
        for (c, values) in classLabels.enumerated() { for l in values { lookup[l] = Float(c + 1) } }
        var classes = [Float](repeating: 0, count: labels.voxels.count)
        var foreground: [Int] = []
        for (i, v) in labels.voxels.enumerated() {
            guard v.isFinite, v.rounded() == v else {
                throw MedSynthError(.corrupt, subject, "label map holds \(v) at voxel \(i); expected integer labels")
            }
            if v != 0, let c = lookup[Int(v)] {
                classes[i] = c
                foreground.append(i)
            }
        }
        return (classes, foreground)
    }
}

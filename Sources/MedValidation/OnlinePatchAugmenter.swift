import MedCore
import MedIO
import MedSynthesis
import MedTraining

/// On-the-fly augmentation of segmentation training patches (nnU-Net style): every patch the sampler draws is
/// augmented anew by an `AugmentationPipeline`, so each epoch sees other rotations, contrasts and noise.
///
/// For one patch:
/// 1. cut the patch's block plus a margin of context, ⌊`marginFraction` · side + ½⌋ voxels on each in-plane side
///    (and along depth only when the patch is deeper than one slice), clamped to the volume, so spatial
///    transforms rotate real image into the patch's corners instead of fill;
/// 2. turn the normalised channels back into stored units (`IntensityMapping.physical`), so the pipeline's
///    settings in physical units (Rician σ in MR units, HU) keep their meaning, and build an `AugmentationCase`:
///    one image per channel named by its modality, the class map as the label map, on the block's grid, whose
///    affine is the case's shifted to the block's first voxel (mm settings such as `translationMM` and `sigmaMM`
///    are then in the case's millimetres);
/// 3. run the pipeline with the caller's generator (images linear, the label map nearest neighbour, so class
///    indices stay integers; voxels moved in from outside the block are background, class 0);
/// 4. normalise again with the same mappings and crop the patch back out of the block.
///
/// The generator alone decides the draw: the same generator state gives the same bytes.
///
/// ```swift
/// let (pipeline, _) = try AugmentationPipeline.read(URL(fileURLWithPath: "Configs/augment-online.yaml"))
/// let augmenter = OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair])
/// var g = SeededGenerator(seed: 7).split(UInt64(step))
/// let (channels, classes) = try augmenter.patch(from: item, origin: [12, 40, 32], patch: [1, 64, 64], generator: &g)
/// ```
public struct OnlinePatchAugmenter: Sendable {
    /// The transforms, run on every patch.
    public let pipeline: AugmentationPipeline
    /// The modality of each input channel, in channel order (the images' names in the pipeline).
    public let modalities: [Modality]
    /// The context added on each side before the transforms, as a fraction of the patch's side.
    public let marginFraction: Double

    /// The largest `marginFraction` accepted (a block of 9× the patch's side per axis).
    public static let maximumMarginFraction = 4.0

    /// Creates an augmenter; its settings are checked by `patch(from:origin:patch:generator:)`, which throws.
    /// - Parameters:
    ///   - pipeline: the transforms.
    ///   - modalities: the input channel modalities, in channel order.
    ///   - marginFraction: context added on each in-plane side before spatial transforms (default 0.25), in
    ///     0…`maximumMarginFraction`.
    public init(pipeline: AugmentationPipeline, modalities: [Modality], marginFraction: Double = 0.25) {
        self.pipeline = pipeline
        self.modalities = modalities
        self.marginFraction = marginFraction
    }

    /// The patch of `item` at `origin` of size `patch`, augmented (see the type's documentation).
    /// - Parameters:
    ///   - item: the case: normalised channels, their mappings and the class map.
    ///   - origin: the patch's first voxel [z, y, x].
    ///   - patch: the patch's size [depth, height, width].
    ///   - generator: the patch's stream (the pipeline advances it by one draw).
    /// - Returns: channels [C][depth·height·width] normalised like `item.channels`, and the class of every
    ///   voxel [depth·height·width] (integers as Float; empty when `item` has no class map).
    /// - Throws: `MedSynthError` naming the case: `.invalidArgument` for an origin or patch that is not three
    ///   numbers or does not fit the volume, a bad margin, repeated or label modalities; `.mismatch` when the
    ///   case's channels or mappings do not match `modalities` or its shape; the pipeline's errors.
    public func patch(from item: SegmentationCase, origin: [Int], patch: [Int],
                      generator: inout SeededGenerator) throws -> (channels: [[Float]], classes: [Float]) {
        let subject = "case '\(item.caseID)'"
        try check(item, subject: subject)
        let extents = [item.shape.depth, item.shape.height, item.shape.width]
        try Self.checkPlacement(origin: origin, patch: patch, extents: extents, subject: subject)

        // The block: the patch and its margin, clamped to the volume.
        var lower = origin, upper = zip(origin, patch).map(+)
        for axis in 0..<3 where axis > 0 || patch[0] > 1 {
            let margin = Int((marginFraction * Double(patch[axis])).rounded())
            lower[axis] = max(0, origin[axis] - margin)
            upper[axis] = min(extents[axis], upper[axis] + margin)
        }
        let blockExtents = zip(upper, lower).map(-)
        let blockShape = VolumeShape(depth: blockExtents[0], height: blockExtents[1], width: blockExtents[2])
        let affine = item.affine.shifted(byVoxels: SIMD3(Double(lower[2]), Double(lower[1]), Double(lower[0])))

        var images: [String: Volume] = [:]
        for (c, modality) in modalities.enumerated() {
            let mapping = item.mappings[c]
            let voxels = Self.copyBlock(item.channels[c], extents: extents, lower: lower, size: blockExtents, mapping.physical)
            images[modality.rawValue] = Volume(shape: blockShape, voxels: voxels, affine: affine, modality: modality, unit: mapping.unit)
        }
        let labels = item.classes.isEmpty ? nil
            : Volume(shape: blockShape, voxels: Self.copyBlock(item.classes, extents: extents, lower: lower, size: blockExtents) { $0 },
                     affine: affine, modality: .label, unit: .label)
        var augmentationCase = try AugmentationCase(images: images, labels: labels)
        do {
            _ = try pipeline.applyInPlace(to: &augmentationCase, using: &generator)
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, subject, "augmenting the patch at \(origin) of size \(patch): \(e.subject.map { "\($0): " } ?? "")\(e.message)")
        }

        // The patch inside the block.
        let inner = zip(origin, lower).map(-)
        var channels: [[Float]] = []
        for (c, modality) in modalities.enumerated() {
            guard let image = augmentationCase.images[modality.rawValue] else {
                throw MedSynthError(.mismatch, subject, "the pipeline dropped image '\(modality.rawValue)'; expected every input channel back")
            }
            channels.append(Self.copyBlock(image.voxels, extents: blockExtents, lower: inner, size: patch, item.mappings[c].normalized))
        }
        let classes = augmentationCase.labels.map { Self.copyBlock($0.voxels, extents: blockExtents, lower: inner, size: patch) { $0 } } ?? []
        return (channels, classes)
    }

    /// Checks the augmenter's settings against the case: margin, modalities, channels, mappings, class map.
    private func check(_ item: SegmentationCase, subject: String) throws {
        guard marginFraction.isFinite, (0...Self.maximumMarginFraction).contains(marginFraction) else {
            throw MedSynthError(.invalidArgument, "marginFraction", "is \(marginFraction); expected 0…\(Self.maximumMarginFraction)")
        }
        guard !modalities.isEmpty else {
            throw MedSynthError(.invalidArgument, "modalities", "is empty; expected one modality per input channel")
        }
        guard Set(modalities).count == modalities.count, !modalities.contains(.label) else {
            throw MedSynthError(.invalidArgument, "modalities", "is \(modalities.map(\.rawValue)); expected distinct image modalities (not 'label')")
        }
        guard item.channels.count == modalities.count else {
            throw MedSynthError(.mismatch, subject, "has \(item.channels.count) channel\(item.channels.count == 1 ? "" : "s"); the augmenter expects \(modalities.count): \(modalities.map(\.rawValue).joined(separator: ", "))")
        }
        guard item.mappings.count == modalities.count else {
            throw MedSynthError(.mismatch, subject, "has \(item.mappings.count) intensity mappings; expected one per channel (\(modalities.count))")
        }
        let count = item.shape.voxelCount
        for (c, (channel, mapping)) in zip(item.channels, item.mappings).enumerated() {
            guard channel.count == count else {
                throw MedSynthError(.mismatch, subject, "channel \(c + 1) holds \(channel.count) voxels; expected \(count) for shape \(item.shape)")
            }
            guard mapping.modality == modalities[c] else {
                throw MedSynthError(.mismatch, subject, "channel \(c + 1) is normalised as \(mapping.modality.rawValue); the augmenter expects \(modalities[c].rawValue) there")
            }
        }
        guard item.classes.isEmpty || item.classes.count == count else {
            throw MedSynthError(.mismatch, subject, "has a class map of \(item.classes.count) voxels; expected \(count) for shape \(item.shape)")
        }
    }

    /// Checks that `origin` and `patch` are three numbers each and the patch lies inside `extents`.
    private static func checkPlacement(origin: [Int], patch: [Int], extents: [Int], subject: String) throws {
        guard origin.count == 3, patch.count == 3 else {
            throw MedSynthError(.invalidArgument, subject, "patch origin \(origin) and size \(patch); expected three numbers each ([z, y, x] and [depth, height, width])")
        }
        for axis in 0..<3 where patch[axis] < 1 || origin[axis] < 0 || origin[axis] > extents[axis] - patch[axis] {
            throw MedSynthError(.invalidArgument, subject, "patch at \(origin) of size \(patch) does not fit the volume \(extents); expected sides ≥ 1 and 0 ≤ origin, origin + size ≤ shape on every axis")
        }
    }

    /// The block [lower, lower + size) of a [depth][height][width] array, each value passed through `map`.
    // source: [D, H, W] -> block [size[0], size[1], size[2]]
    private static func copyBlock(_ source: [Float], extents: [Int], lower: [Int], size: [Int],
                                  _ map: (Float) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: size[0] * size[1] * size[2])
        var n = 0
        for z in lower[0]..<(lower[0] + size[0]) {
            for y in lower[1]..<(lower[1] + size[1]) {
                let row = (z * extents[1] + y) * extents[2] + lower[2]
                for i in 0..<size[2] {
                    out[n] = map(source[row + i])
                    n += 1
                }
            }
        }
        return out
    }
}

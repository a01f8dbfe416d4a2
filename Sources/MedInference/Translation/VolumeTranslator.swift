import Dispatch
import Foundation
import MedCore
import MedTraining
import MedIO
import MedNN
import MedTensor

/// Translates volumes with a generator from a `medsynth train` checkpoint, axial slice by axial slice, in
/// batches, back in physical units.
///
/// ```swift
/// let translator = try VolumeTranslator(checkpoint: url, direction: .aToB)      // CT → T1, say
/// let ct = try VolumeIO.read(input).volume
/// let t1 = try translator.translate(ct, subject: input.path) { print($0.slicesDone) }.volume
/// ```
///
/// Per batch of `options.batchSize` slices [N, 1, H, W]:
/// 1. normalise with the input modality's rule, fitted to the whole volume
///    (`roles(direction).inputNormalization.fit`: a fixed window for CT and PET, the volume's own window for MR);
/// 2. pad height and width up to the generator's side multiple (and its smallest workable side), half before and
///    half after (the extra pixel after), by reflection or by repeating the edge (`TranslationOptions.Padding`);
/// 3. conditional GAN: append `noiseChannels` channels of N(0, noiseStd²) noise drawn at the padded size, slice
///    k's from `noise.split(k)` in row-major order — the same draws as `Tensor.randn([1, C, H', W'], std:)`;
/// 4. run the generator in evaluation mode without recording gradients;
/// 5. crop back and map [−1, 1] to physical values with the output mapping (`IntensityMapping.physical`).
///
/// The output keeps the input's shape and affine; its modality and unit are the direction's output's. The
/// convolutions run on OpenBLAS's threads and the other kernels on `Parallel`'s workers; normalising and mapping
/// back are split over the workers too, so no step of a batch runs on one core when there is more than one.
///
/// Calls to `translate` are serialised by a lock (the network's scratch state is not shared between calls), so
/// a translator may be handed to another thread.
public final class VolumeTranslator: @unchecked Sendable {
    /// The checkpoint file the network came from (the subject of errors about it).
    public let checkpoint: String
    /// What the checkpoint translates and how (see `TranslatorDescription`).
    public let description: TranslatorDescription
    /// The direction this translator runs.
    public let direction: TranslationDirection
    /// The checkpoint network that runs it (`G_A`, `G_B`, `G`).
    public let networkName: String
    /// That network's architecture.
    public let architecture: NetworkArchitecture
    /// Batch size, noise seed, padding.
    public let options: TranslationOptions
    /// Padded slice sides are multiples of this: the least common multiple of the description's `sideMultiple`
    /// and what the architecture needs (4 for the ResNet generator, 2^downsamplings for the U-Net).
    public let sideMultiple: Int
    /// Padded slice sides are at least this (a multiple of `sideMultiple`): 8 for a ResNet generator with
    /// reflection-padded residual blocks (their 1-pixel reflection at a quarter of the size needs 2 pixels),
    /// 2^downsamplings for the U-Net.
    public let minimumSide: Int

    private let network: any UnaryLayer
    private let lock = NSLock()

    /// The modality the direction takes.
    public var inputModality: Modality { description.roles(direction).input }
    /// The modality the direction gives.
    public var outputModality: Modality { description.roles(direction).output }
    /// The rule that normalises inputs.
    public var inputNormalization: IntensityNormalization { description.roles(direction).inputNormalization }
    /// The window that maps the generator's output back to physical values.
    public var outputMapping: IntensityMapping { description.roles(direction).outputMapping }

    /// Reads a checkpoint and builds the generator of `direction` (see `init(contents:direction:options:)`).
    /// - Throws: `MedSynthError` naming the file: those of `CheckpointContents.read(from:)` and of
    ///   `init(contents:direction:options:)`.
    public convenience init(checkpoint url: URL, direction: TranslationDirection = .aToB,
                            options: TranslationOptions = TranslationOptions()) throws {
        try options.validate()
        try self.init(contents: CheckpointContents.read(from: url), direction: direction, options: options)
    }

    /// Builds the generator of `direction` from checkpoint contents, with its weights, in evaluation mode.
    /// - Throws: `MedSynthError`: `.invalidArgument` for a bad batch size (`--batch`) or a direction the
    ///   checkpoint does not translate (naming the ones it does); naming `contents.source`: `.notFound` when it
    ///   holds no translator description (not written by `medsynth train`) or not the network the description
    ///   names, `.corrupt` for a description that does not decode or has impossible values, `.unsupported` when
    ///   the network is not a ResNet or U-Net generator, `.mismatch` when its channels do not fit the
    ///   description (1 image channel + the noise channels in, 1 out) or its tensors do not fit its architecture.
    public init(contents: CheckpointContents, direction: TranslationDirection = .aToB,
                options: TranslationOptions = TranslationOptions()) throws {
        try options.validate()
        let source = contents.source
        let description: TranslatorDescription
        do {
            description = try TranslatorDescription.read(from: contents.trainingState, source: source)
        } catch let error as MedSynthError where error.subject != source {
            throw MedSynthError(error.kind, source, error.message)
        }
        try description.validate(source: source)
        let name: String
        do { name = try description.generatorName(direction) } catch let error as MedSynthError {
            throw MedSynthError(error.kind, "--direction", "\(error.message) (\(source))")
        }
        guard let architecture = contents.architectures[name], contents.networkNames.contains(name) else {
            throw MedSynthError(.notFound, source, "the translator description names network '\(name)' for \(direction.rawValue), "
                                + "but the checkpoint holds only \(contents.networkNames)")
        }
        let geometry = try Self.geometry(of: architecture, network: name, source: source)
        let inputs = 1 + description.noiseChannels
        guard geometry.inputChannels == inputs, geometry.outputChannels == 1 else {
            throw MedSynthError(.mismatch, source,
                                "network '\(name)' (\(architecture.className)) maps \(geometry.inputChannels) channel(s) to \(geometry.outputChannels); "
                                + "the translator description expects \(inputs) in (1 image channel + \(description.noiseChannels) noise channels) and 1 out")
        }
        // The weights come from the checkpoint, so the initialisation stream does not matter.
        var initialization = SeededGenerator(seed: 0)
        let module = try contents.makeNetwork(name, generator: &initialization)
        guard let network = module as? any UnaryLayer else {
            throw MedSynthError(.unsupported, source, "network '\(name)' (\(architecture.className)) is not an image-to-image layer")
        }
        // Translation never needs gradients: ops on frozen parameters record nothing even outside withNoGrad.
        module.setRequiresGrad(false)
        self.checkpoint = source
        self.description = description
        self.direction = direction
        self.networkName = name
        self.architecture = architecture
        self.options = options
        self.network = network
        sideMultiple = Self.leastCommonMultiple(description.sideMultiple, geometry.sideMultiple)
        minimumSide = Self.roundUp(geometry.minimumSide, to: sideMultiple)
    }

    // MARK: - Translating

    /// Translates a volume (see the type's documentation for the steps).
    /// - Parameters:
    ///   - volume: the input, in the direction's input modality (or `.unknown`) and a unit its normalisation
    ///     takes (HU for a CT window, SUV for PET scaling, any image unit for MR rules).
    ///   - subject: what the volume is, for messages (its file, or `FILE: case 'case003' CT`).
    ///   - noise: the root of the conditional GAN's noise streams (slice k draws from `noise.split(k)`); nil
    ///     means `SeededGenerator(seed: options.seed)`. Unused without noise channels.
    ///   - caseID: passed through to the progress records.
    ///   - progress: called on the calling thread after each batch.
    /// - Returns: the output volume and the windows used.
    /// - Throws: `MedSynthError` naming `subject`: `.mismatch` for a label map, another modality than the
    ///   direction's input, or a unit its normalisation cannot take; `.invalidArgument` for an empty volume or
    ///   slices too small for the generator with reflection padding (quoting the sizes needed); the errors of
    ///   `IntensityNormalization.fit` (non-finite voxels, a constant volume under a per-volume rule).
    public func translate(_ volume: Volume, subject: String, noise: SeededGenerator? = nil, caseID: String? = nil,
                          progress: ((TranslationProgress) -> Void)? = nil) throws -> TranslatedVolume {
        lock.lock()
        defer { lock.unlock() }
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

        try checkModality(of: volume, subject: subject)
        let shape = volume.shape
        guard shape.voxelCount > 0 else {
            throw MedSynthError(.invalidArgument, subject, "is empty (shape \(shape)); expected at least one voxel")
        }
        let (height, width) = (shape.height, shape.width)
        let padded = try paddedSize(height: height, width: width, subject: subject)
        let (top, left) = ((padded.height - height) / 2, (padded.width - width) / 2)
        let (bottom, right) = (padded.height - height - top, padded.width - width - left)

        let roles = description.roles(direction)
        let inputMapping = try roles.inputNormalization.fit(volume, subject: subject)
        let outputMapping = roles.outputMapping
        let noiseRoot = noise ?? SeededGenerator(seed: options.seed)
        let sliceCount = shape.sliceCount
        let batchSize = options.batchSize
        let batchCount = (shape.depth + batchSize - 1) / batchSize
        var output = [Float](repeating: 0, count: shape.voxelCount)

        for batch in 0..<batchCount {
            let first = batch * batchSize
            let count = min(batchSize, shape.depth - first)
            // x: [count, 1, H, W] normalised slices first..<first+count.
            var x = Tensor.zeros([count, 1, height, width])
            x.withUnsafeMutableBufferPointer { dst in
                volume.voxels.withUnsafeBufferPointer { src in
                    let base = first * sliceCount
                    Parallel.forEachChunk(count: count * sliceCount, minimumChunk: Self.mappingChunk) { range in
                        for i in range { dst[i] = inputMapping.normalized(src[base + i]) }
                    }
                }
            }
            if padded.height != height || padded.width != width {
                x = x.padded(top: top, bottom: bottom, left: left, right: right, mode: options.padding.mode)
            }
            if description.noiseChannels > 0 {
                x = Tensor.concatenate([x, noiseTensor(slices: first..<(first + count), height: padded.height,
                                                       width: padded.width, root: noiseRoot)], axis: 1)
            }
            // y: [count, 1, H', W'] in [−1, 1].
            let y = withNoGrad { network(x) }
            guard y.shape == [count, 1, padded.height, padded.width] else {
                throw MedSynthError(.mismatch, checkpoint,
                                    "network '\(networkName)' returned shape \(y.shape) for input \(x.shape); expected [\(count), 1, \(padded.height), \(padded.width)]")
            }
            y.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    // One row of the cropped output at a time: row r is slice r / height, row r % height.
                    Parallel.forEachChunk(count: count * height, minimumChunk: max(1, Self.mappingChunk / width)) { rows in
                        for r in rows {
                            let (s, j) = (r / height, r % height)
                            let from = (s * padded.height + j + top) * padded.width + left
                            let to = ((first + s) * height + j) * width
                            for i in 0..<width { dst[to + i] = outputMapping.physical(src[from + i]) }
                        }
                    }
                }
            }
            progress?(TranslationProgress(caseID: caseID, slicesDone: first + count, sliceCount: shape.depth,
                                          batchesDone: batch + 1, batchCount: batchCount, elapsedSeconds: elapsed()))
        }
        let result = Volume(shape: shape, voxels: output, affine: volume.affine, modality: roles.output, unit: outputMapping.unit)
        return TranslatedVolume(volume: result, inputMapping: inputMapping, outputMapping: outputMapping,
                                paddedSize: padded, seconds: elapsed())
    }

    /// The noise channels of slices `slices`: [count, noiseChannels, H', W'], slice k's drawn from
    /// `root.split(k)` exactly as `Tensor.randn([1, noiseChannels, H', W'], std: noiseStd, using:)` draws them.
    public func noiseTensor(slices: Range<Int>, height: Int, width: Int, root: SeededGenerator) -> Tensor {
        let perSlice = slices.map { k -> Tensor in
            var generator = root.split(UInt64(k))
            return Tensor.randn([1, description.noiseChannels, height, width], std: description.noiseStd, using: &generator)
        }
        return perSlice.count == 1 ? perSlice[0] : Tensor.concatenate(perSlice, axis: 0)
    }

    /// The slice size the generator sees for slices of `height` × `width`: each side rounded up to a multiple of
    /// `sideMultiple`, and to at least `minimumSide`.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `subject` when reflection padding cannot reach that
    ///   size (it adds at most side − 1 pixels on each edge), quoting the smallest side it can pad.
    public func paddedSize(height: Int, width: Int, subject: String) throws -> (height: Int, width: Int) {
        let size = (height: paddedSide(height), width: paddedSide(width))
        guard options.padding == .reflect else { return size }
        for (side, target, what) in [(height, size.height, "height"), (width, size.width, "width")] {
            // The larger half of the padding goes after the image.
            let after = target - side - (target - side) / 2
            guard after < side || after == 0 else {
                let smallest = (1...max(1, minimumSide)).first { s in
                    let t = paddedSide(s), a = t - s - (t - s) / 2
                    return a < s || a == 0
                } ?? minimumSide
                throw MedSynthError(.invalidArgument, subject,
                                    "slices are \(height)×\(width) (height × width), too small for network '\(networkName)' "
                                    + "(\(architecture.className)) of \(checkpoint): it needs sides that are multiples of \(sideMultiple) "
                                    + "and at least \(minimumSide), so the \(what) \(side) would be padded to \(target), but reflection "
                                    + "padding adds at most \(side - 1) pixels on each edge; expected slice sides of at least \(smallest), "
                                    + "or edge padding (--padding edge)")
            }
        }
        return size
    }

    /// A side rounded up to the generator's needs.
    private func paddedSide(_ side: Int) -> Int { max(Self.roundUp(side, to: sideMultiple), minimumSide) }

    /// Refuses label maps, other modalities and units the normalisation cannot take.
    private func checkModality(of volume: Volume, subject: String) throws {
        let roles = description.roles(direction)
        let what = "this checkpoint's \(direction.rawValue) generator translates \(description.summary(direction))"
        guard volume.modality != .label, volume.unit != .label else {
            throw MedSynthError(.mismatch, subject, "is a label map; \(what), expected a \(roles.input.rawValue) image")
        }
        if volume.modality != .unknown && volume.modality != roles.input {
            let other: TranslationDirection = direction == .aToB ? .bToA : .aToB
            let hint = description.directions.contains(other) && description.roles(other).input == volume.modality
                ? " (its \(other.rawValue) direction takes \(volume.modality.rawValue): --direction \(other.rawValue))" : ""
            throw MedSynthError(.mismatch, subject,
                                "is a \(volume.modality.rawValue) volume; \(what), expected a \(roles.input.rawValue) volume\(hint)")
        }
        if let unit = roles.inputNormalization.requiredUnit, volume.unit != unit {
            throw MedSynthError(.mismatch, subject,
                                "is in unit '\(volume.unit.rawValue)' (modality \(volume.modality.rawValue)); \(what) and normalises "
                                + "with \(roles.inputNormalization), expected a \(roles.input.rawValue) volume in \(unit.rawValue)"
                                + (volume.modality == .unknown ? " (if the file holds \(roles.input.rawValue) in \(unit.rawValue) but does not record it, say so: --modality \(roles.input.rawValue))" : ""))
        }
    }

    // MARK: - Helpers

    /// Values per worker chunk when normalising and mapping back (small enough to split a 256² batch of 8).
    static let mappingChunk = 1 << 16

    /// What an architecture needs: channels, side multiple, smallest side.
    static func geometry(of architecture: NetworkArchitecture, network: String, source: String) throws
        -> (inputChannels: Int, outputChannels: Int, sideMultiple: Int, minimumSide: Int) {
        switch architecture {
        case .resnetGenerator(let c):
            // 7×7 reflection at full size needs sides ≥ 4; the blocks' 1-pixel reflection at a quarter of the
            // size needs 2 pixels there.
            let minimum = c.blocks > 0 && c.paddingMode == .reflect ? 8 : 4
            return (c.inputChannels, c.outputChannels, 4, minimum)
        case .unetGenerator(let c):
            return (c.inputChannels, c.outputChannels, 1 << c.downsamplings, 1 << c.downsamplings)
        default:
            throw MedSynthError(.unsupported, source,
                                "network '\(network)' is a \(architecture.className); translation needs a ResnetGenerator or UnetGenerator")
        }
    }

    static func roundUp(_ value: Int, to multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
        return a / gcd(a, b) * b
    }

    /// `fnv1a64:` and the 64-bit FNV-1a hash of the generator's state-dict keys and float32 values, in order:
    /// identifies the weights (a dataset run records it, so that a resumed run with a changed checkpoint at the
    /// same path is refused).
    public func weightsFingerprint() -> String {
        lock.lock()
        defer { lock.unlock() }
        var hash = FNV1a64()
        for (key, value) in network.orderedStateDict() {
            hash.add(key.utf8)
            value.withUnsafeBufferPointer { hash.add(UnsafeRawBufferPointer($0)) }
        }
        return hash.signature
    }
}

import Foundation
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport
import Testing
@testable import MedInference
import MedTraining

/// `VolumeTranslator` on checkpoints of tiny trainers (a CycleGAN with ngf 4 and one residual block, a
/// conditional GAN with a one-block ResNet or a 5-level U-Net): geometry kept, outputs equal to a direct call of
/// the trainer's own generator mapped to physical units (the oracle), seeded noise, padding, and errors.
/// Checkpoint files are written and read inside `HDF5TestGate.exclusive`.
@Suite struct VolumeTranslatorTests {
    // MARK: - Fixtures

    /// CT → T1 windows of the test descriptions.
    static let t1Window = try! IntensityMapping(modality: .t1, unit: .arbitrary, lowerValue: 0, upperValue: 800,
                                                normalization: .standard(for: .t1))
    static let ctNormalization = IntensityNormalization.standard(for: .ct)
    static let petNormalization = IntensityNormalization.standard(for: .pet)

    /// A CycleGAN description: A = CT, B = T1.
    static func cycleGANDescription(sideMultiple: Int = 4) -> TranslatorDescription {
        TranslatorDescription(model: .cyclegan, modalityA: .ct, modalityB: .t1, normalizationA: ctNormalization,
                              normalizationB: .standard(for: .t1), outputMappingA: ctNormalization.fixedMapping(modality: .ct)!,
                              outputMappingB: t1Window, generators: ["AtoB": "G_A", "BtoA": "G_B"], noiseChannels: 0,
                              noiseStd: 0, sideMultiple: sideMultiple, step: 17)
    }

    /// A CT → PET conditional-GAN description matching `options`.
    static func cganDescription(_ options: ConditionalGANOptions) -> TranslatorDescription {
        TranslatorDescription(model: .cgan, modalityA: .ct, modalityB: .pet, normalizationA: ctNormalization,
                              normalizationB: petNormalization, outputMappingA: ctNormalization.fixedMapping(modality: .ct)!,
                              outputMappingB: petNormalization.fixedMapping(modality: .pet)!, generators: ["AtoB": "G"],
                              noiseChannels: options.noiseChannels, noiseStd: options.noiseStd,
                              sideMultiple: options.generatorArchitecture == .unet ? 1 << options.downsamplings : 4, step: 3)
    }

    static func tinyCycleGAN(seed: UInt64 = 5) -> CycleGANTrainer {
        var o = CycleGANOptions()
        (o.generatorFilters, o.residualBlocks, o.discriminatorFilters) = (4, 1, 4)
        return CycleGANTrainer(options: o, seed: seed)
    }

    static func tinyCGAN(_ architecture: ConditionalGANOptions.GeneratorArchitecture = .resnet, noiseChannels: Int = 1) throws -> ConditionalGANTrainer {
        var o = ConditionalGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.residualBlocks, o.downsamplings) = (4, 4, 1, 5)
        (o.generatorArchitecture, o.noiseChannels, o.noiseStd) = (architecture, noiseChannels, 0.7)
        return try ConditionalGANTrainer(options: o, seed: 9)
    }

    /// Saves `trainer`'s checkpoint with `description` (nil: none) in a new folder; returns the file.
    static func save<T: ResumableTrainer>(_ trainer: T, _ description: TranslatorDescription?, label: String) throws -> URL {
        let folder = try Fixtures.temporaryFolder("translator-\(label)")
        let file = folder.appendingPathComponent("latest.h5")
        var state = TrainingState()
        state.integers["step"] = 17
        if let description { try description.store(in: &state) }
        try HDF5TestGate.exclusive { try trainer.checkpoint().save(to: file, trainingState: state) }
        return file
    }

    static func translator(_ file: URL, _ direction: TranslationDirection = .aToB,
                           options: TranslationOptions = TranslationOptions()) throws -> VolumeTranslator {
        try HDF5TestGate.exclusive { try VolumeTranslator(checkpoint: file, direction: direction, options: options) }
    }

    /// A seeded volume with an oblique affine: CT in HU (−1000…1500) or T1 in arbitrary units (0…700).
    static func volume(_ modality: Modality, depth: Int, height: Int, width: Int, seed: UInt64 = 3) -> Volume {
        var g = SeededGenerator(seed: seed)
        let (lower, upper) = modality == .ct ? (-1000.0, 1500.0) : (0.0, 700.0)
        let voxels = (0..<(depth * height * width)).map { _ in Float(g.uniform(lower, upper)) }
        let affine = Affine(rowMajor: [0.8, 0.1, 0, -90, -0.05, 0.9, 0.2, -100, 0, -0.1, 2.5, 30, 0, 0, 0, 1])
        return Volume(shape: VolumeShape(depth: depth, height: height, width: width), voxels: voxels, affine: affine,
                      modality: modality)
    }

    /// The oracle: each slice normalised with `inputMapping`, padded (top/left get the smaller half), with noise
    /// from `noiseRoot.split(k)` appended, through `generator` in eval mode without gradients, cropped and mapped
    /// to physical values with `outputMapping` — one slice per call.
    static func oracle(_ volume: Volume, generator: any UnaryLayer, inputMapping: IntensityMapping,
                       outputMapping: IntensityMapping, padded: (height: Int, width: Int), mode: PaddingMode = .reflect,
                       noise: (channels: Int, std: Float, root: SeededGenerator)? = nil) -> [Float] {
        generator.eval()
        let (h, w) = (volume.shape.height, volume.shape.width)
        let (top, left) = ((padded.height - h) / 2, (padded.width - w) / 2)
        var out: [Float] = []
        for k in 0..<volume.shape.depth {
            var x = Tensor(inputMapping.normalize(volume.sliceVoxels(k)), shape: [1, 1, h, w])
            x = x.padded(top: top, bottom: padded.height - h - top, left: left, right: padded.width - w - left, mode: mode)
            if let noise {
                var g = noise.root.split(UInt64(k))
                x = Tensor.concatenate([x, Tensor.randn([1, noise.channels, padded.height, padded.width], std: noise.std, using: &g)], axis: 1)
            }
            let y = withNoGrad { generator(x) }.sliced(axis: 2, top..<(top + h)).sliced(axis: 3, left..<(left + w))
            out += outputMapping.physicalValues(of: y)
        }
        return out
    }

    /// Largest difference in units of the output window's half width (the network's output scale).
    static func normalizedDifference(_ a: [Float], _ b: [Float], mapping: IntensityMapping) -> Double {
        Approx.maxAbsDifference(a, b) / (mapping.width / 2)
    }

    /// Network outputs of 1e-5 apart: float rounding of the convolutions' matrix products, which group slices
    /// differently in a batch of several than one at a time.
    static let tolerance = 1e-5

    // MARK: - Geometry and the oracle

    @Test func cycleGANKeepsShapeAndAffineAndMatchesTheGenerator() throws {
        let trainer = Self.tinyCycleGAN()
        let file = try Self.save(trainer, Self.cycleGANDescription(), label: "cyclegan")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file, options: TranslationOptions(batchSize: 2))
        #expect(translator.networkName == "G_A" && translator.inputModality == .ct && translator.outputModality == .t1)
        #expect(translator.sideMultiple == 4 && translator.minimumSide == 8)

        let ct = Self.volume(.ct, depth: 5, height: 16, width: 12)
        var reports: [TranslationProgress] = []
        let result = try translator.translate(ct, subject: "ct") { reports.append($0) }
        let t1 = result.volume
        #expect(t1.shape == ct.shape && t1.affine == ct.affine)
        #expect(t1.modality == .t1 && t1.unit == .arbitrary)
        #expect(result.outputMapping == Self.t1Window && result.paddedSize.height == 16 && result.paddedSize.width == 12)
        #expect(t1.voxels.allSatisfy { $0 >= 0 && $0 <= 800 })
        #expect(reports.map(\.slicesDone) == [2, 4, 5] && reports.allSatisfy { $0.sliceCount == 5 && $0.batchCount == 3 })

        let expected = Self.oracle(ct, generator: trainer.generatorA, inputMapping: result.inputMapping,
                                   outputMapping: Self.t1Window, padded: (16, 12))
        let difference = Self.normalizedDifference(t1.voxels, expected, mapping: Self.t1Window)
        #expect(difference <= Self.tolerance, "max difference \(difference) of the half window")
        #expect(Set(t1.voxels).count > 100, "the output is not a constant")
    }

    @Test func cycleGANBackwardDirectionUsesGBAndThePerVolumeWindow() throws {
        let trainer = Self.tinyCycleGAN()
        let file = try Self.save(trainer, Self.cycleGANDescription(), label: "cyclegan-b2a")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file, .bToA)
        let t1 = Self.volume(.t1, depth: 3, height: 8, width: 8)
        let result = try translator.translate(t1, subject: "t1")
        #expect(translator.networkName == "G_B" && result.volume.modality == .ct && result.volume.unit == .hounsfield)
        // MR inputs are normalised with their own percentiles.
        let fitted = try IntensityNormalization.standard(for: .t1).fit(t1, subject: "t1")
        #expect(result.inputMapping == fitted)
        let ctMapping = Self.ctNormalization.fixedMapping(modality: .ct)!
        let expected = Self.oracle(t1, generator: trainer.generatorB, inputMapping: fitted, outputMapping: ctMapping, padded: (8, 8))
        #expect(Self.normalizedDifference(result.volume.voxels, expected, mapping: ctMapping) <= Self.tolerance)
        #expect(result.volume.voxels.allSatisfy { $0 >= -1024 && $0 <= 2000 })
    }

    @Test(arguments: [TranslationOptions.Padding.reflect, .edge])
    func oddSidesArePaddedAndCroppedBack(padding: TranslationOptions.Padding) throws {
        let trainer = Self.tinyCycleGAN()
        let file = try Self.save(trainer, Self.cycleGANDescription(), label: "cyclegan-pad")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file, options: TranslationOptions(batchSize: 3, padding: padding))
        let ct = Self.volume(.ct, depth: 4, height: 13, width: 6)
        let result = try translator.translate(ct, subject: "ct")
        // 13 → 16 (multiple of 4); 6 → 8 (the smallest side of a ResNet generator with reflecting blocks).
        #expect(result.paddedSize.height == 16 && result.paddedSize.width == 8 && result.volume.shape == ct.shape && result.volume.affine == ct.affine)
        let expected = Self.oracle(ct, generator: trainer.generatorA, inputMapping: result.inputMapping,
                                   outputMapping: Self.t1Window, padded: (16, 8), mode: padding.mode)
        #expect(Self.normalizedDifference(result.volume.voxels, expected, mapping: Self.t1Window) <= Self.tolerance)
        // The other padding gives other values near the border, so the oracle does see the padding.
        let other = Self.oracle(ct, generator: trainer.generatorA, inputMapping: result.inputMapping, outputMapping: Self.t1Window,
                                padded: (16, 8), mode: padding == .reflect ? .replicate : .reflect)
        #expect(Self.normalizedDifference(result.volume.voxels, other, mapping: Self.t1Window) > 100 * Self.tolerance)
    }

    @Test func aDescriptionSideMultipleAboveTheArchitecturesIsHonoured() throws {
        let trainer = Self.tinyCycleGAN()
        let file = try Self.save(trainer, Self.cycleGANDescription(sideMultiple: 16), label: "cyclegan-16")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file)
        #expect(translator.sideMultiple == 16 && translator.minimumSide == 16)
        let result = try translator.translate(Self.volume(.ct, depth: 1, height: 20, width: 9), subject: "ct")
        #expect(result.paddedSize.height == 32 && result.paddedSize.width == 16)
    }

    // MARK: - Conditional GAN noise

    @Test(arguments: [ConditionalGANOptions.GeneratorArchitecture.resnet, .unet])
    func conditionalGANNoiseIsSeededAndMatchesTheGenerator(architecture: ConditionalGANOptions.GeneratorArchitecture) throws {
        let trainer = try Self.tinyCGAN(architecture)
        let description = Self.cganDescription(trainer.options)
        let file = try Self.save(trainer, description, label: "cgan-\(architecture)")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        // 20 × 24: the U-Net (5 levels) pads to 32 × 32, the ResNet to 20 × 24.
        let ct = Self.volume(.ct, depth: 5, height: 20, width: 24)
        func run(seed: UInt64, batch: Int) throws -> TranslatedVolume {
            try Self.translator(file, options: TranslationOptions(batchSize: batch, seed: seed)).translate(ct, subject: "ct")
        }
        let first = try run(seed: 7, batch: 2)
        let again = try run(seed: 7, batch: 2)
        #expect(first.volume.voxels == again.volume.voxels, "same seed, same bytes")
        #expect(first.volume.modality == .pet && first.volume.unit == .suv && first.volume.affine == ct.affine)
        let otherSeed = try run(seed: 8, batch: 2)
        #expect(first.volume.voxels != otherSeed.volume.voxels, "another seed, other noise")
        let petMapping = Self.petNormalization.fixedMapping(modality: .pet)!
        // Noise is drawn per slice, so the batch size does not change it.
        let oneByOne = try run(seed: 7, batch: 1)
        #expect(Self.normalizedDifference(first.volume.voxels, oneByOne.volume.voxels, mapping: petMapping) <= Self.tolerance)

        let padded = architecture == .unet ? (height: 32, width: 32) : (height: 20, width: 24)
        #expect(first.paddedSize.height == padded.height && first.paddedSize.width == padded.width)
        let expected = Self.oracle(ct, generator: trainer.generator, inputMapping: first.inputMapping, outputMapping: petMapping,
                                   padded: padded, noise: (1, 0.7, SeededGenerator(seed: 7)))
        let difference = Self.normalizedDifference(first.volume.voxels, expected, mapping: petMapping)
        #expect(difference <= Self.tolerance, "max difference \(difference) of the half window")
    }

    @Test func noiseTensorIsSlicewiseRandn() throws {
        let trainer = try Self.tinyCGAN(noiseChannels: 2)
        let file = try Self.save(trainer, Self.cganDescription(trainer.options), label: "cgan-noise")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file)
        let root = SeededGenerator(seed: 11)
        let noise = translator.noiseTensor(slices: 3..<5, height: 4, width: 8, root: root)
        #expect(noise.shape == [2, 2, 4, 8])
        var g3 = root.split(3), g4 = root.split(4)
        let expected = Tensor.randn([1, 2, 4, 8], std: 0.7, using: &g3).scalars + Tensor.randn([1, 2, 4, 8], std: 0.7, using: &g4).scalars
        #expect(noise.scalars == expected)
    }

    // MARK: - Errors

    @Test func checkpointErrorsNameTheFileAndTheProblem() throws {
        let trainer = Self.tinyCycleGAN()
        let plain = try Self.save(trainer, nil, label: "no-description")
        defer { try? FileManager.default.removeItem(at: plain.deletingLastPathComponent()) }
        let missing = #expect(throws: MedSynthError.self) { _ = try Self.translator(plain) }
        #expect(missing?.kind == .notFound && missing?.subject == plain.path && missing?.message.contains("translator") == true)

        var broken = Self.cycleGANDescription()
        broken.sideMultiple = 0
        let corrupt = try Self.save(trainer, broken, label: "side-0")
        defer { try? FileManager.default.removeItem(at: corrupt.deletingLastPathComponent()) }
        let zero = #expect(throws: MedSynthError.self) { _ = try Self.translator(corrupt) }
        #expect(zero?.kind == .corrupt && zero?.subject == corrupt.path && zero?.message.contains("sideMultiple is 0") == true)

        var wrongNetwork = Self.cycleGANDescription()
        wrongNetwork.generators = ["AtoB": "D_A"]
        let discriminator = try Self.save(trainer, wrongNetwork, label: "discriminator")
        defer { try? FileManager.default.removeItem(at: discriminator.deletingLastPathComponent()) }
        let notAGenerator = #expect(throws: MedSynthError.self) { _ = try Self.translator(discriminator) }
        #expect(notAGenerator?.kind == .unsupported && notAGenerator?.message.contains("NLayerDiscriminator") == true)

        let cgan = try Self.tinyCGAN()
        var noNoise = Self.cganDescription(cgan.options)
        noNoise.noiseChannels = 0
        let channels = try Self.save(cgan, noNoise, label: "channels")
        defer { try? FileManager.default.removeItem(at: channels.deletingLastPathComponent()) }
        let mismatch = #expect(throws: MedSynthError.self) { _ = try Self.translator(channels) }
        #expect(mismatch?.kind == .mismatch && mismatch?.message.contains("2 channel(s)") == true)

        let good = try Self.save(cgan, Self.cganDescription(cgan.options), label: "cgan-direction")
        defer { try? FileManager.default.removeItem(at: good.deletingLastPathComponent()) }
        let direction = #expect(throws: MedSynthError.self) { _ = try Self.translator(good, .bToA) }
        #expect(direction?.kind == .invalidArgument && direction?.subject == "--direction"
                && direction?.message.contains("translates only AtoB") == true, "\(String(describing: direction))")
        let batch = #expect(throws: MedSynthError.self) { _ = try Self.translator(good, options: TranslationOptions(batchSize: 0)) }
        #expect(batch?.subject == "--batch")
    }

    @Test func inputErrorsNameTheVolumeAndWhatWasExpected() throws {
        let trainer = Self.tinyCycleGAN()
        let file = try Self.save(trainer, Self.cycleGANDescription(), label: "input-errors")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let translator = try Self.translator(file)
        func error(_ volume: Volume) -> MedSynthError? {
            #expect(throws: MedSynthError.self) { _ = try translator.translate(volume, subject: "input.nii") }
        }
        let t1 = error(Self.volume(.t1, depth: 1, height: 8, width: 8))
        #expect(t1?.kind == .mismatch && t1?.subject == "input.nii" && t1?.message.contains("expected a CT volume") == true
                && t1?.message.contains("--direction BtoA") == true, "\(String(describing: t1))")

        var unknown = Self.volume(.ct, depth: 1, height: 8, width: 8)
        (unknown.modality, unknown.unit) = (.unknown, .arbitrary)
        let unit = error(unknown)
        #expect(unit?.kind == .mismatch && unit?.message.contains("--modality CT") == true, "\(String(describing: unit))")

        let labels = Volume(shape: VolumeShape(depth: 1, height: 8, width: 8), filledWith: 1, modality: .label)
        #expect(error(labels)?.message.contains("label map") == true)

        var nan = Self.volume(.ct, depth: 1, height: 8, width: 8)
        nan.voxels[5] = .nan
        #expect(error(nan)?.kind == .corrupt)

        // 3 × 3 slices must become 8 × 8, more than reflection can add to 3 pixels.
        let small = error(Self.volume(.ct, depth: 2, height: 3, width: 3))
        #expect(small?.kind == .invalidArgument && small?.message.contains("slices are 3×3") == true
                && small?.message.contains("at least 4") == true && small?.message.contains("--padding edge") == true,
                "\(String(describing: small))")
        let edge = try Self.translator(file, options: TranslationOptions(padding: .edge))
        let padded = try edge.translate(Self.volume(.ct, depth: 2, height: 3, width: 3), subject: "small")
        #expect(padded.paddedSize.height == 8 && padded.paddedSize.width == 8 && padded.volume.shape == VolumeShape(depth: 2, height: 3, width: 3))
    }

    @Test func weightsFingerprintFollowsTheWeights() throws {
        let file = try Self.save(Self.tinyCycleGAN(seed: 5), Self.cycleGANDescription(), label: "fingerprint-a")
        let other = try Self.save(Self.tinyCycleGAN(seed: 6), Self.cycleGANDescription(), label: "fingerprint-b")
        defer {
            try? FileManager.default.removeItem(at: file.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: other.deletingLastPathComponent())
        }
        let a = try Self.translator(file).weightsFingerprint()
        #expect(a.hasPrefix("fnv1a64:") && a.count == 24)
        #expect(a == (try Self.translator(file).weightsFingerprint()))
        #expect(a != (try Self.translator(other).weightsFingerprint()))
        #expect(a != (try Self.translator(file, .bToA).weightsFingerprint()))
    }
}

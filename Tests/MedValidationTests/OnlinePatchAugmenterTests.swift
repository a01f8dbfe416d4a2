import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedTestSupport
import Testing
@testable import MedTraining
@testable import MedValidation

/// On-the-fly patch augmentation: identity pipelines return the plain patch, draws follow the generator, class
/// indices stay integer classes of the input, a mirror is a mirror, mm settings are in the case's millimetres,
/// the shipped nnU-Net-like config runs, and bad input is an error.
@Suite struct OnlinePatchAugmenterTests {
    static let shape = VolumeShape(depth: 3, height: 96, width: 96)
    static let mapping = try! IntensityMapping(modality: .flair, unit: .arbitrary, lowerValue: 0, upperValue: 1000,
                                               normalization: .percentiles(lower: 0.5, upper: 99.9))

    /// A phantom-like FLAIR case: a head disk (class 1, ≈ 400 MR units with a left–right and top–bottom ramp, so
    /// no patch is symmetric) holding an off-centre lesion (class 2, ≈ 800), on 0.9 × 0.9 × 3 mm voxels.
    static let item: SegmentationCase = {
        var physical = [Float](repeating: 0, count: shape.voxelCount), classes = physical
        for k in 0..<shape.depth {
            for j in 0..<shape.height {
                for i in 0..<shape.width {
                    let n = (k * shape.height + j) * shape.width + i
                    let (x, y) = (Double(i) - 47.5, Double(j) - 47.5)
                    if x * x + y * y < 42 * 42 {
                        physical[n] = Float(400 + 1.5 * Double(i) + 0.7 * Double(j) + 10 * Double(k))
                        classes[n] = 1
                    }
                    if (x - 12) * (x - 12) / 64 + (y + 6) * (y + 6) / 25 < 1 {
                        physical[n] = 800
                        classes[n] = 2
                    }
                }
            }
        }
        let affine = Affine(spacingMM: SIMD3(0.9, 0.9, 3), originMM: SIMD3(-40, -50, 12))
        return SegmentationCase(fileIndex: 0, caseID: "phantom-like", shape: shape, affine: affine,
                                channels: [mapping.normalize(physical)], mappings: [mapping], classes: classes,
                                foreground: classes.indices.filter { classes[$0] > 0 })
    }()

    /// The plain patch [origin, origin + size) of a [depth][height][width] array.
    static func crop(_ values: [Float], origin: [Int], size: [Int]) -> [Float] {
        var out: [Float] = []
        for z in origin[0]..<(origin[0] + size[0]) {
            for y in origin[1]..<(origin[1] + size[1]) {
                let row = (z * shape.height + y) * shape.width
                out += values[(row + origin[2])..<(row + origin[2] + size[2])]
            }
        }
        return out
    }

    static func pipeline(_ yaml: String) throws -> AugmentationPipeline { try AugmentationPipeline(yaml: yaml) }

    static var onlineConfig: URL { Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-online.yaml") }

    static func augment(_ pipeline: AugmentationPipeline, seed: UInt64, origin: [Int] = [1, 20, 16],
                        size: [Int] = [1, 64, 64]) throws -> (channels: [[Float]], classes: [Float]) {
        var g = SeededGenerator(seed: seed)
        return try OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair]).patch(from: item, origin: origin, patch: size, generator: &g)
    }

    static func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// No transform (an empty list, or steps that never run): the un-augmented patch, channels through the
    /// inverse and forward mapping within 1e-5, classes exact; 2-D and 3-D patches, margins clamped at the border.
    @Test func identityPipelinesReturnThePlainPatch() throws {
        let identities = [AugmentationPipeline(steps: []), try Self.pipeline("transforms: []"),
                          try Self.pipeline("""
                              transforms:
                                - transform: affine
                                  probability: 0
                                - transform: ricianNoise
                                  probability: 0
                              """)]
        for pipeline in identities {
            for (origin, size) in [([1, 20, 16], [1, 64, 64]), ([0, 0, 0], [1, 40, 96]), ([0, 50, 60], [3, 46, 36])] {
                let out = try Self.augment(pipeline, seed: 3, origin: origin, size: size)
                #expect(out.channels.count == 1 && out.channels[0].count == size.reduce(1, *))
                let expected = Self.crop(Self.item.channels[0], origin: origin, size: size)
                #expect(Self.maximumDifference(out.channels[0], expected) <= 1e-5, "origin \(origin) size \(size)")
                #expect(out.classes == Self.crop(Self.item.classes, origin: origin, size: size), "origin \(origin) size \(size)")
            }
        }
    }

    static let strong = """
        transforms:
          - transform: affine
            probability: 1
            rotationDegrees: [[0, 0], [0, 0], [-30, 30]]
            scale: [0.8, 1.3]
            translationMM: [[-6, 6], [-6, 6], [0, 0]]
          - transform: gamma
            probability: 1
          - transform: ricianNoise
            probability: 1
            standardDeviation: [5, 20]
        """

    /// The generator decides everything: the same seed gives the same bytes, another seed other bytes.
    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        for pipeline in [try Self.pipeline(Self.strong), try AugmentationPipeline(contentsOf: Self.onlineConfig)] {
            let a = try Self.augment(pipeline, seed: 11), b = try Self.augment(pipeline, seed: 11)
            #expect(a.channels.map { $0.map(\.bitPattern) } == b.channels.map { $0.map(\.bitPattern) })
            #expect(a.classes == b.classes)
        }
        let strong = try Self.pipeline(Self.strong)
        let a = try Self.augment(strong, seed: 11), c = try Self.augment(strong, seed: 12)
        #expect(a.channels != c.channels)
        #expect(a.classes != c.classes)
        // The shipped config skips every step now and then, but not for all of eight seeds.
        let online = try AugmentationPipeline(contentsOf: Self.onlineConfig)
        let plain = try Self.augment(AugmentationPipeline(steps: []), seed: 0)
        var changed = 0
        for seed in 0..<8 as Range<UInt64> {
            if try Self.augment(online, seed: seed).channels != plain.channels { changed += 1 }
        }
        #expect(changed >= 4)
    }

    /// Rotations, scaling and elastic deformation move the class map by nearest neighbour: every value is a class
    /// of the input (0, 1, 2), and the lesion survives.
    @Test func classesStayInputClasses() throws {
        let elastic = try Self.pipeline(Self.strong + """

              - transform: elastic
                probability: 1
                controlPoints: [5, 5, 4]
                displacementMM: [[-4, 4], [-4, 4], [0, 0]]
            """)
        for pipeline in [try Self.pipeline(Self.strong), elastic, try AugmentationPipeline(contentsOf: Self.onlineConfig)] {
            for seed in 0..<6 as Range<UInt64> {
                let out = try Self.augment(pipeline, seed: seed, origin: [1, 16, 40], size: [1, 48, 48])
                #expect(out.classes.allSatisfy { [0, 1, 2].contains($0) }, "seed \(seed)")
                #expect(out.classes.contains(2), "seed \(seed): the lesion left the patch")
                #expect(out.channels[0].allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 })
            }
        }
    }

    /// A width flip with probability 1 and a symmetric margin (the block stays inside the volume on both sides)
    /// mirrors the patch exactly.
    @Test func flipMirrorsThePatchWhenTheMarginIsSymmetric() throws {
        let flip = try Self.pipeline("""
            transforms:
              - transform: flip
                probability: 1
                axes: [width]
                probabilityPerAxis: 1
            """)
        let (origin, size) = ([1, 24, 20], [1, 32, 40])   // margins 8 and 10: [16, 64) × [10, 70) inside 96 × 96
        let out = try Self.augment(flip, seed: 5, origin: origin, size: size)
        func mirrored(_ v: [Float]) -> [Float] {
            (0..<size[1]).flatMap { y in v[(y * size[2])..<((y + 1) * size[2])].reversed() }
        }
        let plainChannel = Self.crop(Self.item.channels[0], origin: origin, size: size)
        let plainClasses = Self.crop(Self.item.classes, origin: origin, size: size)
        #expect(Self.maximumDifference(out.channels[0], mirrored(plainChannel)) <= 1e-5)
        #expect(out.classes == mirrored(plainClasses))
        #expect(out.classes != plainClasses)
    }

    /// The block's affine is the case's shifted to the block: a translation of 4.5 mm along width on 0.9 mm voxels
    /// moves the content by exactly 5 voxels.
    @Test func millimetreSettingsUseTheCasesSpacing() throws {
        let shift = try Self.pipeline("""
            transforms:
              - transform: affine
                probability: 1
                rotationDegrees: 0
                scale: 1
                translationMM: [[4.5, 4.5], [0, 0], [0, 0]]
            """)
        let (origin, size) = ([1, 20, 16], [1, 64, 64])
        let out = try Self.augment(shift, seed: 1, origin: origin, size: size)
        let source = [origin[0], origin[1], origin[2] - 5]
        #expect(Self.maximumDifference(out.channels[0], Self.crop(Self.item.channels[0], origin: source, size: size)) <= 1e-4)
        #expect(out.classes == Self.crop(Self.item.classes, origin: source, size: size))
    }

    /// Configs/augment-online.yaml parses and runs on phantom-like 1 × 64 × 64 patches; the cost per patch is logged
    /// (no threshold: the machine is shared).
    @Test func shippedOnlineConfigRuns() throws {
        let (pipeline, yaml) = try AugmentationPipeline.read(Self.onlineConfig)
        #expect(yaml.contains("rotationDegrees"))
        #expect(pipeline.steps.map(\.name) == ["flip", "affine", "lowResolution", "blur", "gamma", "contrast", "ricianNoise"])
        let augmenter = OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair])
        let patches = 200
        let clock = ContinuousClock()
        var checksum: Float = 0
        let elapsed = try clock.measure {
            for n in 0..<patches {
                var g = SeededGenerator(seed: 21).split(UInt64(n))
                let out = try augmenter.patch(from: Self.item, origin: [n % 3, 16, 16], patch: [1, 64, 64], generator: &g)
                #expect(out.channels[0].count == 64 * 64 && out.classes.count == 64 * 64)
                checksum += out.channels[0][2080]
            }
        }
        let perPatchMS = Double(elapsed.components.attoseconds) / 1e15 / Double(patches) + Double(elapsed.components.seconds) * 1000 / Double(patches)
        print("OnlinePatchAugmenter: Configs/augment-online.yaml, 1x64x64 FLAIR patch (block 1x96x96 with margin 0.25): "
              + String(format: "%.3f", perPatchMS) + " ms per patch over \(patches) patches (checksum \(checksum))")
    }

    /// Patches outside the volume, malformed origins or sizes, channel counts other than the modalities', bad
    /// margins and modalities: `MedSynthError`, never a trap.
    @Test func badInputIsAnError() throws {
        let pipeline = try AugmentationPipeline(contentsOf: Self.onlineConfig)
        func expectError(_ augmenter: OnlinePatchAugmenter, item: SegmentationCase = Self.item, origin: [Int] = [0, 0, 0],
                         size: [Int] = [1, 64, 64], _ comment: Comment) {
            var g = SeededGenerator(seed: 1)
            #expect(throws: MedSynthError.self, comment) { _ = try augmenter.patch(from: item, origin: origin, patch: size, generator: &g) }
        }
        let flair = OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair])
        expectError(flair, origin: [0, 40, 40], "past the far edge")
        expectError(flair, origin: [0, -1, 0], "negative origin")
        expectError(flair, origin: [3, 0, 0], "past the last slice")
        expectError(flair, size: [1, 97, 64], "larger than the volume")
        expectError(flair, size: [0, 64, 64], "empty patch")
        expectError(flair, origin: [0, 0], "two-number origin")
        expectError(flair, size: [64, 64], "two-number size")
        expectError(OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair, .t1]), "two modalities, one channel")
        expectError(OnlinePatchAugmenter(pipeline: pipeline, modalities: [.t1]), "another modality than the mapping's")
        expectError(OnlinePatchAugmenter(pipeline: pipeline, modalities: []), "no modality")
        expectError(OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair], marginFraction: -0.1), "negative margin")
        expectError(OnlinePatchAugmenter(pipeline: pipeline, modalities: [.flair], marginFraction: .nan), "NaN margin")
        var twoChannels = Self.item
        twoChannels.channels.append(Self.item.channels[0])
        expectError(flair, item: twoChannels, "two channels, one modality")
        var short = Self.item
        short.channels[0].removeLast()
        expectError(flair, item: short, "a channel shorter than the shape")
        var badClasses = Self.item
        badClasses.classes = [0, 1]
        expectError(flair, item: badClasses, "a class map of another size")
        let message = try #require(throws: MedSynthError.self) {
            var g = SeededGenerator(seed: 1)
            _ = try flair.patch(from: Self.item, origin: [0, 40, 40], patch: [1, 64, 64], generator: &g)
        }
        #expect(message.description.contains("phantom-like") && message.description.contains("[0, 40, 40]"))
    }
}

import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct AugmentPipelineTests {
    /// The repository's default configuration.
    static var defaultConfig: URL { Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml") }

    /// The error `init(yaml:)` throws, or nil.
    static func error(_ yaml: String) -> MedSynthError? {
        do { _ = try AugmentationPipeline(yaml: yaml); return nil } catch let e as MedSynthError { return e } catch {
            Issue.record("not a MedSynthError: \(error)")
            return nil
        }
    }

    @Test func defaultConfigParses() throws {
        let p = try AugmentationPipeline(contentsOf: Self.defaultConfig)
        #expect(p.steps.count == 15)
        #expect(p.steps.first?.name == "flip" && p.steps[1].probability == 0.7)
        #expect(Set(p.steps.map(\.name)).count == 14)
    }

    /// Settings missing from YAML take the documented defaults.
    @Test func missingKeysTakeDefaults() throws {
        let p = try AugmentationPipeline(yaml: "transforms:\n  - transform: affine\n    rotationDegrees: [-5, 5]\n")
        #expect(p.steps[0].probability == 1)
        #expect(p.steps[0].settingsJSON.contains("\"isotropicScale\" : true"))
    }

    /// Every transform named alone gets exactly its `Settings()` (TransformSettings supplies each absent key's
    /// default), and one key set leaves the others at their defaults.
    @Test func everyTransformAloneTakesItsDefaultSettings() throws {
        func defaults<T: AugmentationTransform>(_: T.Type) throws -> String {
            try AugmentationStep(T(settings: T.Settings())).settingsJSON
        }
        #expect(AugmentationRegistry.names.count >= 15)
        for name in AugmentationRegistry.names {
            let type = try #require(AugmentationRegistry.transform(named: name))
            let parsed = try AugmentationPipeline(yaml: "transforms:\n  - transform: \(name)\n")
            #expect(parsed.steps[0].settingsJSON == (try defaults(type)), "\(name)")
        }
        var expected = ContrastAugmentation.Settings()
        expected.modalities = [.t1]
        let one = try AugmentationPipeline(yaml: "transforms:\n  - transform: contrast\n    modalities: [T1]\n")
        #expect(one.steps[0].settingsJSON == (try AugmentationStep(ContrastAugmentation(settings: expected)).settingsJSON))
    }

    /// Unknown keys, unknown transforms, out-of-range and mistyped values are errors naming entry, key and value.
    @Test func yamlErrorsNameTheKeyAndValue() throws {
        let typo = Self.error("transforms:\n  - transform: affine\n    rotationDegree: [-5, 5]\n")
        #expect(typo?.subject == "transforms[0] (affine).rotationDegree")
        #expect(typo?.message.contains("is not a setting of 'affine'") == true && typo?.message.contains("rotationDegrees") == true)

        let range = Self.error("transforms:\n  - transform: flip\n  - transform: affine\n    rotationDegrees: [-200, 10]\n")
        #expect(range?.subject == "transforms[1] (affine).rotationDegrees")
        #expect(range?.message.contains("-200.0") == true && range?.message.contains("[-180.0, 180.0]") == true)

        let reversed = Self.error("transforms:\n  - transform: gamma\n    logGamma: [0.3, -0.3]\n")
        #expect(reversed?.subject == "transforms[0] (gamma).logGamma" && reversed?.message.contains("lower <= upper") == true)

        let probability = Self.error("transforms:\n  - transform: blur\n    probability: 1.5\n")
        #expect(probability?.subject == "transforms[0] (blur).probability" && probability?.message.contains("1.5") == true)

        let unknown = Self.error("transforms:\n  - transform: twirl\n")
        #expect(unknown?.subject == "transforms[0].transform" && unknown?.message.contains("'twirl'") == true
                && unknown?.message.contains("elastic") == true)

        let missing = Self.error("transforms:\n  - probability: 0.5\n")
        #expect(missing?.subject == "transforms[0].transform")

        let wrongType = Self.error("transforms:\n  - transform: elastic\n    controlPoints: seven\n")
        #expect(wrongType?.subject?.hasPrefix("transforms[0] (elastic).") == true && wrongType?.subject?.contains("controlPoints") == true)

        // Modalities are an open set (any MR contrast name, e.g. T1ce), so only a name that cannot be one fails.
        let modality = Self.error("transforms:\n  - transform: biasField\n    modalities: [T1, \"T1 weighted\"]\n")
        #expect(modality?.subject?.contains("modalities") == true)

        let topLevel = Self.error("transform:\n  - transform: flip\n")
        #expect(topLevel?.subject == "transforms" || topLevel?.subject == "transform")

        let syntax = Self.error("transforms: [\n")
        #expect(syntax != nil)
    }

    /// The same seed gives a byte-identical case and record; another seed gives another case. The record survives
    /// a JSON round trip, and replaying it reproduces the case exactly.
    @Test func sameSeedSameResultAndReplay() throws {
        let p = try AugmentationPipeline(contentsOf: Self.defaultConfig)
        let c = AugmentFixture.augmentationCase
        var g1 = SeededGenerator(seed: 11), g2 = SeededGenerator(seed: 11), g3 = SeededGenerator(seed: 12)
        let a = try p.apply(to: c, using: &g1), b = try p.apply(to: c, using: &g2), other = try p.apply(to: c, using: &g3)
        #expect(a.augmentationCase == b.augmentationCase && a.record == b.record)
        #expect(a.augmentationCase != other.augmentationCase)
        let json = try PrettyJSON.data(a.record)
        let decoded = try JSONDecoder().decode(AugmentationRecord.self, from: json)
        #expect(decoded == a.record)
        #expect(try p.replay(decoded, on: c) == a.augmentationCase)
    }

    /// Every transform at probability 1: the same seed is byte-identical, the record lists all of them in order.
    @Test func everyTransformIsDeterministic() throws {
        let yaml = "transforms:\n" + AugmentationRegistry.names.map { "  - transform: \($0)\n" }.joined()
        let p = try AugmentationPipeline(yaml: yaml)
        let c = AugmentFixture.augmentationCase
        var g1 = SeededGenerator(seed: 3), g2 = SeededGenerator(seed: 3)
        let a = try p.apply(to: c, using: &g1), b = try p.apply(to: c, using: &g2)
        #expect(a.record.transformNames == AugmentationRegistry.names)
        for name in c.imageNames {
            let x = a.augmentationCase.images[name]!.voxels, y = b.augmentationCase.images[name]!.voxels
            #expect(x.withUnsafeBytes { Array($0) } == y.withUnsafeBytes { Array($0) }, "\(name)")
            #expect(x.allSatisfy { $0.isFinite }, "\(name)")
        }
        #expect(a.augmentationCase.labels == b.augmentationCase.labels)
        let labels = a.augmentationCase.labels!.voxels
        #expect(Set(labels).isSubset(of: Set(c.labels!.voxels)) && labels.allSatisfy { $0 == $0.rounded() })
    }

    /// Probability 0 never runs; editing one step leaves the other steps' draws alone.
    @Test func probabilityAndStreamIndependence() throws {
        let c = AugmentFixture.augmentationCase
        let never = try AugmentationPipeline(yaml: "transforms:\n  - transform: affine\n    probability: 0\n")
        var g = SeededGenerator(seed: 1)
        let r = try never.apply(to: c, using: &g)
        #expect(r.record.applied.isEmpty && r.augmentationCase == c)

        let first = try AugmentationPipeline(yaml: "transforms:\n  - transform: gamma\n  - transform: affine\n")
        let edited = try AugmentationPipeline(yaml: "transforms:\n  - transform: gamma\n    logGamma: [0.5, 0.6]\n  - transform: affine\n")
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9)
        let a = try first.apply(to: c, using: &g1).record, b = try edited.apply(to: c, using: &g2).record
        #expect(a.applied[1] == b.applied[1] && a.applied[0] != b.applied[0])
    }

    /// A record from another pipeline is refused.
    @Test func replayRejectsForeignRecords() throws {
        let p = try AugmentationPipeline(yaml: "transforms:\n  - transform: flip\n")
        let record = AugmentationRecord(applied: [AppliedAugmentation(step: 0, transform: "gamma", parameters: GammaAugmentation.Parameters(gamma: 2))])
        #expect(throws: MedSynthError.self) { try p.replay(record, on: AugmentFixture.augmentationCase) }
    }
}

import MedCore
import Testing
@testable import MedTraining

/// A small configuration shaped like a run's: sections, enums, lists, nested options.
private struct SampleConfig: RunConfiguration, Equatable {
    struct Training: Codable, Equatable {
        var steps = 1000
        var learningRate: Float = 2e-4
        var datasets: [String] = []
    }
    var name = "run"
    var training = Training()
    var cyclegan = CycleGANOptions()

    func validate() throws {
        guard training.steps >= 1 else {
            throw MedSynthError(.invalidArgument, "training.steps", "is \(training.steps); expected at least 1")
        }
    }
}

@Suite struct ConfigLoaderTests {
    @Test func defaultsWhenEmptyAndValuesFromYAMLAndOverrides() throws {
        let empty = try ConfigLoader.load(SampleConfig.self, yaml: "", source: "x.yaml")
        #expect(empty.value == SampleConfig() && empty.nonDefaults.isEmpty)

        let yaml = """
        name: ct2t1
        training:
          steps: 500
          datasets: [a.h5, b.h5]
        cyclegan:
          ganMode: vanilla
          lambdaIdentity: 0
        """
        let r = try ConfigLoader.load(SampleConfig.self, yaml: yaml, source: "x.yaml",
                                      overrides: ["training.steps=20", "cyclegan.poolSize=0"])
        var expected = SampleConfig()
        expected.name = "ct2t1"
        expected.training.steps = 20
        expected.training.datasets = ["a.h5", "b.h5"]
        expected.cyclegan.ganMode = .vanilla
        expected.cyclegan.lambdaIdentity = 0
        expected.cyclegan.poolSize = 0
        #expect(r.value == expected)
        #expect(r.nonDefaults.map(\.key) == ["name", "training.steps", "training.datasets", "cyclegan.ganMode",
                                             "cyclegan.lambdaIdentity", "cyclegan.poolSize"])
        #expect(r.yaml.contains("#   training.steps: 20   (default 1000)"))
        // The saved YAML loads back to the same configuration.
        let again = try ConfigLoader.load(SampleConfig.self, yaml: r.yaml, source: "saved.yaml")
        #expect(again.value == expected)
    }

    private func message(_ yaml: String, overrides: [String] = []) -> String {
        do {
            _ = try ConfigLoader.load(SampleConfig.self, yaml: yaml, source: "run.yaml", overrides: overrides)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func unknownKeysWrongTypesAndBadValuesAreNamed() {
        let typo = message("training:\n  stpes: 5\n")
        #expect(typo.contains("run.yaml: training.stpes") && typo.contains("did you mean 'training.steps'"), "\(typo)")
        let section = message("training: 5\n")
        #expect(section.contains("training") && section.contains("not a setting"), "\(section)")
        let type = message("training:\n  steps: many\n")
        #expect(type.contains("training.steps") && type.contains("many"), "\(type)")
        let enumValue = message("cyclegan:\n  ganMode: hinge\n")
        #expect(enumValue.contains("cyclegan.ganMode") && enumValue.contains("hinge"), "\(enumValue)")
        let invalid = message("", overrides: ["training.steps=0"])
        #expect(invalid.contains("training.steps") && invalid.contains("at least 1"), "\(invalid)")
        let nested = message("name:\n  first: a\n")
        #expect(nested.contains("name") && nested.contains("section"), "\(nested)")
        let badOverride = message("", overrides: ["steps"])
        #expect(badOverride.contains("dotted.key=value"), "\(badOverride)")
        let notYAML = message("a: [1, 2\n")
        #expect(notYAML.contains("not valid YAML"), "\(notYAML)")
    }

    /// A Float default (0.001, which YAML writes as 0.00100000004749745) equals the same number written in a file.
    @Test func floatDefaultsEqualTheNumberWritten() throws {
        let r = try ConfigLoader.load(SegmentationRunConfig.self, yaml: "training: { learningRate: 0.001 }", source: "t.yaml")
        #expect(r.nonDefaults.isEmpty, "\(r.nonDefaults.map(\.key))")
        let other = try ConfigLoader.load(SegmentationRunConfig.self, yaml: "training: { learningRate: 0.002 }", source: "t.yaml")
        #expect(other.nonDefaults.map(\.key) == ["training.learningRate"])
        #expect(other.yaml.contains("(default 0.001)"))
    }
}

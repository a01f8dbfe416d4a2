import Foundation
import MedCore
import MedSynthesis
import MedTestSupport
import Testing
@testable import MedTraining
@testable import MedValidation

@Suite struct ValidationConfigTests {
    @Test func defaultsAndShippedConfigValidate() throws {
        try ValidationExperimentConfig().validate()
        let shipped = Fixtures.repositoryRoot.appendingPathComponent("Configs/validate-lesions.yaml").path
        let loaded = try ConfigLoader.load(ValidationExperimentConfig.self, file: shipped)
        #expect(loaded.value.seeds.count >= 5)
        #expect(ValidationArm.enabled(in: loaded.value) == ValidationArm.allCases)
        let quick = try ConfigLoader.load(ValidationExperimentConfig.self, file: shipped, overrides: ValidationExperimentConfig.quickOverrides)
        #expect(quick.value.seeds == [0, 1])
        #expect(quick.value.data.cohortSizes == [2, 3] && quick.value.crossModalityCohortSize == 3)
        #expect(quick.value.arms.crossModality.translatorOverrides.count == 7)
    }

    /// `arms.syntheticLesions.type` names a lesion type (or an alias); "" is the generic lesion model.
    @Test func syntheticLesionArmTakesALesionType() throws {
        let typed = try ConfigLoader.load(ValidationExperimentConfig.self, yaml: "{}", source: "test.yaml",
                                          overrides: ["arms.syntheticLesions.type=ms-plaque"])
        let settings = try typed.value.arms.syntheticLesions.lesionSettings()
        #expect(settings.type == .plaque && settings.countRange == 1...3 && settings.heterogeneityAmplitude > 0)
        let generic = try ValidationExperimentConfig().arms.syntheticLesions.lesionSettings()
        #expect(generic == { var s = LesionSettings(); s.countRange = 1...3; return s }())
    }

    /// Each bad value is refused with its dotted key in the message.
    @Test(arguments: [
        ("seeds=[0, 0]", "seeds"),
        ("seeds=[]", "seeds"),
        ("data.testSeed=11", "data.realSeed"),
        ("data.testCases=1", "data.testCases"),
        ("data.shape=[32, 128]", "data.shape"),
        ("segmenter.modality=label", "segmenter.modality"),
        ("segmenter.patchSize=[60, 60]", "segmenter.patchSize"),
        ("segmenter.training.steps=0", "segmenter.training.steps"),
        ("arms.crossModality.target=CT", "arms.crossModality.target"),
        ("arms.crossModality.translatorSeed=12", "arms.crossModality.translatorSeed"),
        ("arms.carveMix.allowedLabels=[10]", "arms.carveMix.allowedLabels"),
        ("alpha=0.7", "alpha"),
        ("arms.augment.perCases=2", "perCases"),
        ("arms.syntheticLesions.type=tumour", "arms.syntheticLesions.type"),
        ("data.cohortSizes=[4, 2]", "data.cohortSizes"),
        ("data.lesionType=tumour", "data.lesionType"),
        ("data.cohortSizes=[]", "data.cohortSizes"),
        ("data.validationSeed=12", "data.realSeed"),
        ("segmenter.training.patience=-1", "segmenter.training.patience"),
        ("segmenter.training.validateEvery=5000", "segmenter.training.validateEvery"),
        ("segmenter.training.realFraction=1.5", "segmenter.training.realFraction"),
        ("arms.crossModality.cohortSize=3", "arms.crossModality.cohortSize"),
        ("arms.domainRandomisation.perCase=0", "arms.domainRandomisation.perCase"),
    ])
    func badValuesNameTheirKey(override: String, key: String) throws {
        do {
            _ = try ConfigLoader.load(ValidationExperimentConfig.self, yaml: "{}", source: "test.yaml", overrides: [override])
            Issue.record("\(override) was accepted")
        } catch let error as MedSynthError {
            #expect(error.description.contains(key), "\(override): \(error.description)")
        }
    }
}

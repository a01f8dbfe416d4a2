import MedTestSupport
import Foundation
import Testing
@testable import MedNN

@Suite struct ScheduleTests {
    @Test func linearDecayAsTheReferenceLambdaRule() {
        let s = LinearDecaySchedule(baseLearningRate: 2e-4, constantEpochs: 3, decayEpochs: 4)
        // factor = 1 − max(0, e + 1 − 3) / 5 for e = 0…6: 1, 1, 1, 0.8, 0.6, 0.4, 0.2.
        let expected: [Float] = [1, 1, 1, 0.8, 0.6, 0.4, 0.2].map { 2e-4 * $0 }
        expectClose((0..<7).map { s.learningRate(epoch: $0) }, expected, rtol: 1e-6, atol: 0)
        // Resuming at epoch_count 3 shifts the curve by two epochs.
        let resumed = LinearDecaySchedule(baseLearningRate: 1, constantEpochs: 3, decayEpochs: 4, epochCount: 3)
        #expect(resumed.learningRate(epoch: 0) == 1 && Swift.abs(resumed.learningRate(epoch: 1) - 0.8) < 1e-7)
    }

    @Test func stepAndCosine() {
        let step = StepDecaySchedule(baseLearningRate: 1, stepSize: 2, gamma: 0.5)
        #expect((0..<6).map { step.learningRate(epoch: $0) } == [1, 1, 0.5, 0.5, 0.25, 0.25])
        let cosine = CosineSchedule(baseLearningRate: 1, period: 4, minimumLearningRate: 0.2)
        let expected = (0...4).map { Float(0.2 + 0.8 * (1 + Foundation.cos(Double.pi * Double($0) / 4)) / 2) }
        expectClose((0...4).map { cosine.learningRate(epoch: $0) }, expected, rtol: 1e-6, atol: 1e-7)
        #expect(cosine.learningRate(epoch: 4) == 0.2 && cosine.learningRate(epoch: 0) == 1)
    }

    @Test func plateauFollowsTorchReduceLROnPlateau() {
        var s = PlateauScheduler(learningRate: 1, factor: 0.5, patience: 1, threshold: 0.1, cooldown: 1)
        // 10 best; 9.5 is not 10% better (bad 1); 9.2 bad 2 > patience → 0.5, cooldown 1;
        // 9.3 in cooldown (bad reset); 9.4 bad 1; 9.5 bad 2 → 0.25; 5 improves.
        let metrics: [Float] = [10, 9.5, 9.2, 9.3, 9.4, 9.5, 5]
        let rates = metrics.map { s.step(metric: $0) }
        #expect(rates == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
        #expect(s.best == 5)
        // The state survives a JSON round trip (resuming a run).
        let restored = try! JSONDecoder().decode(PlateauScheduler.self, from: try! JSONEncoder().encode(s))
        #expect(restored == s)
        var floor = PlateauScheduler(learningRate: 1e-3, factor: 0.1, patience: 0, minimumLearningRate: 5e-4)
        _ = floor.step(metric: 1)
        #expect(floor.step(metric: 1) == 5e-4 && floor.step(metric: 1) == 5e-4)
    }

    @Test func schedulesSetTheOptimizerRate() {
        let p = Parameter(.zeros([1]))
        let adam = Optimizer([("p", p)], learningRate: 1, rule: Adam())
        StepDecaySchedule(baseLearningRate: 1, stepSize: 1, gamma: 0.1).apply(epoch: 2, to: adam)
        #expect(Swift.abs(adam.learningRate - 0.01) < 1e-9)
        var plateau = PlateauScheduler(learningRate: 0.3, patience: 0)
        plateau.step(metric: 1, optimizer: adam)
        #expect(adam.learningRate == 0.3)
    }
}

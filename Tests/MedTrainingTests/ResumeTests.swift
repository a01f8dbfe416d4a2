import Foundation
import MedCore
import MedNN
import MedTensor
import MedTestSupport
import Testing
@testable import MedTraining

/// A run interrupted after k steps and resumed from its checkpoint ends with the same weights, bit for bit, as
/// an uninterrupted run — with image pools that fill and swap, dropout and noise streams.
@Suite(.serialized) struct ResumeTests {
    private static func batches(_ count: Int, size: Int, seed: UInt64) -> [(Tensor, Tensor)] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (Tensor.uniform([1, 1, size, size], lower: -1, upper: 1, using: &g),
             Tensor.uniform([1, 1, size, size], lower: -1, upper: 1, using: &g))
        }
    }

    private static func weights<T: Trainer>(_ t: T) -> [[Float]] {
        t.networks.flatMap { $0.module.orderedStateDict().map(\.value.scalars) }
    }

    /// Runs `total` steps straight, and `split` steps + save + fresh trainer (another seed) + load + the rest.
    private static func check<T: ResumableTrainer>(_ make: (UInt64) throws -> T, total: Int, split: Int, size: Int = 32,
                                                   feed: (T, (Tensor, Tensor)) -> Void, name: String) throws {
        let data = batches(total, size: size, seed: 99)
        let straight = try make(1)
        for b in data { feed(straight, b); straight.optimizeParameters() }

        let folder = try Fixtures.temporaryFolder("resume-\(name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("latest.h5")
        let first = try make(1)
        for b in data[..<split] { feed(first, b); first.optimizeParameters() }
        var state = TrainingState()
        first.saveState(into: &state)
        try HDF5TestGate.exclusive { try first.checkpoint().save(to: file, trainingState: state) }

        let resumed = try make(12345)  // different initial weights and streams: everything must come from the file
        let contents = try HDF5TestGate.exclusive { try resumed.checkpoint().load(from: file) }
        try resumed.restoreState(from: contents.trainingState)
        for b in data[split...] { feed(resumed, b); resumed.optimizeParameters() }
        #expect(weights(resumed) == weights(straight), "\(name): resumed weights differ")
        #expect(resumed.currentLosses() == straight.currentLosses(), "\(name): resumed losses differ")
    }

    @Test func cycleGANWithAFillingPool() throws {
        var o = CycleGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.residualBlocks, o.poolSize) = (4, 4, 1, 2)
        try Self.check({ CycleGANTrainer(options: o, seed: $0) }, total: 6, split: 3,
                       feed: { $0.setInput(UnpairedBatch(realA: $1.0, realB: $1.1)) }, name: "cyclegan")
    }

    @Test func cycleGANWithGradientPenalty() throws {
        var o = CycleGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.residualBlocks, o.poolSize, o.ganMode) = (4, 4, 1, 2, .wgangp)
        try Self.check({ CycleGANTrainer(options: o, seed: $0) }, total: 5, split: 2,
                       feed: { $0.setInput(UnpairedBatch(realA: $1.0, realB: $1.1)) }, name: "cyclegan-wgangp")
    }

    @Test func pix2pixWithGradientPenaltyDropoutAndBatchNorm() throws {
        var o = Pix2PixOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings, o.ganMode) = (4, 4, 6, .wgangp)
        try Self.check({ try Pix2PixTrainer(options: o, seed: $0) }, total: 4, split: 2, size: 64,
                       feed: { $0.setInput(PairedBatch(realA: $1.0, realB: $1.1)) }, name: "pix2pix-wgangp")
    }

    @Test func pix2pixWithDropoutAndBatchNorm() throws {
        var o = Pix2PixOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings, o.poolSize) = (4, 4, 6, 2)
        // 6 levels (the first with dropout) need 64-px images.
        try Self.check({ try Pix2PixTrainer(options: o, seed: $0) }, total: 5, split: 2, size: 64,
                       feed: { $0.setInput(PairedBatch(realA: $1.0, realB: $1.1)) }, name: "pix2pix")
    }

    /// Fixed label maps [1, 1, size, size]: white matter with a lesion square (labels 10 and 12).
    private static func lesionLabels(size: Int) -> Tensor {
        var values = [Float](repeating: 8, count: size * size)
        for r in (size / 4)..<(size / 2) { for c in (size / 3)..<(size / 2) { values[r * size + c] = r % 2 == 0 ? 10 : 12 } }
        return Tensor(values, shape: [1, 1, size, size])
    }

    @Test func pix2pixWithLesionWeightedL1() throws {
        var o = Pix2PixOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings, o.lesionL1Weight) = (4, 4, 5, 20)
        let labels = Self.lesionLabels(size: 32)
        try Self.check({ try Pix2PixTrainer(options: o, seed: $0) }, total: 4, split: 2,
                       feed: { $0.setInput(PairedBatch(realA: $1.0, realB: $1.1, labels: labels)) }, name: "pix2pix-lesion")
    }

    @Test func regressionWithLesionWeightAndDropout() throws {
        var o = RegressionOptions()
        (o.generatorFilters, o.downsamplings, o.useDropout, o.lesionL1Weight) = (4, 6, true, 20)
        // 6 levels (the first with dropout) need 64-px images.
        let labels = Self.lesionLabels(size: 64)
        try Self.check({ try RegressionTrainer(options: o, seed: $0) }, total: 5, split: 2, size: 64,
                       feed: { $0.setInput(PairedBatch(realA: $1.0, realB: $1.1, labels: labels)) }, name: "regression")
    }

    @Test func conditionalGANWithNoise() throws {
        var o = ConditionalGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings) = (4, 4, 5)
        try Self.check({ try ConditionalGANTrainer(options: o, seed: $0) }, total: 5, split: 3,
                       feed: { $0.setInput(PairedBatch(realA: $1.0, realB: $1.1)) }, name: "cgan")
    }

    @Test func missingStateIsAClearErrorAndChangesNothing() throws {
        var o = CycleGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.residualBlocks, o.poolSize) = (4, 4, 1, 2)
        let t = CycleGANTrainer(options: o, seed: 1)
        let before = t.fakeAPool.generator
        #expect(throws: MedSynthError.self) { try t.restoreState(from: TrainingState()) }
        #expect(t.fakeAPool.generator == before)
    }
}

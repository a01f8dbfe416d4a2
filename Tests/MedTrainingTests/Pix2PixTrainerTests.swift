import Foundation
import MedCore
import MedNN
import MedTensor
import Testing
@testable import MedTraining

/// Shared inputs of the paired-trainer tests.
enum PairedTestData {
    /// A smooth [1, 1, size, size] image in [−1, 1].
    static func smoothImage(size: Int) -> Tensor {
        let values: [Float] = (0..<(size * size)).map { (i: Int) -> Float in
            let (x, y) = (Double(i % size), Double(i / size))
            return Float(sin(x / 5) * cos(y / 7))
        }
        return Tensor(values, shape: [1, 1, size, size])
    }

    /// A pair (A, B) where B is a fixed nonlinear function of A plus a little texture, so that G can learn it.
    static func pair(size: Int, seed: UInt64) -> PairedBatch {
        var g = SeededGenerator(seed: seed)
        let a = smoothImage(size: size)
        let texture = Tensor.uniform([1, 1, size, size], lower: -0.1, upper: 0.1, using: &g)
        let b = Tensor(a.scalars.map { 0.8 * $0 * $0 - 0.4 }, shape: a.shape) + texture
        return PairedBatch(realA: a, realB: b)
    }

    /// Random pairs uniform in [−1, 1).
    static func randomPair(batch: Int = 1, size: Int, generator: inout SeededGenerator) -> PairedBatch {
        PairedBatch(realA: Tensor.uniform([batch, 1, size, size], lower: -1, upper: 1, using: &generator),
                    realB: Tensor.uniform([batch, 1, size, size], lower: -1, upper: 1, using: &generator))
    }

    /// The gradients of a module's parameters by key (nil entries for parameters without one).
    static func gradients(_ module: Module) -> [String: [Float]?] {
        Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.key, $0.parameter.grad?.scalars) })
    }

    /// The invalid-argument error `body` throws, with its subject.
    static func invalidOption(_ body: () throws -> Void) -> MedSynthError? {
        do {
            try body()
            return nil
        } catch let error as MedSynthError {
            return error.kind == .invalidArgument ? error : nil
        } catch {
            return nil
        }
    }
}

@Suite struct Pix2PixTrainerTests {
    /// Small networks: 32×32 images, 5 downsamplings (no dropout levels), 8 filters.
    private func smallOptions() -> Pix2PixOptions {
        var o = Pix2PixOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings) = (8, 8, 5)
        return o
    }

    @Test func defaultsAreTheReferencePix2Pix() throws {
        let o = Pix2PixOptions()
        // pix2pix_model.py: unet_256, batch norm, vanilla GAN, λ_L1 100, no pool; base options: ngf = ndf = 64,
        // basic PatchGAN, dropout (no --no_dropout); train options: Adam 2e-4, β1 0.5.
        #expect(o.downsamplings == 8 && o.norm == .batch && o.ganMode == .vanilla && o.lambdaL1 == 100 && o.poolSize == 0)
        #expect(o.generatorFilters == 64 && o.discriminatorFilters == 64 && o.discriminatorLayers == 3 && o.useDropout)
        #expect(o.learningRate == 2e-4 && o.beta1 == 0.5 && o.beta2 == 0.999)
        #expect(o.inputChannels == 1 && o.outputChannels == 1)
        try o.validate()
        let decoded = try JSONDecoder().decode(Pix2PixOptions.self, from: JSONEncoder().encode(smallOptions()))
        #expect(decoded == smallOptions())

        // The conditional discriminator sees A and B together.
        var wide = smallOptions()
        (wide.inputChannels, wide.outputChannels) = (2, 3)
        let trainer = try Pix2PixTrainer(options: wide, seed: 1)
        #expect(trainer.discriminator.config.inputChannels == 5 && trainer.generator.config.inputChannels == 2)
        #expect(trainer.networks.map(\.name) == ["G", "D"])
        #expect(trainer.discriminator.config.norm == .batch && trainer.generator.config.norm == .batch)
    }

    @Test func invalidOptionsAreRejectedByName() {
        let cases: [(String, (inout Pix2PixOptions) -> Void)] = [
            ("inputChannels", { $0.inputChannels = 0 }),
            ("generatorFilters", { $0.generatorFilters = -1 }),
            ("downsamplings", { $0.downsamplings = 4 }),
            ("discriminatorLayers", { $0.discriminatorLayers = 0 }),
            ("lambdaL1", { $0.lambdaL1 = -1 }),
            ("lambdaL1", { $0.lambdaL1 = .nan }),
            ("poolSize", { $0.poolSize = -2 }),
            ("learningRate", { $0.learningRate = 0 }),
            ("beta1", { $0.beta1 = 1 }),
            ("beta2", { $0.beta2 = -0.1 }),
            ("lesionL1Weight", { $0.lesionL1Weight = -2 }),
            ("lesionLabels", { $0.lesionLabels = [10, -1] }),
        ]
        for (name, change) in cases {
            var o = Pix2PixOptions()
            change(&o)
            let error = PairedTestData.invalidOption { _ = try Pix2PixTrainer(options: o, seed: 0) }
            #expect(error?.subject == name, "\(name): \(String(describing: error))")
            #expect(error?.message.contains("got") == true)
        }
    }

    @Test func sameSeedSameLosses() throws {
        // 6 downsamplings at 64×64: one ngf·8 level, so the dropout masks are part of what must repeat.
        var options = smallOptions()
        options.downsamplings = 6
        func run(seed: UInt64) throws -> ([String: Float], [Float]) {
            let trainer = try Pix2PixTrainer(options: options, seed: seed)
            var g = SeededGenerator(seed: 12)
            for _ in 0..<3 {
                trainer.setInput(PairedTestData.randomPair(size: 64, generator: &g))
                trainer.optimizeParameters()
            }
            return (trainer.currentLosses(), trainer.currentVisuals()["fake_B"]!.scalars)
        }
        let trainer = try Pix2PixTrainer(options: options, seed: 0)
        #expect(trainer.generator.namedModules().contains { $0.module is Dropout })
        let first = try run(seed: 11)
        #expect(Set(first.0.keys) == Set(trainer.lossNames))
        #expect(first.0.values.allSatisfy { $0.isFinite })
        let again = try run(seed: 11)
        #expect(first.0 == again.0 && first.1 == again.1)
        #expect(try run(seed: 12).0 != first.0)
    }

    @Test func discriminatorStepsFirstThenGeneratorWithDiscriminatorFrozen() throws {
        var g = SeededGenerator(seed: 4)
        let batch = PairedTestData.randomPair(batch: 2, size: 32, generator: &g)
        let trainer = try Pix2PixTrainer(options: smallOptions(), seed: 3)
        trainer.setInput(batch)
        trainer.optimizeParameters()

        // The same seed, with the discriminator half done by hand.
        let twin = try Pix2PixTrainer(options: smallOptions(), seed: 3)
        let fakeAB = Tensor.concatenate([batch.realA, twin.generator(batch.realA)], axis: 1)
        twin.optimizerD.zeroGrad()
        let d = conditionalDiscriminatorBackward(twin.discriminator, gan: GANLoss(mode: .vanilla), fake: fakeAB,
                                                 real: Tensor.concatenate([batch.realA, batch.realB], axis: 1),
                                                 penalty: nil, generator: &twin.penaltyGenerator)
        // D's gradients after the whole step are those of its own loss alone: the G step added none.
        let expected = PairedTestData.gradients(twin.discriminator)
        #expect(expected.values.allSatisfy { $0 != nil })
        let unchanged = PairedTestData.gradients(trainer.discriminator) == expected
        #expect(unchanged, "D's gradients differ from those of its own loss: the G step reached D's parameters")
        let losses = trainer.currentLosses()
        #expect(losses["D_fake"] == d.fake && losses["D_real"] == d.real)
        // G was judged by the updated D.
        twin.optimizerD.step()
        let judged = withNoGrad { GANLoss(mode: .vanilla)(twin.discriminator(fakeAB), targetIsReal: true).item }
        #expect(losses["G_GAN"] == judged)
        // G has gradients; D is trainable again after the step.
        #expect(trainer.generator.parameters().allSatisfy { $0.grad != nil })
        #expect(trainer.discriminator.parameters().allSatisfy { $0.requiresGrad })
        #expect(trainer.visualNames.allSatisfy { trainer.currentVisuals()[$0]?.shape == [2, 1, 32, 32] })
    }

    @Test func l1LossFallsWhenOverfittingOneBatch() throws {
        let trainer = try Pix2PixTrainer(options: smallOptions(), seed: 5)
        trainer.setInput(PairedTestData.pair(size: 32, seed: 6))
        trainer.optimizeParameters()
        let first = trainer.currentLosses()["G_L1"]!
        // Measured: 25.4 → 10.4 after 50 more steps (0.41).
        for _ in 0..<50 { trainer.optimizeParameters() }
        let last = trainer.currentLosses()
        #expect(last.values.allSatisfy { $0.isFinite })
        #expect(last["G_L1"]! < 0.5 * first, "G_L1 \(first) -> \(last["G_L1"]!)")
        // translate runs the generator without recording.
        let out = trainer.translate(PairedTestData.smoothImage(size: 32))
        #expect(out.shape == [1, 1, 32, 32] && !out.requiresGrad)
    }

    @Test func translateChangesNoState() throws {
        // 64×64 with 6 downsamplings: batch norm and a dropout level.
        var options = smallOptions()
        options.downsamplings = 6
        let trainer = try Pix2PixTrainer(options: options, seed: 9)
        var g = SeededGenerator(seed: 10)
        trainer.setInput(PairedTestData.randomPair(size: 64, generator: &g))
        trainer.optimizeParameters()
        let state = trainer.generator.stateDict().mapValues(\.scalars)
        let dropouts = trainer.generator.namedModules().compactMap { ($0.module as? Dropout)?.generator }
        let x = Tensor.uniform([1, 1, 64, 64], lower: -1, upper: 1, using: &g)
        let (y1, y2) = (trainer.translate(x), trainer.translate(x))
        #expect(y1.scalars == y2.scalars && y1.shape == [1, 1, 64, 64])
        #expect(trainer.generator.stateDict().mapValues(\.scalars) == state, "running statistics moved")
        #expect(trainer.generator.namedModules().compactMap { ($0.module as? Dropout)?.generator } == dropouts)
        #expect(trainer.generator.namedModules().allSatisfy { $0.module.isTraining })
    }

    /// Random label maps [N, 1, H, W] over air, white matter and the lesion labels.
    static func labels(batch: Int, size: Int, generator: inout SeededGenerator) -> Tensor {
        let choices: [Float] = [0, 8, 8, 8, 10, 11, 12, 13]
        return Tensor((0..<(batch * size * size)).map { _ in choices[CaseSplit.uniformIndex(choices.count, &generator)] },
                      shape: [batch, 1, size, size])
    }

    @Test func zeroLesionWeightIsTheReferenceStepBitForBit() throws {
        // The step as it was before the lesion term existed, written out with the plain fused L1: a trainer with
        // lesionL1Weight 0 (given label maps or not) must take exactly these steps. 6 levels at 64 px: batch
        // norm and a dropout level.
        var options = smallOptions()
        options.downsamplings = 6
        #expect(options.lesionL1Weight == 0 && options.lesionLabels == [10, 11, 12, 13])
        var g = SeededGenerator(seed: 31)
        let batches = (0..<3).map { _ in
            let pair = PairedTestData.randomPair(size: 64, generator: &g)
            return PairedBatch(realA: pair.realA, realB: pair.realB, labels: Self.labels(batch: 1, size: 64, generator: &g))
        }
        let withLabels = try Pix2PixTrainer(options: options, seed: 8)
        let withoutLabels = try Pix2PixTrainer(options: options, seed: 8)
        let reference = try Pix2PixTrainer(options: options, seed: 8)
        let gan = GANLoss(mode: options.ganMode)
        var referenceLosses: [String: Float] = [:]
        for batch in batches {
            withLabels.setInput(batch)
            withLabels.optimizeParameters()
            withoutLabels.setInput(PairedBatch(realA: batch.realA, realB: batch.realB))
            withoutLabels.optimizeParameters()

            let fakeB = reference.generator(batch.realA)
            let fakeAB = Tensor.concatenate([batch.realA, fakeB], axis: 1)
            reference.optimizerD.zeroGrad()
            let d = conditionalDiscriminatorBackward(reference.discriminator, gan: gan, fake: reference.fakePool.query(fakeAB),
                                                     real: Tensor.concatenate([batch.realA, batch.realB], axis: 1),
                                                     penalty: nil, generator: &reference.penaltyGenerator)
            reference.optimizerD.step()
            reference.discriminator.setRequiresGrad(false)
            reference.optimizerG.zeroGrad()
            let lossGAN = gan(reference.discriminator(fakeAB), targetIsReal: true)
            let lossL1 = l1Loss(fakeB, batch.realB) * options.lambdaL1
            (lossGAN + lossL1).backward()
            reference.optimizerG.step()
            reference.discriminator.setRequiresGrad(true)
            referenceLosses = ["G_GAN": lossGAN.item, "G_L1": lossL1.item, "D_real": d.real, "D_fake": d.fake]
        }
        func weights(_ t: Pix2PixTrainer) -> [[UInt32]] {
            t.networks.flatMap { $0.module.orderedStateDict().map { $0.value.scalars.map(\.bitPattern) } }
        }
        #expect(weights(withLabels) == weights(reference), "weight 0 with label maps moved the step")
        #expect(weights(withoutLabels) == weights(reference), "weight 0 without label maps moved the step")
        #expect(withLabels.currentLosses() == referenceLosses && withoutLabels.currentLosses() == referenceLosses)
    }

    @Test func lesionWeightedL1IsTheGeneratorsL1Term() throws {
        var options = smallOptions()
        (options.lesionL1Weight, options.lambdaL1) = (20, 50)
        var g = SeededGenerator(seed: 41)
        let pair = PairedTestData.randomPair(batch: 2, size: 32, generator: &g)
        let labels = Self.labels(batch: 2, size: 32, generator: &g)
        let trainer = try Pix2PixTrainer(options: options, seed: 2)
        trainer.setInput(PairedBatch(realA: pair.realA, realB: pair.realB, labels: labels))
        trainer.optimizeParameters()
        // G_L1 is λ times the weighted L1 of this step's G(A) (the fake_B visual, before G's update).
        let fake = trainer.currentVisuals()["fake_B"]!.scalars
        let expected = 50 * LesionWeightedL1Tests.naive(fake, pair.realB.scalars, labels.scalars, weight: 20,
                                                        lesions: [10, 11, 12, 13])
        let got = Double(trainer.currentLosses()["G_L1"]!)
        #expect(Swift.abs(got - expected) <= 1e-5 * expected, "G_L1 \(got), expected \(expected)")
        // The unweighted twin reports the plain L1, which is smaller.
        options.lesionL1Weight = 0
        let plain = try Pix2PixTrainer(options: options, seed: 2)
        plain.setInput(PairedBatch(realA: pair.realA, realB: pair.realB, labels: labels))
        plain.optimizeParameters()
        #expect(plain.currentLosses()["G_L1"]! < trainer.currentLosses()["G_L1"]!)
    }

    @Test func lsganAndImagePoolOptionsTrain() throws {
        var options = smallOptions()
        (options.ganMode, options.poolSize) = (.lsgan, 2)
        let trainer = try Pix2PixTrainer(options: options, seed: 7)
        var g = SeededGenerator(seed: 8)
        for _ in 0..<3 {
            trainer.setInput(PairedTestData.randomPair(size: 32, generator: &g))
            trainer.optimizeParameters()
        }
        #expect(trainer.fakePool.images.count == 2 && trainer.fakePool.images[0].shape == [1, 2, 32, 32])
        #expect(trainer.currentLosses().values.allSatisfy { $0.isFinite })
    }
}

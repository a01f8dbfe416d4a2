import Foundation
import MedCore
import MedNN
import MedTensor
import Testing
@testable import MedTraining

@Suite struct ConditionalGANTrainerTests {
    /// Small networks: 32×32 slices, U-Net with 5 downsamplings or a 1-block ResNet, 8 filters.
    private func smallOptions(_ architecture: ConditionalGANOptions.GeneratorArchitecture = .unet) -> ConditionalGANOptions {
        var o = ConditionalGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.downsamplings, o.residualBlocks) = (8, 8, 5, 1)
        o.generatorArchitecture = architecture
        return o
    }

    @Test func defaultsAndNetworkShapes() throws {
        let o = ConditionalGANOptions()
        #expect(o.ganMode == .lsgan && o.lambdaL1 == 100 && o.noiseChannels == 1 && o.noiseStd == 1)
        #expect(o.generatorArchitecture == .unet && o.downsamplings == 8 && o.norm == .instance && !o.useDropout)
        #expect(o.poolSize == 0 && o.learningRate == 2e-4 && o.beta1 == 0.5 && o.beta2 == 0.999)
        try o.validate()
        let decoded = try JSONDecoder().decode(ConditionalGANOptions.self, from: JSONEncoder().encode(smallOptions(.resnet)))
        #expect(decoded == smallOptions(.resnet))

        var wide = smallOptions()
        (wide.inputChannels, wide.outputChannels, wide.noiseChannels) = (2, 1, 3)
        let unet = try ConditionalGANTrainer(options: wide, seed: 1)
        // G sees CT and noise; D sees CT and PET, not the noise.
        #expect((unet.generator as? UnetGenerator)?.config.inputChannels == 5)
        #expect(unet.discriminator.config.inputChannels == 3)
        var ct = SeededGenerator(seed: 2)
        var noise = SeededGenerator(seed: 3)
        let input = unet.generatorInput(Tensor.uniform([2, 2, 32, 32], using: &ct), noiseGenerator: &noise)
        #expect(input.shape == [2, 5, 32, 32])
        let resnet = try ConditionalGANTrainer(options: smallOptions(.resnet), seed: 1)
        #expect((resnet.generator as? ResnetGenerator)?.config.inputChannels == 2)
        #expect(resnet.networks.map(\.name) == ["G", "D"])
    }

    @Test func invalidOptionsAreRejectedByName() {
        let cases: [(String, (inout ConditionalGANOptions) -> Void)] = [
            ("outputChannels", { $0.outputChannels = 0 }),
            ("noiseChannels", { $0.noiseChannels = -1 }),
            ("noiseStd", { $0.noiseStd = -0.5 }),
            ("noiseStd", { $0.noiseStd = .infinity }),
            ("downsamplings", { $0.downsamplings = 3 }),
            ("residualBlocks", { $0.residualBlocks = -1 }),
            ("discriminatorFilters", { $0.discriminatorFilters = 0 }),
            ("lambdaL1", { $0.lambdaL1 = -100 }),
            ("learningRate", { $0.learningRate = -2e-4 }),
            ("beta1", { $0.beta1 = 1.5 }),
        ]
        for (name, change) in cases {
            var o = ConditionalGANOptions()
            change(&o)
            let error = PairedTestData.invalidOption { _ = try ConditionalGANTrainer(options: o, seed: 0) }
            #expect(error?.subject == name, "\(name): \(String(describing: error))")
        }
    }

    @Test(arguments: [ConditionalGANOptions.GeneratorArchitecture.unet, .resnet])
    func sameSeedSameLosses(architecture: ConditionalGANOptions.GeneratorArchitecture) throws {
        func run(seed: UInt64) throws -> (losses: [[String: Float]], noise: SeededGenerator) {
            let trainer = try ConditionalGANTrainer(options: smallOptions(architecture), seed: seed)
            var g = SeededGenerator(seed: 12)
            var losses: [[String: Float]] = []
            for _ in 0..<3 {
                trainer.setInput(PairedTestData.randomPair(size: 32, generator: &g))
                trainer.optimizeParameters()
                losses.append(trainer.currentLosses())
            }
            return (losses, trainer.noiseGenerator)
        }
        let first = try run(seed: 11)
        #expect(first.losses.allSatisfy { Set($0.keys) == ["G_GAN", "G_L1", "D_real", "D_fake"] && $0.values.allSatisfy(\.isFinite) })
        let again = try run(seed: 11)
        #expect(first.losses == again.losses && first.noise == again.noise)
        // The noise stream advanced by one normal draw per noise value per step.
        var expected = try ConditionalGANTrainer(options: smallOptions(architecture), seed: 11).noiseGenerator
        for _ in 0..<(3 * 32 * 32) { _ = expected.nextNormal() }
        #expect(first.noise == expected)
        #expect(try run(seed: 13).losses != first.losses)
    }

    @Test func resumesExactlyFromSavedState() throws {
        var g = SeededGenerator(seed: 21)
        let batches = (0..<4).map { _ in PairedTestData.randomPair(size: 32, generator: &g) }
        let whole = try ConditionalGANTrainer(options: smallOptions(), seed: 5)
        for batch in batches {
            whole.setInput(batch)
            whole.optimizeParameters()
        }

        let first = try ConditionalGANTrainer(options: smallOptions(), seed: 5)
        for batch in batches[..<2] {
            first.setInput(batch)
            first.optimizeParameters()
        }
        // What a checkpoint holds: the networks, both optimizers and the noise stream.
        let resumed = try ConditionalGANTrainer(options: smallOptions(), seed: 99)
        for ((_, saved), (_, target)) in zip(first.networks, resumed.networks) {
            try target.loadStateDict(saved.stateDict())
        }
        try resumed.optimizerG.loadState(first.optimizerG.state())
        try resumed.optimizerD.loadState(first.optimizerD.state())
        resumed.noiseGenerator = SeededGenerator(state: first.noiseGenerator.state)
        for batch in batches[2...] {
            resumed.setInput(batch)
            resumed.optimizeParameters()
        }
        #expect(resumed.currentLosses() == whole.currentLosses())
        for ((name, a), (_, b)) in zip(whole.networks, resumed.networks) {
            let (sa, sb) = (a.stateDict(), b.stateDict())
            #expect(sa.keys.allSatisfy { sa[$0]!.scalars == sb[$0]!.scalars }, "\(name) weights differ after resume")
        }
    }

    @Test func discriminatorFrozenDuringGeneratorStep() throws {
        var g = SeededGenerator(seed: 4)
        let batch = PairedTestData.randomPair(size: 32, generator: &g)
        let trainer = try ConditionalGANTrainer(options: smallOptions(), seed: 3)
        trainer.setInput(batch)
        trainer.optimizeParameters()

        let twin = try ConditionalGANTrainer(options: smallOptions(), seed: 3)
        let fake = twin.generator(twin.generatorInput(batch.realA, noiseGenerator: &twin.noiseGenerator))
        twin.optimizerD.zeroGrad()
        _ = conditionalDiscriminatorBackward(twin.discriminator, gan: GANLoss(mode: .lsgan),
                                             fake: Tensor.concatenate([batch.realA, fake], axis: 1),
                                             real: Tensor.concatenate([batch.realA, batch.realB], axis: 1),
                                             penalty: nil, generator: &twin.penaltyGenerator)
        let expected = PairedTestData.gradients(twin.discriminator)
        #expect(expected.values.allSatisfy { $0 != nil })
        let unchanged = PairedTestData.gradients(trainer.discriminator) == expected
        #expect(unchanged, "D's gradients differ from those of its own loss: the G step reached D's parameters")
        #expect(trainer.generator.parameters().allSatisfy { $0.grad != nil })
        #expect(trainer.discriminator.parameters().allSatisfy { $0.requiresGrad })
    }

    @Test(arguments: [ConditionalGANOptions.GeneratorArchitecture.unet, .resnet])
    func l1LossFallsWhenOverfittingOneBatch(architecture: ConditionalGANOptions.GeneratorArchitecture) throws {
        let trainer = try ConditionalGANTrainer(options: smallOptions(architecture), seed: 5)
        trainer.setInput(PairedTestData.pair(size: 32, seed: 6))
        trainer.optimizeParameters()
        let first = trainer.currentLosses()["G_L1"]!
        // Measured after 60 more steps: U-Net 25.7 → 13.1 (0.51), ResNet 26.9 → 10.2 (0.38); the instance-norm
        // networks with noise start slower than pix2pix's batch-norm U-Net.
        for _ in 0..<60 { trainer.optimizeParameters() }
        let last = trainer.currentLosses()
        #expect(last.values.allSatisfy { $0.isFinite })
        #expect(last["G_L1"]! < 0.6 * first, "\(architecture): G_L1 \(first) -> \(last["G_L1"]!)")
    }

    @Test func noiseChangesTheOutputAndZeroChannelsAreDeterministic() throws {
        let trainer = try ConditionalGANTrainer(options: smallOptions(), seed: 8)
        let ct = PairedTestData.smoothImage(size: 32)
        let before = trainer.noiseGenerator
        var a = SeededGenerator(seed: 1), b = SeededGenerator(seed: 1), c = SeededGenerator(seed: 2)
        let (ya, yb, yc) = (trainer.translate(ct, noiseGenerator: &a), trainer.translate(ct, noiseGenerator: &b),
                            trainer.translate(ct, noiseGenerator: &c))
        #expect(ya.scalars == yb.scalars && ya.scalars != yc.scalars && !ya.requiresGrad)
        #expect(trainer.noiseGenerator == before, "translating must not move the training noise stream")

        var options = smallOptions()
        options.noiseChannels = 0
        let plain = try ConditionalGANTrainer(options: options, seed: 8)
        #expect(plain.translate(ct, noiseGenerator: &a).scalars == plain.translate(ct, noiseGenerator: &c).scalars)
    }
}

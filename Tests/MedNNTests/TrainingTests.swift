import Foundation
import MedCore
import MedTensor
import Testing
@testable import MedNN

/// The whole stack end to end: reference networks fitted to one fixed batch with Adam.
@Suite struct NNTrainingTests {
    /// A 32×32 disc phantom in [−0.8, 0.8] (the "target modality") and its inverted, noisy counterpart (the input).
    private func pair() -> (input: Tensor, target: Tensor, labels: Tensor) {
        var g = SeededGenerator(seed: 60)
        var target = [Float](), labels = [Float]()
        for i in 0..<32 {
            for j in 0..<32 {
                let r = ((Double(i) - 15.5) * (Double(i) - 15.5) + (Double(j) - 12) * (Double(j) - 12)).squareRoot()
                let label: Float = r < 6 ? 2 : (r < 11 ? 1 : 0)
                labels.append(label)
                target.append(label == 2 ? 0.8 : (label == 1 ? 0.1 : -0.8))
            }
        }
        let t = Tensor(target, shape: [1, 1, 32, 32])
        let noise = Tensor.randn([1, 1, 32, 32], std: 0.1, using: &g)
        return (-t * 0.5 + noise, t, Tensor(labels, shape: [1, 32, 32]))
    }

    @Test func resnetGeneratorFitsOneBatch() {
        let (input, target, _) = pair()
        var g = SeededGenerator(seed: 61)
        let net = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 8, blocks: 6),
                                  generator: &g)
        let adam = Optimizer(net, learningRate: 2e-3, rule: Adam(beta1: 0.5))
        var losses: [Float] = []
        for _ in 0..<40 {
            adam.zeroGrad()
            let loss = l1Loss(net(input), target)
            losses.append(loss.item)
            loss.backward()
            adam.step()
        }
        #expect(losses.last! < losses.first! / 4, "L1 went from \(losses.first!) to \(losses.last!)")
    }

    @Test func unetSegmenterFitsOneBatch() {
        let (input, _, labels) = pair()
        var g = SeededGenerator(seed: 62)
        let net = UNetSegmenter(UNetSegmenterConfig(inputChannels: 1, classes: 3, depth: 2, baseWidth: 8), generator: &g)
        let adam = Optimizer(net, learningRate: 1e-2, rule: Adam())
        var losses: [Float] = []
        for _ in 0..<40 {
            adam.zeroGrad()
            let loss = diceCrossEntropyLoss(net(input), labels)
            losses.append(loss.item)
            loss.backward()
            adam.step()
        }
        #expect(losses.last! < losses.first! / 4, "Dice+CE went from \(losses.first!) to \(losses.last!)")
        // Evaluation mode predicts the disc: most pixels take the right class.
        net.eval()
        let predicted = withNoGrad { net(input) }
        let scores = predicted.scalars, truth = labels.scalars
        var correct = 0
        for s in 0..<1024 {
            let best = (0..<3).max { scores[$0 * 1024 + s] < scores[$1 * 1024 + s] }!
            if Float(best) == truth[s] { correct += 1 }
        }
        #expect(correct > 950, "\(correct) of 1024 pixels right")
    }

    @Test func patchGANLearnsToSeparateRealFromFake() {
        let (input, target, _) = pair()
        var g = SeededGenerator(seed: 63)
        let d = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 8), generator: &g)
        let adam = Optimizer(d, learningRate: 2e-3, rule: Adam(beta1: 0.5))
        let gan = GANLoss(mode: .vanilla)
        var losses: [Float] = []
        for _ in 0..<20 {
            adam.zeroGrad()
            let loss = 0.5 * (gan(d(target), targetIsReal: true) + gan(d(input), targetIsReal: false))
            losses.append(loss.item)
            loss.backward()
            adam.step()
        }
        #expect(losses.last! < losses.first! / 4, "D loss went from \(losses.first!) to \(losses.last!)")
    }
}

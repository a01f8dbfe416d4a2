import MedTensorTestSupport
import Foundation
import MedCore
import MedTensor
import Testing
@testable import MedNN

@Suite struct NNLossTests {
    /// Logits [1, 3, 1, 2] (two pixels, three classes) and labels [1, 1, 2] = (2, 0).
    private let logits = Tensor([1, 0, 2, 1, 3, 0], shape: [1, 3, 1, 2])
    private let labels = Tensor([2, 0], shape: [1, 1, 2])

    /// −log softmax of each pixel at its label, by hand.
    private func nll(_ values: [Double], _ label: Int) -> Double {
        let m = values.max()!
        let lse = m + Foundation.log(values.map { Foundation.exp($0 - m) }.reduce(0, +))
        return lse - values[label]
    }

    @Test func crossEntropyMatchesHandComputation() {
        // Pixel 0 scores (1, 2, 3) label 2; pixel 1 scores (0, 1, 0) label 0.
        let l0 = nll([1, 2, 3], 2), l1 = nll([0, 1, 0], 0)
        #expect(Swift.abs(Double(crossEntropyLoss(logits, labels).item) - (l0 + l1) / 2) < 1e-6)
        // Weighted: Σ w[y]·ℓ / Σ w[y] with w = (0.5, 1, 3).
        let weighted = crossEntropyLoss(logits, labels, classWeights: [0.5, 1, 3]).item
        #expect(Swift.abs(Double(weighted) - (3 * l0 + 0.5 * l1) / 3.5) < 1e-6)
        // [N, spatial] labels give the same.
        #expect(crossEntropyLoss(logits, labels.reshaped([1, 1, 2]).reshaped([1, 1, 2])).item
                == crossEntropyLoss(logits, Tensor([2, 0], shape: [1, 1, 2])).item)
    }

    @Test func softDiceMatchesHandComputation() {
        let p0 = [1.0, 2, 3].map { Foundation.exp($0) }, p1 = [0.0, 1, 0].map { Foundation.exp($0) }
        let s0 = p0.reduce(0, +), s1 = p1.reduce(0, +)
        let prob = [p0.map { $0 / s0 }, p1.map { $0 / s1 }]  // [pixel][class]
        let onehot: [[Double]] = [[0, 0, 1], [1, 0, 0]]
        var dices: [Double] = []
        for c in 0..<3 {
            let inter = prob[0][c] * onehot[0][c] + prob[1][c] * onehot[1][c]
            let denom = prob[0][c] + prob[1][c] + onehot[0][c] + onehot[1][c]
            dices.append((2 * inter + 1e-5) / (denom + 1e-5))
        }
        let expected = 1 - dices.reduce(0, +) / 3
        #expect(Swift.abs(Double(softDiceLoss(logits, labels).item) - expected) < 1e-6)
        let noBackground = 1 - (dices[1] + dices[2]) / 2
        #expect(Swift.abs(Double(softDiceLoss(logits, labels, includeBackground: false).item) - noBackground) < 1e-6)
        let combined = diceCrossEntropyLoss(logits, labels, diceWeight: 0.5, crossEntropyWeight: 2).item
        #expect(Swift.abs(combined - (0.5 * softDiceLoss(logits, labels).item + 2 * crossEntropyLoss(logits, labels).item)) < 1e-6)
    }

    @Test func segmentationLossGradients() {
        let x = randomTensor([2, 3, 2, 3], seed: 30)
        let y = Tensor([0, 1, 2, 2, 1, 0, 1, 1, 0, 2, 2, 2], shape: [2, 2, 3])
        GradCheck.check([x], seed: 7) { crossEntropyLoss($0[0], y, classWeights: [1, 2, 0.5]) }
        GradCheck.check([x], seed: 7) { softDiceLoss($0[0], y) }
        GradCheck.check([x], seed: 7) { diceCrossEntropyLoss($0[0], y, includeBackground: false) }
        let volume = randomTensor([1, 2, 2, 2, 2], seed: 31)
        GradCheck.check([volume], seed: 7) { crossEntropyLoss($0[0], Tensor([0, 1, 1, 0, 1, 1, 0, 0], shape: [1, 2, 2, 2])) }
    }

    @Test func perfectPredictionGivesLowLosses() {
        let y = Tensor([0, 1, 1, 0], shape: [1, 2, 2])
        let onehot = OneHot.encode(y, classes: 2, batch: 1, spatialShape: [2, 2])
        #expect(onehot.scalars == [1, 0, 0, 1, 0, 1, 1, 0])
        let confident = (onehot * 40) - 20
        #expect(crossEntropyLoss(confident, y).item < 1e-6)
        #expect(softDiceLoss(confident, y).item < 1e-5)
    }

    @Test func ganLossModes() {
        let d = Tensor([0.5, -1, 2, 0], shape: [1, 1, 2, 2])
        let lsgan = GANLoss(mode: .lsgan)
        let realTarget: Float = (0.25 + 4 + 1 + 1) / 4, fakeTarget: Float = (0.25 + 1 + 4 + 0) / 4
        #expect(lsgan(d, targetIsReal: true).item == realTarget)
        #expect(lsgan(d, targetIsReal: false).item == fakeTarget)
        let vanilla = GANLoss(mode: .vanilla)
        let softplus = { (z: Double) in Foundation.log(1 + Foundation.exp(z)) }
        // BCE(σ(x), 1) = softplus(−x); BCE(σ(x), 0) = softplus(x).
        let real = [0.5, -1, 2, 0].map { softplus(-$0) }.reduce(0, +) / 4
        let fake = [0.5, -1, 2, 0].map { softplus($0) }.reduce(0, +) / 4
        #expect(Swift.abs(Double(vanilla(d, targetIsReal: true).item) - real) < 1e-6)
        #expect(Swift.abs(Double(vanilla(d, targetIsReal: false).item) - fake) < 1e-6)
        let wgan = GANLoss(mode: .wgangp)
        #expect(wgan(d, targetIsReal: true).item == -0.375 && wgan(d, targetIsReal: false).item == 0.375)
        let smoothed = GANLoss(mode: .lsgan, realLabel: 0.9)
        #expect(Swift.abs(smoothed(Tensor([0.9, 0.9]), targetIsReal: true).item) < 1e-7)
        GradCheck.check([d], seed: 7) { vanilla($0[0], targetIsReal: true) + lsgan($0[0], targetIsReal: false) + wgan($0[0], targetIsReal: true) }
    }
}

import Foundation
import MedCore
import MedNN
import MedTensor
import Testing
@testable import MedTraining

@Suite struct ImagePoolTests {
    private func image(_ v: Float) -> Tensor { Tensor.full([1, 1, 2, 2], v) }

    @Test func fillsThenSwapsWithSeededChoices() {
        var pool = ImagePool(capacity: 3, generator: SeededGenerator(seed: 1))
        // Until full, every fake is stored and returned.
        for v in 0..<3 { #expect(pool.query(image(Float(v))).scalars == image(Float(v)).scalars) }
        #expect(pool.images.count == 3)
        // Afterwards each query returns either the new image or a stored one, which the new one replaces.
        var returnedStored = 0
        for v in 3..<40 {
            let before = pool.images.map { $0.scalars[0] }
            let out = pool.query(image(Float(v))).scalars[0]
            let after = pool.images.map { $0.scalars[0] }
            if out == Float(v) {
                #expect(before == after)
            } else {
                returnedStored += 1
                #expect(before.contains(out) && after.contains(Float(v)) && !after.contains(out))
            }
        }
        #expect(returnedStored > 5 && returnedStored < 32)  // about half of 37
        // Same seed, same choices.
        var a = ImagePool(capacity: 2, generator: SeededGenerator(seed: 9))
        var b = ImagePool(capacity: 2, generator: SeededGenerator(seed: 9))
        for v in 0..<20 { #expect(a.query(image(Float(v))).scalars == b.query(image(Float(v))).scalars) }
    }

    @Test func zeroCapacityPassesThroughDetached() {
        var pool = ImagePool(capacity: 0, generator: SeededGenerator(seed: 1))
        let x = image(2).requiringGrad() * 3
        let out = pool.query(x)
        #expect(!out.requiresGrad && out.scalars == x.scalars && pool.images.isEmpty)
    }

    @Test func batchesAreSplitPerImage() {
        var pool = ImagePool(capacity: 50, generator: SeededGenerator(seed: 1))
        let batch = Tensor((0..<8).map(Float.init), shape: [2, 1, 2, 2])
        #expect(pool.query(batch).scalars == batch.scalars)
        #expect(pool.images.count == 2 && pool.images[1].scalars == [4, 5, 6, 7])
    }
}

@Suite struct CycleGANTrainerTests {
    private func smallOptions() -> CycleGANOptions {
        var o = CycleGANOptions()
        (o.generatorFilters, o.discriminatorFilters, o.residualBlocks) = (4, 4, 1)
        return o
    }

    @Test func frozenDiscriminatorsGetNoGradientAndUnfreeze() {
        let trainer = CycleGANTrainer(options: smallOptions(), seed: 3)
        var g = SeededGenerator(seed: 4)
        let a = Tensor.uniform([1, 1, 32, 32], lower: -1, upper: 1, using: &g)
        let b = Tensor.uniform([1, 1, 32, 32], lower: -1, upper: 1, using: &g)
        trainer.setInput(UnpairedBatch(realA: a, realB: b))
        trainer.optimizeParameters()
        // After the step the discriminators are trainable again and hold the gradient of their own loss only.
        let dParams = trainer.discriminatorA.parameters()
        #expect(dParams.allSatisfy { $0.requiresGrad && $0.grad != nil })
        // Frozen: a backward pass through D reaches the input but leaves D's parameters alone.
        trainer.discriminatorA.setRequiresGrad(false)
        trainer.discriminatorA.zeroGrad()
        let x = a.requiringGrad()
        trainer.discriminatorA(x).mean().backward()
        #expect(x.grad != nil)
        #expect(dParams.allSatisfy { $0.grad == nil })
        trainer.discriminatorA.setRequiresGrad(true)
    }

    @Test func sameSeedSameLosses() {
        func run() -> [String: Float] {
            let trainer = CycleGANTrainer(options: smallOptions(), seed: 11)
            var g = SeededGenerator(seed: 12)
            for _ in 0..<3 {
                trainer.setInput(UnpairedBatch(realA: Tensor.uniform([1, 1, 32, 32], lower: -1, upper: 1, using: &g),
                                               realB: Tensor.uniform([1, 1, 32, 32], lower: -1, upper: 1, using: &g)))
                trainer.optimizeParameters()
            }
            return trainer.currentLosses()
        }
        let first = run()
        #expect(Set(first.keys) == Set(CycleGANTrainer(options: smallOptions(), seed: 0).lossNames))
        #expect(first.values.allSatisfy { $0.isFinite })
        #expect(first == run())
    }

    @Test func cycleLossFallsWhenOverfittingOneBatch() {
        let trainer = CycleGANTrainer(options: smallOptions(), seed: 5)
        var g = SeededGenerator(seed: 6)
        // A smooth pair of images, the same every step.
        let pattern: [Float] = (0..<(32 * 32)).map { (i: Int) -> Float in
            let (x, y) = (Double(i % 32), Double(i / 32))
            return Float(sin(x / 5) * cos(y / 7))
        }
        let a = Tensor(pattern, shape: [1, 1, 32, 32])
        let b = Tensor.uniform([1, 1, 32, 32], lower: -0.5, upper: 0.5, using: &g) + a * 0.5
        trainer.setInput(UnpairedBatch(realA: a, realB: b))
        trainer.optimizeParameters()
        let first = trainer.currentLosses()
        for _ in 0..<80 { trainer.optimizeParameters() }
        let last = trainer.currentLosses()
        let cycle = { (l: [String: Float]) in l["cycle_A"]! + l["cycle_B"]! }
        #expect(cycle(last) < 0.7 * cycle(first), "cycle loss \(cycle(first)) -> \(cycle(last))")
    }
}

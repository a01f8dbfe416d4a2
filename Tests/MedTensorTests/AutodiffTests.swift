import Foundation
import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTensor

/// The autodiff engine: what is recorded, how gradients accumulate, scopes and graph release.
@Suite struct AutodiffTests {
    @Test func leafUsedTwiceAccumulatesBothPaths() {
        let x = Tensor([1, -2, 3]).requiringGrad()
        // L = Σ (x·x + x) → dL/dx = 2x + 1
        (x * x + x).sum().backward()
        #expect(x.grad!.scalars == [3, -3, 7])
    }

    @Test func gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        let w = Tensor([2, 3]).requiringGrad()
        (w * 4).sum().backward()
        (w * w).sum().backward()
        #expect(w.grad!.scalars == [4 + 4, 4 + 6])
        w.zeroGrad()
        #expect(w.grad == nil)
        w.sum().backward()
        #expect(w.grad!.scalars == [1, 1])
    }

    @Test func copiesOfALeafShareItsGradientSlot() {
        let w = Tensor([1, 2]).requiringGrad()
        let alias = w
        (alias * 3).sum().backward()
        #expect(w.grad!.scalars == [3, 3])
    }

    @Test func untrackedInputsRecordNothing() {
        let a = Tensor([1, 2]), b = Tensor([3, 4])
        let c = (a * b).exp().sum()
        #expect(!a.requiresGrad && !c.requiresGrad && c.grad == nil)
        let tracked = a.requiringGrad()
        #expect(tracked.requiresGrad && tracked.isLeaf)
        let d = tracked * b
        #expect(d.requiresGrad && !d.isLeaf && d.grad == nil)
    }

    @Test func noGradScopeRecordsNothingAndRestores() {
        let x = Tensor([1, 2]).requiringGrad()
        #expect(Autodiff.isGradEnabled)
        let y = withNoGrad {
            #expect(!Autodiff.isGradEnabled)
            let inner = withNoGrad { x * 2 }
            #expect(!Autodiff.isGradEnabled)
            return (x * x + inner).sum()
        }
        #expect(Autodiff.isGradEnabled)
        #expect(!y.requiresGrad)
        #expect((x * 2).requiresGrad)
    }

    @Test func noGradScopeIsLocalToItsTask() async {
        // One task sits inside withNoGrad while the other records; neither sees the other's flag.
        async let untracked: Bool = withNoGrad {
            let x = Tensor([1, 2]).requiringGrad()
            return (0..<200).allSatisfy { _ in !(x * 2).requiresGrad }
        }
        async let tracked: Bool = {
            let x = Tensor([1, 2]).requiringGrad()
            return (0..<200).allSatisfy { _ in (x * 2).requiresGrad }
        }()
        let (u, t) = await (untracked, tracked)
        #expect(u && t)
    }

    @Test func detachedStopsTheGradient() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        (x * x.detached()).sum().backward()
        #expect(x.grad!.scalars == [1, 2, 3])
        #expect(!x.detached().requiresGrad)
    }

    @Test func graphIsReleasedUnlessRetained() {
        let x = Tensor([1, 2]).requiringGrad()
        let loss = (x.exp() * 2).sum()
        loss.backward(retainGraph: true)
        #expect(loss.node?.backwardRule != nil)
        loss.backward()
        #expect(loss.node?.backwardRule == nil)
        expectClose(x.grad!.scalars, x.scalars.map { 4 * Foundation.exp($0) }, rtol: 1e-6, atol: 0)
    }

    @Test func savedValuesSurviveLaterWritesToTheLeaf() {
        var x = Tensor([1, 2]).requiringGrad()
        let loss = (x * x).sum()
        // An optimiser-style in-place update after the forward pass copies the storage (copy-on-write), so the
        // values saved for backward are those of the forward pass.
        withNoGrad { x.withUnsafeMutableBufferPointer { $0[0] = 100; $0[1] = 100 } }
        loss.backward()
        #expect(x.grad!.scalars == [2, 4])
        #expect(x.scalars == [100, 100] && x.isLeaf)
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<20_000 { y = y * 1 }
        y.sum().backward()
        #expect(x.grad!.scalars == [1])
    }

    @Test func diamondGraphSumsBothBranchesOnce() {
        let x = Tensor([0.5]).requiringGrad()
        let h = x.tanh()                       // shared intermediate
        let loss = (h * 3 + h.exp()).sum()     // both branches reach x through h
        loss.backward()
        let t = Foundation.tanh(0.5)
        let expected = (3 + Foundation.exp(t)) * (1 - t * t)
        #expect(Swift.abs(Double(x.grad!.item) - expected) < 1e-5)
    }
}

/// The test machinery itself and memory ownership of recorded graphs.
@Suite struct AutodiffMachineryTests {
    @Test func gradCheckCatchesAWrongBackwardRule() {
        // x ↦ x² recorded with the wrong rule dL/dx = g · x (missing the factor 2).
        let x = TestData.randn([4], seed: 160)
        let problems = GradCheck.mismatches([x]) { xs in
            let saved = xs[0].detached()
            return Elementwise.map(xs[0], Square()).recorded("bad_square", from: [xs[0]]) { g in
                [Elementwise.zip(g, saved, Multiply())]
            }
        }
        #expect(problems.count == 1)
        // The correct rule passes.
        #expect(GradCheck.mismatches([x]) { $0[0].pow(2) }.isEmpty)
    }

    @Test func graphsAreFreedWithTheirResults() {
        // Saved values are captured without the node that saves them, so dropping the result frees the graph
        // whether or not backward() ran.
        weak var savedOutput: TensorStorage?
        weak var node: GradNode?
        do {
            let x = TestData.randn([1, 2, 6, 6], seed: 161).requiringGrad()
            let w = TestData.randn([3, 2, 3, 3], seed: 162).requiringGrad()
            let y = x.conv2d(weight: w, padding: 1).instanceNorm(activation: .relu).exp()
            savedOutput = y.storage
            node = y.node
            #expect(savedOutput != nil && node != nil)
        }
        #expect(savedOutput == nil && node == nil)
        do {
            let x = TestData.randn([5], seed: 163).requiringGrad()
            let y = x.tanh().sigmoid()
            savedOutput = y.storage
            y.sum().backward()
        }
        #expect(savedOutput == nil)
    }
}

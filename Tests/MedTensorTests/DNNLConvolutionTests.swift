import Foundation
import Synchronization
import MedTestSupport
import Testing
@testable import MedTensor

/// The oneDNN convolutions against the im2col + OpenBLAS reference on every layer shape the networks use (the
/// small odd geometries of ConvTests and Conv3dTests run through oneDNN too, against the direct loops), and
/// their determinism.
@Suite struct DNNLConvolutionTests {
    /// The three passes of one shape under one backend: (y with bias, gx, gw).
    private func passes(_ shape: ConvLayerShape, _ backend: ConvBackend, seed: UInt64) -> ([Float], [Float], [Float]) {
        let g = shape.geometry, n = shape.batch, k = shape.outChannels
        let x = TestData.randn([n * g.imageSize], seed: seed).scalars
        let w = TestData.randn([k * g.columnRows], seed: seed + 1).scalars
        let b = TestData.randn([k], seed: seed + 2).scalars
        let gy = TestData.randn([n * k * g.columnCount], seed: seed + 3).scalars
        var y = [Float](repeating: .nan, count: gy.count), gx = [Float](repeating: .nan, count: x.count)
        var gw = [Float](repeating: .nan, count: w.count)
        ConvKernel.forward(x, batch: n, g, weight: w, outChannels: k, bias: b, &y, backend: backend)
        ConvKernel.backwardData(gy, batch: n, g, weight: w, outChannels: k, &gx, backend: backend)
        ConvKernel.backwardWeight(x, gy, batch: n, g, outChannels: k, &gw, backend: backend)
        return (y, gx, gw)
    }

    /// |a − b| ≤ max(1e-5, 2e-7 · √terms) · max |b| elementwise: float32 sums of `terms` products in another
    /// order (rounding grows like √terms; the largest, a 3-D weight gradient, sums 524,288).
    private func expectAgree(_ a: [Float], _ b: [Float], terms: Int, _ what: String) {
        #expect(a.count == b.count)
        let scale = Double(b.lazy.map { abs($0) }.max() ?? 1)
        let worst = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
        let tolerance = max(1e-5, 2e-7 * Double(terms).squareRoot()) * max(1, scale)
        #expect(worst <= tolerance, "\(what): largest difference \(worst) with values up to \(scale), allowed \(tolerance)")
        #expect(!a.contains { $0.isNaN }, "\(what): NaN in the oneDNN result")
    }

    @Test(arguments: ConvLayerShape.standard)
    func everyNetworkLayerMatchesTheReference(_ shape: ConvLayerShape) {
        let g = shape.geometry
        for pass in [DNNLConvolution.Pass.forward(bias: true), .backwardData, .backwardWeights] {
            let implementation = DNNLConvolution.implementation(g, batch: shape.batch, outChannels: shape.outChannels,
                                                                pass: pass)
            #expect(implementation != nil, "oneDNN declined \(shape) \(pass)")
        }
        let fast = passes(shape, .oneDNN, seed: 70), reference = passes(shape, .im2col, seed: 70)
        expectAgree(fast.0, reference.0, terms: g.columnRows, "\(shape.name) forward")
        expectAgree(fast.1, reference.1, terms: shape.outChannels * g.kernelSize, "\(shape.name) backward-data")
        expectAgree(fast.2, reference.2, terms: shape.batch * g.columnCount, "\(shape.name) backward-weights")
    }

    /// Same inputs, same thread count: the same bytes, also when two threads convolve at once (each has its
    /// own plans and buffers).
    @Test func sameInputsGiveTheSameBytesOnEveryThread() {
        let shapes = ConvLayerShape.standard.filter { ["unet2d.l0", "unet2d.up0", "resnet128.block"].contains($0.name) }
        for shape in shapes {
            let first = passes(shape, .oneDNN, seed: 80)
            let results = Mutex<[([Float], [Float], [Float])]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                let r = passes(shape, .oneDNN, seed: 80)
                results.withLock { $0.append(r) }
            }
            for r in results.withLock({ $0 }) + [passes(shape, .oneDNN, seed: 80)] {
                #expect(r.0 == first.0 && r.1 == first.1 && r.2 == first.2, "\(shape.name) changed between runs")
            }
        }
    }

    /// `MEDSYNTH_CONV_BACKEND` picks the backend (the process-wide setting is not changed here: other suites run
    /// alongside).
    @Test func theEnvironmentChoosesTheBackend() {
        #expect(ConvBackend.fromEnvironment(nil) == .oneDNN)
        #expect(ConvBackend.fromEnvironment("im2col") == .im2col)
        #expect(ConvBackend.fromEnvironment("oneDNN") == .oneDNN)
        #expect(ConvBackend.fromEnvironment("gpu") == .oneDNN)
        let shape = ConvLayerShape.standard.first { $0.name == "unet2d.l2" }!
        let a = passes(shape, .im2col, seed: 90), b = passes(shape, .im2col, seed: 90)
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
    }
}

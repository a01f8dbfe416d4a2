import Foundation
import MedCore
import Testing
@testable import MedTensor

/// Rough single-run timings of the hot kernels, printed rather than asserted (machines are shared and noisy).
/// Run with `MEDSYNTH_TIMING=1 swift test -c release -Xswiftc -enable-testing --filter TensorTimingTests`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_TIMING"] != nil))
struct TensorTimingTests {
    /// Milliseconds of the fastest of `repeats` runs of `body`.
    func bestMilliseconds(_ repeats: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return best
    }

    @Test func conv64Channels3x3At128() {
        let x = TestData.randn([1, 64, 128, 128], seed: 1).requiringGrad()
        let w = TestData.randn([64, 64, 3, 3], seed: 2, std: 0.05).requiringGrad()
        let b = TestData.randn([64], seed: 3).requiringGrad()
        let gflop = 2.0 * 64 * 64 * 9 * 128 * 128 / 1e9
        let forward = bestMilliseconds(3) { _ = withNoGrad { x.conv2d(weight: w, bias: b, padding: 1) } }
        let both = bestMilliseconds(3) {
            x.zeroGrad(); w.zeroGrad(); b.zeroGrad()
            x.conv2d(weight: w, bias: b, padding: 1).sum().backward()
        }
        print(String(format: "conv2d 1×64×128×128, 64→64 3×3: forward %.1f ms (%.0f GFLOP/s), forward+backward %.1f ms (%.0f GFLOP/s)",
                     forward, gflop / forward * 1e3, both, 3 * gflop / both * 1e3))
        // The product inside the forward pass alone, to separate sgemm from im2col.
        let a = TestData.randn([64, 576], seed: 4), col = TestData.randn([576, 128 * 128], seed: 5)
        let gemm = bestMilliseconds(3) { _ = withNoGrad { a.matmul(col) } }
        print(String(format: "sgemm 64×576 · 576×16384: %.1f ms (%.0f GFLOP/s)", gemm, gflop / gemm * 1e3))
        let g = ConvGeometry(channels: 64, height: 128, width: 128, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1,
                             padH: 1, padW: 1)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: g.columnRows * g.columnCount)
        defer { buffer.deallocate() }
        let im2col = bestMilliseconds(3) { Im2col.im2col(x.storage.pointer, buffer, g) }
        let image = Tensor.zeros(x.shape)
        let col2im = bestMilliseconds(3) { Im2col.col2im(buffer, image.storage.pointer, g) }
        print(String(format: "im2col %.1f ms, col2im %.1f ms (warm buffers)", im2col, col2im))
        let gy = TestData.randn([1, 64, 128, 128], seed: 6)
        let data = bestMilliseconds(3) {
            ConvKernel.backwardData(gy.storage.pointer, batch: 1, g, weight: w.storage.pointer, outChannels: 64,
                                      image.storage.pointer)
        }
        let gw = Tensor.zeros(w.shape)
        let weight = bestMilliseconds(3) {
            ConvKernel.backwardWeight(x.storage.pointer, gy.storage.pointer, batch: 1, g, outChannels: 64,
                                        gw.storage.pointer)
        }
        print(String(format: "conv2d backward data %.1f ms, backward weight %.1f ms", data, weight))
        let norm = bestMilliseconds(3) {
            x.zeroGrad()
            x.instanceNorm(activation: .relu).sum().backward()
        }
        print(String(format: "instanceNorm+ReLU 1×64×128×128 forward+backward: %.1f ms", norm))
        let other = TestData.randn(x.shape, seed: 7)
        let add = bestMilliseconds(5) { _ = withNoGrad { x + other } }
        let relu = bestMilliseconds(5) { _ = withNoGrad { x.relu() } }
        let tanh = bestMilliseconds(5) { _ = withNoGrad { x.tanh() } }
        let sum = bestMilliseconds(5) { _ = withNoGrad { x.sum() } }
        print(String(format: "1M values: add %.2f ms, relu %.2f ms, tanh %.2f ms, sum %.2f ms", add, relu, tanh, sum))
        let pad = bestMilliseconds(3) { _ = withNoGrad { x.padded(1, mode: .reflect) } }
        print(String(format: "reflection pad 1 of 1×64×128×128: %.2f ms", pad))
    }
}

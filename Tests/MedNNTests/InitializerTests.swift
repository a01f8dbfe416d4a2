import MedCore
import MedTensor
import Testing
@testable import MedNN

@Suite struct InitializerTests {
    private func meanAndStd(_ values: [Float]) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot())
    }

    @Test func fansFollowPyTorch() {
        #expect(Initializers.fans([64, 32, 3, 3]) == (288, 576))
        #expect(Initializers.fans([10, 5]) == (5, 10))
        // A transposed convolution's [in, out, k, k] weight: fan_in counts the output channels, as in PyTorch.
        #expect(Initializers.fans([32, 16, 3, 3]) == (144, 288))
    }

    @Test func normalXavierKaimingStatistics() {
        var g = SeededGenerator(seed: 50)
        let shape = [64, 32, 3, 3]  // 18 432 values: the std estimate is within ~1%.
        let (m1, s1) = meanAndStd(Initializers.normal(shape, std: 0.02, using: &g).scalars)
        #expect(Swift.abs(m1) < 0.001 && Swift.abs(s1 - 0.02) < 0.02 * 0.03)
        let xavier = 0.5 * (2.0 / Double(288 + 576)).squareRoot()
        let (m2, s2) = meanAndStd(Initializers.xavierNormal(shape, gain: 0.5, using: &g).scalars)
        #expect(Swift.abs(m2) < xavier * 0.05 && Swift.abs(s2 - xavier) < xavier * 0.03)
        let kaiming = (2.0 / 288).squareRoot()
        let (m3, s3) = meanAndStd(Initializers.kaimingNormal(shape, using: &g).scalars)
        #expect(Swift.abs(m3) < kaiming * 0.05 && Swift.abs(s3 - kaiming) < kaiming * 0.03)
        let bound = 1 / Float(288).squareRoot()
        let uniform = Initializers.defaultUniform(shape, weightShape: shape, using: &g).scalars
        #expect(uniform.allSatisfy { Swift.abs($0) <= bound } && uniform.max()! > 0.95 * bound)
    }

    @Test func orthogonalHasOrthonormalRowsOrColumns() {
        var g = SeededGenerator(seed: 51)
        for shape in [[6, 4], [4, 2, 3, 1], [5, 5], [3, 2, 2, 2]] {
            let w = Initializers.orthogonal(shape, gain: 2, using: &g)
            let rows = shape[0], cols = w.count / rows
            let m = w.reshaped([rows, cols])
            // Gram matrix of the smaller side: WᵀW (tall) or WWᵀ (wide) ≈ gain² I.
            let gram = rows >= cols ? m.transposed().matmul(m) : m.matmul(m.transposed())
            let k = min(rows, cols)
            for i in 0..<k {
                for j in 0..<k {
                    #expect(Swift.abs(gram[i, j] - (i == j ? 4 : 0)) < 1e-4, "\(shape) gram[\(i), \(j)] = \(gram[i, j])")
                }
            }
        }
        // The same seed gives the same matrix.
        var a = SeededGenerator(seed: 52), b = SeededGenerator(seed: 52)
        #expect(Initializers.orthogonal([3, 4], using: &a).scalars == Initializers.orthogonal([3, 4], using: &b).scalars)
    }

    @Test func householderReconstructsTheMatrix() {
        let a: [Double] = [2, -1, 0, 1, 3, 1, -2, 0.5, 4, 1, 1, 1]  // 4×3
        let qr = HouseholderQR(a, rows: 4, columns: 3)
        let q = qr.thinQ()
        for i in 0..<4 {
            for j in 0..<3 {
                var s = 0.0
                for k in 0...j { s += q[i * 3 + k] * qr.r(k, j) }
                #expect(Swift.abs(s - a[i * 3 + j]) < 1e-12)
            }
        }
    }

    @Test func referenceInitWeights() {
        var g = SeededGenerator(seed: 53)
        let net = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 16, norm: .batch),
                                      initialization: .normal(gain: 0.02), generator: &g)
        let state = net.stateDict()
        let (m, s) = meanAndStd(state["model.8.weight"]!.scalars)  // 128·64·16 values
        #expect(Swift.abs(m) < 0.001 && Swift.abs(s - 0.02) < 0.001)
        #expect(state["model.0.bias"]!.scalars.allSatisfy { $0 == 0 } && state["model.11.bias"]!.scalars.allSatisfy { $0 == 0 })
        let (bm, bs) = meanAndStd(state["model.9.weight"]!.scalars)  // batch-norm γ ~ N(1, 0.02²)
        #expect(Swift.abs(bm - 1) < 0.01 && bs > 0.01 && bs < 0.03)
        #expect(state["model.9.bias"]!.scalars.allSatisfy { $0 == 0 })
        // Same seed, same network.
        var g2 = SeededGenerator(seed: 53)
        let again = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 16, norm: .batch), generator: &g2)
        #expect(again.stateDict()["model.5.weight"]!.scalars == state["model.5.weight"]!.scalars)
    }
}

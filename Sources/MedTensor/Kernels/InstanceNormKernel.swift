import MedCore

/// Instance normalisation with an optional affine transform and fused activation, forward and backward.
///
/// Each (n, c) plane of S values is normalised by its own mean and biased variance (divided by S, as PyTorch):
/// x̂ = (x − mean) · rstd with rstd = 1 / √(var + eps); z = γ[c] · x̂ + β[c]; y = act(z).
/// The forward pass returns mean and rstd per plane; the backward pass recomputes x̂ and z from x with them,
/// so nothing of size N·C·S is saved beyond the input.
enum InstanceNormKernel {
    /// x: [P = N·C, S], gamma, beta: [C] or nil -> y: [P, S], mean: [P], rstd: [P].
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, channels: Int,
                        spatial s: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
                        activation: FusedActivation,
                        mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        let slope = activation.negativeSlope
        forEachPlane(planes, s) { r in
            for p in r {
                let src = x + p * s, dst = y + p * s, c = p % channels
                // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly.
                let m = Reduce.sum(src, count: s) / Double(s)
                let sq = Reduce.sumOfSquaredDeviations(src, count: s, mean: Float(m))
                let inv = 1 / (sq / Double(s) + Double(eps)).squareRoot()
                mean[p] = Float(m)
                rstd[p] = Float(inv)
                let a = (gamma.map { $0[c] } ?? 1) * Float(inv)
                NormalizationPasses.affineActivation(src, dst, count: s, scale: a,
                                                     shift: (beta.map { $0[c] } ?? 0) - Float(m) * a, negativeSlope: slope)
            }
        }
    }

    /// gy, x: [P, S], mean, rstd: [P] (from `forward`) -> gx: [P, S], and per plane Σ dL/dz · x̂ (gammaGrad) and
    /// Σ dL/dz (betaGrad), which the caller sums over the batch.
    static func backward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                         planes: Int, channels: Int, spatial s: Int,
                         gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, activation: FusedActivation,
                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                         gammaGrad: UnsafeMutablePointer<Float>, betaGrad: UnsafeMutablePointer<Float>) {
        let slope = activation.negativeSlope
        forEachPlane(planes, s) { r in
            for p in r {
                let c = p % channels
                let g = gy + p * s, src = x + p * s, dst = gx + p * s
                let gam = gamma.map { $0[c] } ?? 1, bet = beta.map { $0[c] } ?? 0
                let m = mean[p], inv = rstd[p]
                let (sumG, sumGX) = NormalizationPasses.activationGradient(g, src, dst, count: s, mean: m, rstd: inv,
                                                                          gamma: gam, beta: bet, negativeSlope: slope)
                gammaGrad[p] = Float(sumGX)
                betaGrad[p] = Float(sumG)
                NormalizationPasses.inputGradient(src, dst, count: s, mean: m, rstd: inv, scale: gam * inv,
                                                  meanG: Float(sumG / Double(s)), meanGX: Float(sumGX / Double(s)))
            }
        }
    }

    private static func forEachPlane(_ planes: Int, _ s: Int, _ body: (Range<Int>) -> Void) {
        if planes * s < Elementwise.parallelThreshold { body(0..<planes) } else {
            Parallel.forEachChunk(count: planes, minimumChunk: max(1, Elementwise.minimumChunk / max(1, s)), body)
        }
    }

    // MARK: - Reference

    /// The definition in Double, x: [P, S] -> y: [P, S], as the test oracle for `forward`.
    static func forwardReference(_ x: [Float], planes: Int, channels: Int, spatial s: Int, gamma: [Float]?,
                                 beta: [Float]?, eps: Double, activation: FusedActivation) -> [Float] {
        var y = [Float](repeating: 0, count: planes * s)
        for p in 0..<planes {
            let plane = x[(p * s)..<((p + 1) * s)].map(Double.init)
            let m = plane.reduce(0, +) / Double(s)
            let v = plane.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(s)
            let c = p % channels
            for i in 0..<s {
                let z = Double(gamma?[c] ?? 1) * (plane[i] - m) / (v + eps).squareRoot() + Double(beta?[c] ?? 0)
                y[p * s + i] = Float(activation.apply(z))
            }
        }
        return y
    }
}

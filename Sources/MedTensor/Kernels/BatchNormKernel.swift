import MedCore

/// Batch normalisation with an optional affine transform and fused activation, forward and backward, in
/// training mode (statistics of the batch) and evaluation mode (given running statistics).
///
/// Channel c's values are the planes (n, c) for every n: M = N·S values. Training: x̂ = (x − mean) · rstd with
/// the batch mean and biased variance of the channel, rstd = 1 / √(var + eps); evaluation: the same with the
/// running mean and variance, which are constants. z = γ[c] · x̂ + β[c]; y = act(z). The per-plane passes are
/// those of instance norm (`NormalizationPasses`); only the grouping of planes into statistics differs.
enum BatchNormKernel {
    /// x: [N, C, S], gamma, beta: [C] or nil -> y: [N, C, S], mean, variance (biased), rstd: [C].
    static func trainingForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                                spatial s: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
                                activation: FusedActivation, mean: UnsafeMutablePointer<Float>,
                                variance: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        let slope = activation.negativeSlope, m = Double(batch * s)
        forEachChannel(batch, channels, s) { r in
            for c in r {
                let plane = { (n: Int) in x + (n * channels + c) * s }
                let mu = (0..<batch).reduce(0.0) { $0 + Reduce.sum(plane($1), count: s) } / m
                let sq = (0..<batch).reduce(0.0) { $0 + Reduce.sumOfSquaredDeviations(plane($1), count: s, mean: Float(mu)) }
                let inv = 1 / (sq / m + Double(eps)).squareRoot()
                (mean[c], variance[c], rstd[c]) = (Float(mu), Float(sq / m), Float(inv))
                let a = (gamma.map { $0[c] } ?? 1) * Float(inv)
                let b = (beta.map { $0[c] } ?? 0) - Float(mu) * a
                for n in 0..<batch {
                    NormalizationPasses.affineActivation(plane(n), y + (n * channels + c) * s, count: s, scale: a, shift: b,
                                                         negativeSlope: slope)
                }
            }
        }
    }

    /// gy, x: [N, C, S], mean, rstd: [C] (from `trainingForward`) -> gx: [N, C, S], gammaGrad = Σ dL/dz · x̂ and
    /// betaGrad = Σ dL/dz per channel.
    static func trainingBackward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                                 batch: Int, channels: Int, spatial s: Int, gamma: UnsafePointer<Float>?,
                                 beta: UnsafePointer<Float>?, activation: FusedActivation, mean: UnsafePointer<Float>,
                                 rstd: UnsafePointer<Float>, gammaGrad: UnsafeMutablePointer<Float>,
                                 betaGrad: UnsafeMutablePointer<Float>) {
        let slope = activation.negativeSlope, m = Double(batch * s)
        forEachChannel(batch, channels, s) { r in
            for c in r {
                let gam = gamma.map { $0[c] } ?? 1, bet = beta.map { $0[c] } ?? 0
                var sumG = 0.0, sumGX = 0.0
                for n in 0..<batch {
                    let o = (n * channels + c) * s
                    let (planeG, planeGX) = NormalizationPasses.activationGradient(gy + o, x + o, gx + o, count: s, mean: mean[c],
                                                                                  rstd: rstd[c], gamma: gam, beta: bet,
                                                                                  negativeSlope: slope)
                    sumG += planeG
                    sumGX += planeGX
                }
                (gammaGrad[c], betaGrad[c]) = (Float(sumGX), Float(sumG))
                for n in 0..<batch {
                    let o = (n * channels + c) * s
                    NormalizationPasses.inputGradient(x + o, gx + o, count: s, mean: mean[c], rstd: rstd[c],
                                                      scale: gam * rstd[c], meanG: Float(sumG / m), meanGX: Float(sumGX / m))
                }
            }
        }
    }

    /// x: [N, C, S] -> y: [N, C, S] normalised with fixed statistics, runningMean, rstd: [C]
    /// (rstd = 1 / √(runningVariance + eps)).
    static func evaluationForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                                  spatial s: Int, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
                                  activation: FusedActivation, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>) {
        let slope = activation.negativeSlope
        forEachChannel(batch, channels, s) { r in
            for c in r {
                let a = (gamma.map { $0[c] } ?? 1) * rstd[c]
                let b = (beta.map { $0[c] } ?? 0) - mean[c] * a
                for n in 0..<batch {
                    let o = (n * channels + c) * s
                    NormalizationPasses.affineActivation(x + o, y + o, count: s, scale: a, shift: b, negativeSlope: slope)
                }
            }
        }
    }

    /// The backward pass of `evaluationForward`: the statistics are constants, so dL/dx = γ · rstd · dL/dz.
    static func evaluationBackward(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>,
                                   batch: Int, channels: Int, spatial s: Int, gamma: UnsafePointer<Float>?,
                                   beta: UnsafePointer<Float>?, activation: FusedActivation, mean: UnsafePointer<Float>,
                                   rstd: UnsafePointer<Float>, gammaGrad: UnsafeMutablePointer<Float>,
                                   betaGrad: UnsafeMutablePointer<Float>) {
        let slope = activation.negativeSlope
        forEachChannel(batch, channels, s) { r in
            for c in r {
                let gam = gamma.map { $0[c] } ?? 1, bet = beta.map { $0[c] } ?? 0
                var sumG = 0.0, sumGX = 0.0
                for n in 0..<batch {
                    let o = (n * channels + c) * s
                    let (planeG, planeGX) = NormalizationPasses.activationGradient(gy + o, x + o, gx + o, count: s, mean: mean[c],
                                                                                  rstd: rstd[c], gamma: gam, beta: bet,
                                                                                  negativeSlope: slope)
                    sumG += planeG
                    sumGX += planeGX
                    NormalizationPasses.inputGradient(x + o, gx + o, count: s, mean: mean[c], rstd: rstd[c],
                                                      scale: gam * rstd[c], meanG: 0, meanGX: 0)
                }
                (gammaGrad[c], betaGrad[c]) = (Float(sumGX), Float(sumG))
            }
        }
    }

    private static func forEachChannel(_ batch: Int, _ channels: Int, _ s: Int, _ body: (Range<Int>) -> Void) {
        let perChannel = batch * s
        if channels * perChannel < Elementwise.parallelThreshold { body(0..<channels) } else {
            Parallel.forEachChunk(count: channels, minimumChunk: max(1, Elementwise.minimumChunk / max(1, perChannel)), body)
        }
    }

    // MARK: - Reference

    /// The definition in Double, x: [N, C, S] -> y. With `statistics` nil the batch statistics are used
    /// (training); otherwise the given (mean, variance) per channel (evaluation).
    static func forwardReference(_ x: [Float], batch: Int, channels: Int, spatial s: Int, gamma: [Float]?, beta: [Float]?,
                                 eps: Double, activation: FusedActivation,
                                 statistics: (mean: [Float], variance: [Float])? = nil) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for c in 0..<channels {
            var indices: [Int] = []
            for n in 0..<batch { indices += Array(((n * channels + c) * s)..<((n * channels + c + 1) * s)) }
            let values: [Double] = indices.map { Double(x[$0]) }
            let count = Double(values.count)
            var m = values.reduce(0, +) / count
            var v = values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / count
            if let statistics { (m, v) = (Double(statistics.mean[c]), Double(statistics.variance[c])) }
            let g = Double(gamma?[c] ?? 1), b = Double(beta?[c] ?? 0)
            for i in indices {
                let z: Double = g * (Double(x[i]) - m) / (v + eps).squareRoot() + b
                y[i] = Float(activation.apply(z))
            }
        }
        return y
    }
}

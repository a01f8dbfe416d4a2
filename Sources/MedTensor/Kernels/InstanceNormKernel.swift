import MedCore

/// An activation applied inside a normalisation kernel, so that its forward and backward cost no extra pass.
public enum FusedActivation: Sendable, Equatable {
    /// The identity.
    case identity
    /// max(z, 0).
    case relu
    /// z for z > 0, slope · z otherwise.
    case leakyRelu(slope: Float)

    /// The slope of the activation where its input is ≤ 0 (1 for the identity, 0 for ReLU).
    var negativeSlope: Float {
        switch self {
        case .identity: return 1
        case .relu: return 0
        case .leakyRelu(let slope): return slope
        }
    }
}

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
                // z = x·a + b with a = γ·rstd, b = β − mean·a.
                let a = (gamma.map { $0[c] } ?? 1) * Float(inv)
                let b = (beta.map { $0[c] } ?? 0) - Float(m) * a
                if slope == 1 {
                    for i in 0..<s { dst[i] = src[i] * a + b }
                } else {
                    for i in 0..<s { let z = src[i] * a + b; dst[i] = z > 0 ? z : slope * z }
                }
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
                // Pass 1: dst = dL/dz (through the activation), and the two plane sums. Eight SIMD lanes, with each
                // run's lane sums added in Double (as in Reduce.sum); the scalar loop below handles the tail.
                var sumG = 0.0, sumGX = 0.0
                let (vm, vinv, vgam, vbet, vslope) = (SIMD8<Float>(repeating: m), SIMD8<Float>(repeating: inv),
                                                      SIMD8<Float>(repeating: gam), SIMD8<Float>(repeating: bet),
                                                      SIMD8<Float>(repeating: slope))
                let rawG = UnsafeRawPointer(g), rawX = UnsafeRawPointer(src), rawD = UnsafeMutableRawPointer(dst)
                var i = 0
                while i + Reduce.run <= s {
                    var laneG = SIMD8<Float>(), laneGX = SIMD8<Float>()
                    for j in stride(from: i, to: i + Reduce.run, by: 8) {
                        let offset = j * MemoryLayout<Float>.stride
                        let xh = (rawX.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) - vm) * vinv
                        var gz = rawG.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        if slope != 1 { gz.replace(with: gz * vslope, where: vgam * xh + vbet .<= 0) }
                        rawD.storeBytes(of: gz, toByteOffset: offset, as: SIMD8<Float>.self)
                        laneG += gz
                        laneGX += gz * xh
                    }
                    sumG += Double(laneG.sum())
                    sumGX += Double(laneGX.sum())
                    i += Reduce.run
                }
                while i < s {
                    let xh = (src[i] - m) * inv
                    var gz = g[i]
                    if slope != 1 && gam * xh + bet <= 0 { gz *= slope }
                    dst[i] = gz
                    sumG += Double(gz)
                    sumGX += Double(gz * xh)
                    i += 1
                }
                gammaGrad[p] = Float(sumGX)
                betaGrad[p] = Float(sumG)
                // Pass 2: dx = γ·rstd · (dz − mean(dz) − x̂ · mean(dz · x̂)).
                let k = gam * inv, meanG = Float(sumG / Double(s)), meanGX = Float(sumGX / Double(s))
                for i in 0..<s {
                    let xh = (src[i] - m) * inv
                    dst[i] = k * (dst[i] - meanG - xh * meanGX)
                }
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
                let out: Double
                switch activation {
                case .identity: out = z
                case .relu: out = max(z, 0)
                case .leakyRelu(let slope): out = z > 0 ? z : Double(slope) * z
                }
                y[p * s + i] = Float(out)
            }
        }
        return y
    }
}

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

    /// The activation applied to one value, in Double (for reference kernels).
    func apply(_ z: Double) -> Double { z > 0 ? z : Double(negativeSlope) * z }
}

/// The passes over one contiguous run of values (a plane) that instance and batch normalisation share.
///
/// With x̂ = (x − mean) · rstd, z = γ · x̂ + β and y = act(z):
/// - forward: `affineActivation` writes y = act(a · x + b) with a = γ · rstd, b = β − mean · a;
/// - backward pass 1: `activationGradient` writes dL/dz = dL/dy · act′(z) and returns Σ dL/dz and Σ dL/dz · x̂
///   (the gradients of β and γ, and the two means the input gradient needs);
/// - backward pass 2: `inputGradient` turns dL/dz into dL/dx = γ · rstd · (dL/dz − mean(dL/dz) − x̂ · mean(dL/dz · x̂)).
///
/// Loops use eight SIMD lanes; sums add each run of `Reduce.run` values in Float lanes and the runs in Double.
enum NormalizationPasses {
    private typealias V = SIMD8<Float>
    private static let stride = MemoryLayout<Float>.stride

    /// x: [count] -> y: [count], y = act(a · x + b), act given by its negative slope (1 = identity).
    @inline(__always)
    static func affineActivation(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                                 scale a: Float, shift b: Float, negativeSlope slope: Float) {
        if slope == 1 {
            for i in 0..<count { y[i] = x[i] * a + b }
        } else {
            for i in 0..<count { let z = x[i] * a + b; y[i] = z > 0 ? z : slope * z }
        }
    }

    /// gy, x: [count] -> gz: [count] = dL/dz; returns (Σ gz, Σ gz · x̂).
    @inline(__always)
    static func activationGradient(_ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ gz: UnsafeMutablePointer<Float>,
                                   count: Int, mean m: Float, rstd inv: Float, gamma gam: Float, beta bet: Float,
                                   negativeSlope slope: Float) -> (sumG: Double, sumGX: Double) {
        var sumG = 0.0, sumGX = 0.0
        let (vm, vinv, vgam, vbet, vslope) = (V(repeating: m), V(repeating: inv), V(repeating: gam),
                                              V(repeating: bet), V(repeating: slope))
        let rawG = UnsafeRawPointer(gy), rawX = UnsafeRawPointer(x), rawD = UnsafeMutableRawPointer(gz)
        var i = 0
        while i + Reduce.run <= count {
            var laneG = V(), laneGX = V()
            for j in Swift.stride(from: i, to: i + Reduce.run, by: 8) {
                let offset = j * stride
                let xh = (rawX.loadUnaligned(fromByteOffset: offset, as: V.self) - vm) * vinv
                var g = rawG.loadUnaligned(fromByteOffset: offset, as: V.self)
                if slope != 1 { g.replace(with: g * vslope, where: vgam * xh + vbet .<= 0) }
                rawD.storeBytes(of: g, toByteOffset: offset, as: V.self)
                laneG += g
                laneGX += g * xh
            }
            sumG += Double(laneG.sum())
            sumGX += Double(laneGX.sum())
            i += Reduce.run
        }
        while i < count {
            let xh = (x[i] - m) * inv
            var g = gy[i]
            if slope != 1 && gam * xh + bet <= 0 { g *= slope }
            gz[i] = g
            sumG += Double(g)
            sumGX += Double(g * xh)
            i += 1
        }
        return (sumG, sumGX)
    }

    /// gz (from `activationGradient`), x: [count] -> gz overwritten with dL/dx = k · (gz − meanG − x̂ · meanGX),
    /// k = γ · rstd.
    @inline(__always)
    static func inputGradient(_ x: UnsafePointer<Float>, _ gz: UnsafeMutablePointer<Float>, count: Int,
                              mean m: Float, rstd inv: Float, scale k: Float, meanG: Float, meanGX: Float) {
        for i in 0..<count {
            let xh = (x[i] - m) * inv
            gz[i] = k * (gz[i] - meanG - xh * meanGX)
        }
    }
}

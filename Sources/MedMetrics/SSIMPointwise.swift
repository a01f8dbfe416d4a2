/// The pointwise part of an SSIM-like index: from local means and (co)variances to one map value and the
/// contrast-structure term. Generic so the fast loops specialise for each formula.
protocol SSIMPointwise {
    /// - Parameters: ux, uy local means; vx, vy local variances; vxy local covariance (already scaled by the
    ///   covariance normalisation).
    /// - Returns: the map value and cs = (2·vxy + C2) / (vx + vy + C2) (or the formula's equivalent).
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double)

    /// The same for two voxels at once (the 2D box path computes two rows per instruction); each lane must
    /// give exactly what the scalar form gives. The default goes through the scalar form lane by lane.
    func evaluate(ux: SIMD2<Double>, uy: SIMD2<Double>, vx: SIMD2<Double>, vy: SIMD2<Double>,
                  vxy: SIMD2<Double>) -> (map: SIMD2<Double>, cs: SIMD2<Double>)
}

extension SSIMPointwise {
    /// Lane by lane through the scalar form.
    @inline(__always)
    func evaluate(ux: SIMD2<Double>, uy: SIMD2<Double>, vx: SIMD2<Double>, vy: SIMD2<Double>,
                  vxy: SIMD2<Double>) -> (map: SIMD2<Double>, cs: SIMD2<Double>) {
        let a = evaluate(ux: ux[0], uy: uy[0], vx: vx[0], vy: vy[0], vxy: vxy[0])
        let b = evaluate(ux: ux[1], uy: uy[1], vx: vx[1], vy: vy[1], vxy: vxy[1])
        return (SIMD2(a.map, b.map), SIMD2(a.cs, b.cs))
    }
}

/// Wang et al.'s SSIM: ((2 ux uy + C1)(2 vxy + C2)) / ((ux² + uy² + C1)(vx + vy + C2)).
struct StandardSSIMFormula: SSIMPointwise {
    let c1: Double
    let c2: Double
    @inline(__always)
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double) {
        let cs = (2 * vxy + c2) / (vx + vy + c2)
        return ((2 * ux * uy + c1) / (ux * ux + uy * uy + c1) * cs, cs)
    }

    @inline(__always)
    func evaluate(ux: SIMD2<Double>, uy: SIMD2<Double>, vx: SIMD2<Double>, vy: SIMD2<Double>,
                  vxy: SIMD2<Double>) -> (map: SIMD2<Double>, cs: SIMD2<Double>) {
        let cs: SIMD2<Double> = (2 * vxy + c2) / (vx + vy + c2)
        let l: SIMD2<Double> = (2 * ux * uy + c1) / (ux * ux + uy * uy + c1)
        return (l * cs, cs)
    }
}

/// SSIM when the contrast-structure mean is not needed: the same value with one division,
/// (A1·A2) / (B1·B2) as scikit-image writes it; `cs` is returned as 0.
struct SSIMOnlyFormula: SSIMPointwise {
    let c1: Double
    let c2: Double
    @inline(__always)
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double) {
        ((2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2)), 0)
    }

    @inline(__always)
    func evaluate(ux: SIMD2<Double>, uy: SIMD2<Double>, vx: SIMD2<Double>, vy: SIMD2<Double>,
                  vxy: SIMD2<Double>) -> (map: SIMD2<Double>, cs: SIMD2<Double>) {
        let a1: SIMD2<Double> = 2 * ux * uy + c1, a2: SIMD2<Double> = 2 * vxy + c2
        let b1: SIMD2<Double> = ux * ux + uy * uy + c1, b2: SIMD2<Double> = vx + vy + c2
        return (a1 * a2 / (b1 * b2), .zero)
    }
}

/// The pointwise part of an SSIM-like index: from local means and (co)variances to one map value and the
/// contrast-structure term. Generic so the fast loops specialise for each formula.
protocol SSIMPointwise {
    /// - Parameters: ux, uy local means; vx, vy local variances; vxy local covariance (already scaled by the
    ///   covariance normalisation).
    /// - Returns: the map value and cs = (2·vxy + C2) / (vx + vy + C2) (or the formula's equivalent).
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double)
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
}

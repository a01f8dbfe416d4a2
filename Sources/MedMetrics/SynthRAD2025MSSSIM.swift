import Foundation
import MedIO

/// The masked MS-SSIM of the SynthRAD 2025 evaluation, on images already clipped, masked and shifted.
///
/// Per level ℓ (weight w_ℓ from `MSSSIM.weights`), with uniform-7 local statistics (sample covariance),
/// C1 = (0.01 R)², C2 = (0.03 R)², C3 = C2/2, σ = √max(σ², 0):
///
///     L = max(0, (2 μx μy + C1) / (μx² + μy² + C1))
///     C = max(0, (2 σx σy + C2) / (σx² + σy² + C2))
///     S = max(0, (σxy + C3) / (σx σy + C3))
///     map_ℓ = L^{w_ℓ} · C^{w_ℓ} · S^{w_ℓ}
///
/// (the evaluation code applies the level weight to the luminance term at every level, not only the last,
/// and this reproduces it). The level score is the mean of map_ℓ over the mask voxels of the interior
/// cropped by 3; the result is Π_ℓ clip(score_ℓ, 0, 1). Before level 1 every extent shorter than 97 is
/// edge-padded to 97 (split as ⌊(97 − n)/2⌋ before, the rest after; the mask too). Between levels the images
/// are box-averaged (`Downsampling.Rule.synthrad2025`) and the mask is subsampled at even indices. A level
/// whose cropped mask is empty scores NaN, as numpy's mean of an empty array does.
enum SynthRAD2025MSSSIM {
    /// The evaluation's minimum extent before the pyramid.
    static let paddedMinimum = 97

    /// - Parameters: a, b: prepared images (Double, C order); shape; mask flags; dataRange R.
    static func compute(_ a: [Double], _ b: [Double], shape: VolumeShape, mask: [Bool], dataRange: Double) -> Double {
        var (x, s) = edgePadded(a, shape: shape)
        var y = edgePadded(b, shape: shape).values
        var m = edgePadded(mask, shape: shape).values
        let window = SSIMWindow.uniform(size: 7)
        let np = s.depth == 1 ? 49.0 : 343.0
        let c2 = (0.03 * dataRange) * (0.03 * dataRange)
        var product = 1.0
        for (level, w) in MSSSIM.weights.enumerated() {
            let formula = SynthRADLevelFormula(c1: (0.01 * dataRange) * (0.01 * dataRange), c2: c2, c3: c2 / 2, weight: w)
            let (sums, _) = SSIMEngine.run(x: x, y: y, shape: s, window: window, covNorm: np / (np - 1), formula: formula,
                                           crop: window.radius, mask: m, wantMap: false)
            let score = sums.maskedSum / Double(sums.maskedCount)
            product *= score.isNaN ? .nan : min(max(score, 0), 1)
            if level < MSSSIM.weights.count - 1 {
                let hx = Downsampling.halve(x, shape: s, rule: .synthrad2025)
                y = Downsampling.halve(y, shape: s, rule: .synthrad2025).values
                m = Downsampling.stride2(m, shape: s).values
                x = hx.values
                s = hx.shape
            }
        }
        return product
    }

    /// numpy `np.pad(x, ..., mode='edge')` up to `paddedMinimum` along each axis longer than 1.
    static func edgePadded<T>(_ x: [T], shape: VolumeShape) -> (values: [T], shape: VolumeShape) {
        let dims = [shape.depth, shape.height, shape.width]
        let target = dims.map { $0 == 1 && shape.depth == 1 ? $0 : Swift.max($0, paddedMinimum) }
        if target == dims { return (x, shape) }
        let before = zip(dims, target).map { ($1 - $0) / 2 }
        var out = [T]()
        out.reserveCapacity(target[0] * target[1] * target[2])
        for k in 0..<target[0] {
            let sk = Swift.min(Swift.max(k - before[0], 0), dims[0] - 1)
            for j in 0..<target[1] {
                let sj = Swift.min(Swift.max(j - before[1], 0), dims[1] - 1)
                for i in 0..<target[2] {
                    let si = Swift.min(Swift.max(i - before[2], 0), dims[2] - 1)
                    out.append(x[(sk * dims[1] + sj) * dims[2] + si])
                }
            }
        }
        return (out, VolumeShape(depth: target[0], height: target[1], width: target[2]))
    }
}

/// The per-voxel term of one SynthRAD 2025 MS-SSIM level (see `SynthRAD2025MSSSIM`).
struct SynthRADLevelFormula: SSIMPointwise {
    let c1: Double, c2: Double, c3: Double
    let weight: Double
    @inline(__always)
    func evaluate(ux: Double, uy: Double, vx: Double, vy: Double, vxy: Double) -> (map: Double, cs: Double) {
        let sx = max(vx, 0).squareRoot(), sy = max(vy, 0).squareRoot()
        let l = max((2 * ux * uy + c1) / (ux * ux + uy * uy + c1), 0)
        let c = max((2 * sx * sy + c2) / (vx + vy + c2), 0)
        let s = max((vxy + c3) / (sx * sy + c3), 0)
        let v = pow(l, weight) * pow(c, weight) * pow(s, weight)
        return (v, c * s)
    }
}

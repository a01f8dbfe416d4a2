import Foundation
import MedIO
@testable import MedMetrics

/// The test oracle for `SSIM`: a direct window loop per voxel (no separable passes, no running sums), with
/// scipy's 'reflect' borders, the full product window in 2D or 3D, and the mean over the cropped interior.
enum SSIMReference {
    /// Mean SSIM (and the masked mean over interior ∩ mask).
    static func ssim(_ x: Volume, _ y: Volume, dataRange R: Double, options: SSIMOptions,
                     mask: [Bool]? = nil) -> (mean: Double, masked: Double?) {
        let w = options.engineWindow.weights, r = w.count / 2
        let D = x.shape.depth, H = x.shape.height, W = x.shape.width
        let is3D = D > 1
        let np = pow(Double(w.count), is3D ? 3 : 2)
        let cn = options.sampleCovariance ? np / (np - 1) : 1
        let c1 = (options.k1 * R) * (options.k1 * R), c2 = (options.k2 * R) * (options.k2 * R)
        func refl(_ p: Int, _ n: Int) -> Int { p < 0 ? -p - 1 : (p >= n ? 2 * n - p - 1 : p) }
        var sum = 0.0, n = 0, msum = 0.0, mn = 0
        let kr = is3D ? r..<(D - r) : 0..<1
        for k in kr { for j in r..<(H - r) { for i in r..<(W - r) {
            var ux = 0.0, uy = 0.0, uxx = 0.0, uyy = 0.0, uxy = 0.0
            for dk in (is3D ? -r : 0)...(is3D ? r : 0) { for dj in -r...r { for di in -r...r {
                let wt = (is3D ? w[dk + r] : 1) * w[dj + r] * w[di + r]
                let idx = x.index(k: refl(k + dk, D), j: refl(j + dj, H), i: refl(i + di, W))
                let a = Double(x.voxels[idx]), b = Double(y.voxels[idx])
                ux += wt * a; uy += wt * b; uxx += wt * a * a; uyy += wt * b * b; uxy += wt * a * b
            } } }
            let vx = cn * (uxx - ux * ux), vy = cn * (uyy - uy * uy), vxy = cn * (uxy - ux * uy)
            let s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
            sum += s; n += 1
            if let mask, mask[x.index(k: k, j: j, i: i)] { msum += s; mn += 1 }
        } } }
        return (sum / Double(n), mask == nil ? nil : msum / Double(mn))
    }
}

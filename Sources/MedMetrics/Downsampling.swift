import MedIO

/// Halving a volume by 2-voxel averages along each axis (depth too when depth > 1), in Double.
///
/// Output voxel m along an axis of n voxels averages inputs 2m − o and 2m − o + 1 (zeros outside, always
/// divided by 2), so one rule covers both conventions MedMetrics needs:
/// - `pytorchAvgPool`: `avg_pool(kernel 2, padding n % 2)` with `count_include_pad` (pytorch_msssim): o = n % 2,
///   n/2 + n % 2 outputs.
/// - `synthrad2025`: `fftconvolve(x, ones(2,2,2)/8, mode='same')[::2, ::2, ::2]` (SynthRAD 2025 evaluation):
///   o = 1, ⌈n/2⌉ outputs — the first plane averages with an implicit zero.
enum Downsampling {
    /// Which averaging convention.
    enum Rule { case pytorchAvgPool, synthrad2025 }

    /// x: [D, H, W] -> [D', H', W'] by the rule along every axis longer than 1.
    static func halve(_ x: [Double], shape: VolumeShape, rule: Rule) -> (values: [Double], shape: VolumeShape) {
        var values = x
        var s = [shape.depth, shape.height, shape.width]
        for axis in 0..<3 where s[axis] > 1 {
            let n = s[axis]
            let offset = rule == .pytorchAvgPool ? n % 2 : 1
            let m = rule == .pytorchAvgPool ? n / 2 + n % 2 : (n + 1) / 2
            var t = s
            t[axis] = m
            let inner = axis == 0 ? s[1] * s[2] : (axis == 1 ? s[2] : 1)
            let outer = axis == 0 ? 1 : (axis == 1 ? s[0] : s[0] * s[1])
            var out = [Double](repeating: 0, count: t[0] * t[1] * t[2])
            for o in 0..<outer {
                for q in 0..<m {
                    let a = 2 * q - offset, b = a + 1
                    let dst = (o * m + q) * inner
                    for i in 0..<inner {
                        var v = 0.0
                        if a >= 0 && a < n { v += values[(o * n + a) * inner + i] }
                        if b >= 0 && b < n { v += values[(o * n + b) * inner + i] }
                        out[dst + i] = 0.5 * v
                    }
                }
            }
            values = out
            s = t
        }
        return (values, VolumeShape(depth: s[0], height: s[1], width: s[2]))
    }

    /// Flags at even indices along every axis longer than 1 (numpy's `mask[::2, ::2, ::2]`).
    static func stride2(_ x: [Bool], shape: VolumeShape) -> (values: [Bool], shape: VolumeShape) {
        let d = shape.depth > 1 ? (shape.depth + 1) / 2 : 1
        let h = (shape.height + 1) / 2, w = (shape.width + 1) / 2
        var out = [Bool](repeating: false, count: d * h * w)
        for k in 0..<d {
            let sk = shape.depth > 1 ? 2 * k : 0
            for j in 0..<h { for i in 0..<w { out[(k * h + j) * w + i] = x[(sk * shape.height + 2 * j) * shape.width + 2 * i] } }
        }
        return (out, VolumeShape(depth: d, height: h, width: w))
    }
}

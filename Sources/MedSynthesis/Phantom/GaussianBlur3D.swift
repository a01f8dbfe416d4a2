import MedCore
import MedIO

/// A separable 3D Gaussian blur with zero padding (values outside the grid are 0 and the kernel is not
/// renormalised at the borders), plus the direct 3D convolution it must equal, as a test oracle.
public enum GaussianBlur3D {
    /// The Gaussian σ for a full width at half maximum: σ = FWHM / (2·√(2·ln 2)) ≈ FWHM / 2.3548.
    public static func sigma(fromFWHM fwhm: Double) -> Double { fwhm / (2 * (2 * log(2.0)).squareRoot()) }

    /// σ in voxels along width, height and depth for an isotropic FWHM in mm.
    /// - Parameters:
    ///   - fwhmMM: the point-spread function's FWHM (mm).
    ///   - spacingMM: voxel spacing along width, height, depth (mm).
    public static func sigmaVoxels(fwhmMM: Double, spacingMM: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(repeating: sigma(fromFWHM: fwhmMM)) / spacingMM
    }

    /// A normalised, sampled 1D Gaussian kernel of `2·radius + 1` taps, radius = ⌈radiusSigmas · σ⌉.
    /// - Parameters:
    ///   - sigmaVoxels: σ in voxels; 0 (or below 1e-6) gives the identity kernel [1].
    ///   - radiusSigmas: truncation, in multiples of σ.
    /// - Returns: the taps, summing to 1, symmetric about the centre tap.
    public static func kernel(sigmaVoxels sigma: Double, radiusSigmas: Double) -> [Float] {
        guard sigma > 1e-6 else { return [1] }
        let radius = max(1, Int((radiusSigmas * sigma).rounded(.up)))
        var taps = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let sum = taps.reduce(0, +)
        taps = taps.map { $0 / sum }
        return taps.map(Float.init)
    }

    /// Convolves `voxels` (C order, width fastest) with the separable kernel kx ⊗ ky ⊗ kz, zero padded.
    ///
    /// Shapes: voxels [D][H][W] → [D][H][W]; each kernel has an odd number of taps, centre in the middle.
    /// Passes run along width, then height, then depth; each is parallel over slices.
    /// - Parameters:
    ///   - voxels: the data, replaced by the result.
    ///   - shape: its extents.
    ///   - kernels: taps along width (x), height (y), depth (z).
    public static func blurSeparable(_ voxels: inout [Float], shape: VolumeShape, kernels: (x: [Float], y: [Float], z: [Float])) {
        precondition(voxels.count == shape.voxelCount, "voxel count \(voxels.count) != \(shape)")
        for k in [kernels.x, kernels.y, kernels.z] {
            precondition(k.count % 2 == 1, "kernel of \(k.count) taps; expected an odd count")
        }
        var scratch = [Float](repeating: 0, count: voxels.count)
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let slice = w * h
        let total = voxels.count
        voxels.withUnsafeMutableBufferPointer { a in
            scratch.withUnsafeMutableBufferPointer { b in
                let src = a.baseAddress!, tmp = b.baseAddress!
                if kernels.x.count > 1 {
                    kernels.x.withUnsafeBufferPointer { kx in
                        Parallel.forEachChunk(count: d) { slices in
                            for k in slices {
                                for j in 0..<h {
                                    let row = (k * h + j) * w
                                    convolveLine(src + row, tmp + row, count: w, kernel: kx)
                                }
                            }
                        }
                    }
                } else {
                    tmp.update(from: src, count: total)
                }
                // Height pass: tmp → src, rows of a slice combined with whole-row multiply-adds.
                kernels.y.withUnsafeBufferPointer { ky in
                    Parallel.forEachChunk(count: d) { slices in
                        for k in slices {
                            let base = k * slice
                            for j in 0..<h {
                                accumulateRows(from: tmp + base, to: src + base + j * w, index: j, extent: h,
                                               rowLength: w, step: w, kernel: ky)
                            }
                        }
                    }
                }
                // Depth pass: src → tmp, row by row so the output row stays in L1.
                kernels.z.withUnsafeBufferPointer { kz in
                    Parallel.forEachChunk(count: d) { slices in
                        for k in slices {
                            for j in 0..<h {
                                accumulateRows(from: src + j * w, to: tmp + k * slice + j * w, index: k, extent: d,
                                               rowLength: w, step: slice, kernel: kz)
                            }
                        }
                    }
                }
            }
        }
        swap(&voxels, &scratch)
    }

    /// out[n] = Σ_t kernel[t] · line[n + t − r] over one contiguous line, zero outside 0..<count.
    @inline(__always)
    private static func convolveLine(_ line: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                                     kernel: UnsafeBufferPointer<Float>) {
        let r = kernel.count / 2
        out.update(repeating: 0, count: count)
        for t in 0..<kernel.count {
            let offset = t - r
            let wgt = kernel[t]
            let lo = max(0, -offset), hi = min(count, count - offset)
            if lo >= hi { continue }
            let src = line + offset
            for n in lo..<hi { out[n] += wgt * src[n] }
        }
    }

    /// dst[0..<rowLength] = Σ_t kernel[t] · src[(index + t − r)·step ..< +rowLength], skipping rows outside
    /// 0..<extent (zero padding).
    @inline(__always)
    private static func accumulateRows(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, index: Int,
                                       extent: Int, rowLength: Int, step: Int, kernel: UnsafeBufferPointer<Float>) {
        let r = kernel.count / 2
        dst.update(repeating: 0, count: rowLength)
        for t in 0..<kernel.count {
            let m = index + t - r
            if m < 0 || m >= extent { continue }
            let wgt = kernel[t]
            let row = src + m * step
            for n in 0..<rowLength { dst[n] += wgt * row[n] }
        }
    }

    /// The direct 3D convolution with the product kernel kx ⊗ ky ⊗ kz, zero padded, accumulated in Double.
    /// O(voxels × taps³): the reference `blurSeparable` is tested against, for small volumes only.
    public static func blurReference(_ voxels: [Float], shape: VolumeShape, kernels: (x: [Float], y: [Float], z: [Float])) -> [Float] {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let rx = kernels.x.count / 2, ry = kernels.y.count / 2, rz = kernels.z.count / 2
        var out = [Float](repeating: 0, count: voxels.count)
        for k in 0..<d { for j in 0..<h { for i in 0..<w {
            var sum = 0.0
            for c in -rz...rz where k + c >= 0 && k + c < d {
                for b in -ry...ry where j + b >= 0 && j + b < h {
                    for a in -rx...rx where i + a >= 0 && i + a < w {
                        let weight = Double(kernels.x[a + rx]) * Double(kernels.y[b + ry]) * Double(kernels.z[c + rz])
                        sum += weight * Double(voxels[((k + c) * h + (j + b)) * w + (i + a)])
                    }
                }
            }
            out[(k * h + j) * w + i] = Float(sum)
        } } }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

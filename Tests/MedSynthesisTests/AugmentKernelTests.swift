import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct AugmentKernelTests {
    /// The row-wise trilinear resampler equals the plain per-voxel implementation for a rotation plus shift that
    /// sends many points across and beyond the borders (fill value used there).
    @Test func trilinearResamplerMatchesReference() throws {
        let shape = VolumeShape(depth: 9, height: 14, width: 17)
        let source = AugmentFixture.randomVolume(shape, seed: 21).voxels
        let p = AffineAugmentation.Parameters(rotationDegrees: SIMD3(12, -20, 33), scale: SIMD3(0.8, 1.1, 1.3),
                                              shear: SIMD3(0.1, -0.05, 0.02), translationMM: SIMD3(1.3, -2.2, 0.7))
        let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                 spacingMM: SIMD3(1.2, 0.9, 2.0), extents: SIMD3(17, 14, 9))
        for (interpolation, fill) in [(Resampler.Interpolation.linear, Float(-3.5)), (.nearest, 0)] {
            let channel = Resampler.Channel(source: source, interpolation: interpolation, fill: fill)
            let fast = Resampler.resample([channel], shape: shape) { k, j, xs, ys, zs in map.fillRow(k: k, j: j, xs, ys, zs) }[0]
            let reference = Resampler.resampleReference(channel, shape: shape) { k, j, i in
                let base = map.a.apply(SIMD3(0, Double(j), Double(k))) + map.b
                let fi = Float(i)
                return SIMD3(Double(Float(base.x) + fi * Float(map.a[0, 0])), Double(Float(base.y) + fi * Float(map.a[1, 0])),
                             Double(Float(base.z) + fi * Float(map.a[2, 0])))
            }
            #expect(Approx.maxAbsDifference(fast, reference) < 2e-5, "\(interpolation)")
            #expect(fast.contains(fill), "the map should reach outside the grid")
        }
    }

    /// The four-point vector path of the trilinear row gives exactly the per-point values (`linearPoint`), on a
    /// map that crosses the borders, including negative zero, NaN and huge coordinates.
    @Test func vectorTrilinearPathIsBitExact() {
        let shape = VolumeShape(depth: 6, height: 9, width: 23)
        let source = AugmentFixture.randomVolume(shape, seed: 44).voxels
        var g = SeededGenerator(seed: 2)
        var xs = (0..<23).map { _ in Float(g.uniform(-2, 24)) }, ys = (0..<23).map { _ in Float(g.uniform(-1, 9)) }
        let zs = (0..<23).map { _ in Float(g.uniform(0, 5)) }
        xs[0] = -0.0; xs[5] = .nan; ys[9] = 1e30; xs[13] = -3e7
        for q in 14..<22 { xs[q] = Float(q - 12) + 0.25; ys[q] = 3.5 }   // whole interior blocks
        var out = [Float](repeating: 0, count: 23)
        source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { Resampler.linearRow(s.baseAddress!, shape: shape, xs: xs, ys: ys, zs: zs, fill: -7, out: $0.baseAddress!) }
            for q in 0..<23 {
                let one = Resampler.linearPoint(s.baseAddress!, shape: shape, x: xs[q], y: ys[q], z: zs[q], fill: -7)
                #expect(out[q].bitPattern == one.bitPattern || (out[q].isNaN && one.isNaN), "point \(q)")
            }
        }
    }

    /// The one-slice bilinear kernel (motion's in-plane rotation) equals the per-voxel reference on a depth-1 grid.
    @Test func bilinearRowMatchesReference() {
        let shape = VolumeShape(depth: 1, height: 13, width: 16)
        let source = AugmentFixture.randomVolume(shape, seed: 31).voxels
        let p = AffineAugmentation.Parameters(rotationDegrees: SIMD3(0, 0, 23))
        let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: SIMD3(0.7, -1.1, 0),
                                 spacingMM: SIMD3(0.9, 1.2, 3), extents: SIMD3(16, 13, 1))
        var fast = [Float](repeating: 0, count: shape.voxelCount)
        var xs = [Float](repeating: 0, count: 16), ys = xs, zs = xs
        source.withUnsafeBufferPointer { src in
            fast.withUnsafeMutableBufferPointer { out in
                for j in 0..<13 {
                    map.fillRow(k: 0, j: j, &xs, &ys, &zs)
                    Resampler.bilinearRow(src.baseAddress!, shape: shape, xs: xs, ys: ys, fill: -2, out: out.baseAddress! + j * 16)
                }
            }
        }
        let reference = Resampler.resampleReference(.init(source: source, interpolation: .linear, fill: -2), shape: shape) { _, j, i in
            let base = map.a.apply(SIMD3(0, Double(j), 0)) + map.b
            let fi = Float(i)
            return SIMD3(Double(Float(base.x) + fi * Float(map.a[0, 0])), Double(Float(base.y) + fi * Float(map.a[1, 0])), 0)
        }
        #expect(Approx.maxAbsDifference(fast, reference) < 2e-5)
        #expect(fast.contains(-2))
    }

    /// Cubic B-spline weights are a partition of unity and give a constant field for constant control values.
    @Test func bSplineWeightsSumToOne() {
        for f in stride(from: Float(0), through: 1, by: 0.125) {
            let w = BSplineField.weights(f)
            #expect(abs(w.sum() - 1) < 1e-6 && w.min() >= 0)
        }
        let shape = VolumeShape(depth: 6, height: 7, width: 8)
        let values: [Float] = (0..<(4 * 5 * 6)).flatMap { _ -> [Float] in [1.5, -2, 0.5] }
        let field = BSplineField(controlPoints: [6, 5, 4], valuesMM: values, shape: shape, spacingMM: SIMD3(0.5, 1, 2))
        var xs = [Float](repeating: 0, count: 8), ys = xs, zs = xs
        field.fillRow(k: 3, j: 2, &xs, &ys, &zs)
        for i in 0..<8 {
            #expect(abs(xs[i] - (Float(i) + 3)) < 1e-5 && abs(ys[i] - 0) < 1e-5 && abs(zs[i] - 3.25) < 1e-5)
        }
    }

    /// The padded blur keeps a constant volume constant (no rim from zero padding) and equals the direct
    /// convolution of (x − pad) plus pad.
    @Test func paddedBlurMatchesDirectConvolution() {
        let shape = VolumeShape(depth: 7, height: 9, width: 11)
        let constant = [Float](repeating: -1000, count: shape.voxelCount)
        let kernels = PaddedBlur.kernels(sigmaMM: SIMD3(1.5, 1, 2), spacingMM: SIMD3(1, 1, 1.5))
        #expect(Approx.maxAbsDifference(PaddedBlur.blur(constant, shape: shape, kernels: kernels), constant) < 1e-3)
        let v = AugmentFixture.randomVolume(shape, seed: 4).voxels
        let pad = Float(IntensityStatistics.borderMean(v, shape: shape))
        let reference = GaussianBlur3D.blurReference(v.map { $0 - pad }, shape: shape, kernels: kernels).map { $0 + pad }
        #expect(Approx.maxAbsDifference(PaddedBlur.blur(v, shape: shape, kernels: kernels), reference) < 1e-5)
    }

    /// Statistics are exact or accumulated in Double per fixed block.
    @Test func statistics() {
        let v: [Float] = (0..<100_003).map { Float($0 % 17) - 3 }
        #expect(IntensityStatistics.range(v) == -3...13)
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        #expect(Approx.isClose(IntensityStatistics.mean(v), mean, rtol: 1e-12))
    }

    /// Low resolution with factor 1 and no antialias is the identity; a linear ramp survives any factor (linear
    /// interpolation of a line is exact), away from the far end where the last sample is held.
    @Test func lowResolutionKernel() {
        let n = 40
        var line = (0..<n).map { Float($0) * 0.5 + 2 }
        let original = line
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { scratch.deallocate() }
        line.withUnsafeMutableBufferPointer { LowResolutionAugmentation.degrade($0.baseAddress!, scratch: scratch, count: n, factor: 1, kernel: [1]) }
        #expect(line == original)
        line.withUnsafeMutableBufferPointer { LowResolutionAugmentation.degrade($0.baseAddress!, scratch: scratch, count: n, factor: 3, kernel: [1]) }
        for q in 0..<37 { #expect(abs(line[q] - original[q]) < 1e-4) }
    }

    /// The FFT round trip through the per-slice plans restores a slice to round-off.
    @Test func sliceFFTRoundTrip() {
        let shape = VolumeShape(depth: 3, height: 12, width: 10)
        let v = AugmentFixture.randomVolume(shape, seed: 8).voxels
        let fft = SliceFFT(height: 12, width: 10)
        let out = fft.transformSlices(v, depth: 3, spectra: 1) { _, slice, out, b in
            b.real.update(from: slice, count: 120)
            fft.forward(b.real, b.spectra[0])
            fft.inverse(b.spectra[0], out)
        }
        #expect(Approx.maxAbsDifference(out, v) < 1e-5)
    }
}

import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedKernels
@testable import MedSynthesis

/// The vectorised kernels behind the augmentation speed-ups, each against its plain reference.
@Suite struct AugmentFastKernelTests {
    /// The eight-lane Box–Muller sampler agrees with its Double reference (same words, exact formula) to Float
    /// rounding — |fast − reference| ≤ 2e-6·(1 + |reference|) for every value over 2¹⁸ pairs and three seeds —
    /// so the polynomials, the root and the bit tricks (uniforms from mantissas, octant symmetries) are right.
    @Test func normalVectorsMatchReference() {
        for seed: UInt64 in [1, 2, 77] {
            var fast = NormalVectorStream(seededBy: SeededGenerator(seed: seed))
            var reference = NormalVectorStreamReference(seededBy: SeededGenerator(seed: seed))
            var worst = 0.0
            for _ in 0..<(1 << 15) {
                let (a, b) = fast.nextPair(), (x, y) = reference.nextPair()
                for q in 0..<8 {
                    worst = max(worst, abs(Double(a[q]) - x[q]) / (1 + abs(x[q])), abs(Double(b[q]) - y[q]) / (1 + abs(y[q])))
                }
            }
            #expect(worst <= 2e-6, "seed \(seed): largest scaled difference \(worst)")
        }
    }

    /// The sampler's output is standard normal: moments of 2²⁰ draws, no correlation within a pair, within a few standard errors, bin counts
    /// of [−4, 4] in steps of ½ against Φ (χ² with 16 bins), and tail frequencies beyond 3.5 and 4.
    @Test func normalVectorsAreStandardNormal() {
        var stream = NormalVectorStream(seededBy: SeededGenerator(seed: 2024))
        let draws = 1 << 17
        var s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0
        var bins = [Int](repeating: 0, count: 16), beyond35 = 0, beyond4 = 0
        var cross = 0.0   // Σ z₁z₂ over the pairs: the two halves of a pair are uncorrelated
        for _ in 0..<(draws / 2) {
            let (z1, z2) = stream.nextPair()
            for q in 0..<8 { cross += Double(z1[q]) * Double(z2[q]) }
            for q in 0..<16 {
                let x = Double(q < 8 ? z1[q] : z2[q - 8])
                s1 += x; s2 += x * x; s3 += x * x * x; s4 += x * x * x * x
                let b = Int(((x + 4) * 2).rounded(.down))
                if (0..<16).contains(b) { bins[b] += 1 }
                if abs(x) > 3.5 { beyond35 += 1 }
                if abs(x) > 4 { beyond4 += 1 }
            }
        }
        let n = Double(8 * draws)
        #expect(abs(s1 / n) < 4 / n.squareRoot())                       // sd of the mean: 1/√n
        #expect(abs(s2 / n - 1) < 4 * (2 / n).squareRoot())              // sd of the variance: √(2/n)
        #expect(abs(s3 / n) < 4 * (15 / n).squareRoot())                 // sd of the third moment: √(15/n)
        #expect(abs(s4 / n - 3) < 4 * (96 / n).squareRoot())             // sd of the fourth moment: √(96/n)
        #expect(abs(cross / (n / 2)) < 4 / (n / 2).squareRoot())          // sd of the mean product: 1/√(n/2)
        func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        var chi2 = 0.0
        for b in 0..<16 {
            let lo = Double(b) / 2 - 4
            let expected = (phi(lo + 0.5) - phi(lo)) * n
            chi2 += (Double(bins[b]) - expected) * (Double(bins[b]) - expected) / expected
        }
        #expect(chi2 < 40, "χ² = \(chi2) with 15 degrees of freedom (p < 0.001 above 37.7)")
        let tail35 = 2 * (1 - phi(3.5)) * n, tail4 = 2 * (1 - phi(4)) * n
        #expect(abs(Double(beyond35) - tail35) < 5 * tail35.squareRoot(), "|z| > 3.5: \(beyond35), expected \(tail35)")
        #expect(abs(Double(beyond4) - tail4) < 5 * tail4.squareRoot() + 2, "|z| > 4: \(beyond4), expected \(tail4)")
    }

    /// The blur's row accumulation (32 columns at a time, then 8, then single columns) equals the plain
    /// per-column loop bit for bit, for widths that exercise every part and tap counts from 1 to 13.
    @Test func accumulateMatchesReference() {
        var g = SeededGenerator(seed: 3)
        for width in [1, 7, 8, 31, 32, 45, 77, 256] {
            for taps in [1, 3, 7, 13] {
                let rows = (0..<taps).map { _ in (0..<width).map { _ in Float(g.uniform(-500, 1500)) } }
                let weights = (0..<taps).map { _ in Float(g.uniform(0, 1)) }
                var fast = [Float](repeating: .nan, count: width), reference = fast
                VoxelPointers.withBaseAddresses(rows) { p in
                    fast.withUnsafeMutableBufferPointer { out in
                        PaddedBlur.accumulate(taps: taps, width: width, out: out.baseAddress!) { (weights[$0], p[$0]) }
                    }
                    reference.withUnsafeMutableBufferPointer { out in
                        PaddedBlur.accumulateReference(taps: taps, width: width, out: out.baseAddress!) { (weights[$0], p[$0]) }
                    }
                }
                #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "width \(width), \(taps) taps")
            }
        }
    }

    /// The padded blur on a grid wide enough for the 32-column path equals the direct convolution.
    @Test func paddedBlurWideGridMatchesDirectConvolution() {
        let shape = VolumeShape(depth: 6, height: 9, width: 70)
        let v = AugmentFixture.randomVolume(shape, seed: 9).voxels
        let kernels = PaddedBlur.kernels(sigmaMM: SIMD3(2, 1.2, 1), spacingMM: SIMD3(1, 1, 1))
        let pad = Float(IntensityStatistics.borderMean(v, shape: shape))
        let reference = GaussianBlur3D.blurReference(v.map { $0 - pad }, shape: shape, kernels: kernels).map { $0 + pad }
        #expect(Approx.maxAbsDifference(PaddedBlur.blur(v, shape: shape, kernels: kernels), reference) < 1e-5)
    }

    /// The vectorised range equals a plain scan, with the extremes at the ends, in a partial last group and
    /// with NaNs (ignored) in the data.
    @Test func rangeMatchesPlainScan() {
        var g = SeededGenerator(seed: 11)
        for count in [1, 5, 8, 9, 64, 1000, 100_003] {
            var v = (0..<count).map { _ in Float(g.uniform(-3, 7)) }
            if count > 2 {
                v[count - 1] = -9
                v[0] = 12
                v[count / 2] = .nan
            }
            let plain = v.filter { !$0.isNaN }
            let r = IntensityStatistics.range(v)
            #expect(r == plain.min()!...plain.max()!, "count \(count)")
            let block = v.withUnsafeBufferPointer { SIMDKernels.range($0.baseAddress!, count: count) }
            #expect(block.lower == r.lowerBound && block.upper == r.upperBound, "count \(count)")
        }
    }
}

/// The affine row kernel against the general per-point path.
@Suite struct AugmentAffineRowTests {
    /// Random affine maps — rotations, zoom in and out, shifts that move the volume partly or wholly out of the
    /// grid — give the same bits through `AffineRowResampler` as through `Resampler.linearRow` on the
    /// coordinates of `fillRow`, on odd and even grids.
    @Test func affineRowsMatchPerPointPath() throws {
        var g = SeededGenerator(seed: 21)
        for shape in [VolumeShape(depth: 9, height: 14, width: 23), VolumeShape(depth: 6, height: 16, width: 40)] {
            let source = AugmentFixture.randomVolume(shape, seed: 4, lo: -50, hi: 300).voxels
            for trial in 0..<40 {
                let scale = g.uniform(0.5, 1.6)
                let p = AffineAugmentation.Parameters(
                    rotationDegrees: SIMD3(g.uniform(-40, 40), g.uniform(-40, 40), g.uniform(-40, 40)),
                    scale: SIMD3(repeating: scale),
                    translationMM: trial % 5 == 4 ? SIMD3(60, 0, 0) : SIMD3(g.uniform(-8, 8), g.uniform(-8, 8), g.uniform(-4, 4)))
                let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                         spacingMM: SIMD3(1, 1.2, 2), extents: SIMD3(shape.width, shape.height, shape.depth))
                try expectSameRows(source, shape: shape, map: map, "trial \(trial)")
            }
            // Axis-aligned rows (steps of exactly 0 on two axes) and a nearly flat step.
            for rotation in [SIMD3<Double>(0, 0, 0), SIMD3(0, 0, 1e-5), SIMD3(0, 0, 90)] {
                let p = AffineAugmentation.Parameters(rotationDegrees: rotation, translationMM: SIMD3(0.3, -0.6, 0.5))
                let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                         spacingMM: SIMD3(1, 1, 1), extents: SIMD3(shape.width, shape.height, shape.depth))
                try expectSameRows(source, shape: shape, map: map, "rotation \(rotation)")
            }
        }
    }

    private func expectSameRows(_ source: [Float], shape: VolumeShape, map: VoxelAffineMap, _ what: String) throws {
        let w = shape.width
        var xs = [Float](repeating: 0, count: w), ys = xs, zs = xs
        var fast = [Float](repeating: .nan, count: w), reference = fast
        var mismatches = 0, runMismatches = 0
        source.withUnsafeBufferPointer { s in
            for k in 0..<shape.depth { for j in 0..<shape.height {
                xs.withUnsafeMutableBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in zs.withUnsafeMutableBufferPointer { z in
                    map.fillRow(k: k, j: j, x.baseAddress!, y.baseAddress!, z.baseAddress!)
                } } }
                reference.withUnsafeMutableBufferPointer {
                    Resampler.linearRow(s.baseAddress!, shape: shape, xs: xs, ys: ys, zs: zs, fill: -9, out: $0.baseAddress!)
                }
                fast.withUnsafeMutableBufferPointer {
                    AffineRowResampler.linearRow(s.baseAddress!, shape: shape, base: map.rowBase(k: k, j: j), step: map.rowStep,
                                                 fill: -9, out: $0.baseAddress!)
                }
                let base = map.rowBase(k: k, j: j)
                if AffineRowResampler.runs(base: base, step: map.rowStep, shape: shape)
                    != AffineRowResampler.exactRuns(base: base, step: map.rowStep, shape: shape) { runMismatches += 1 }
                mismatches += zip(fast, reference).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            } }
        }
        #expect(mismatches == 0, "\(what): \(mismatches) voxels differ")
        #expect(runMismatches == 0, "\(what): \(runMismatches) rows with other runs than exactRuns")
    }

    /// The one-slice (bilinear) affine rows `motion` rotates slices with equal `Resampler.bilinearRow` on the
    /// coordinates of `fillRow`, bit for bit, for rotations up to ±180° with shifts.
    @Test func bilinearAffineRowsMatchPerPointPath() {
        var g = SeededGenerator(seed: 31)
        let shape = VolumeShape(depth: 1, height: 19, width: 37)
        let source = AugmentFixture.randomVolume(shape, seed: 6, lo: -20, hi: 90).voxels
        var xs = [Float](repeating: 0, count: shape.width), ys = xs, zs = xs
        var fast = [Float](repeating: .nan, count: shape.width), reference = fast
        var mismatches = 0
        for _ in 0..<60 {
            let p = AffineAugmentation.Parameters(rotationDegrees: SIMD3(0, 0, g.uniform(-180, 180)),
                                                  translationMM: SIMD3(g.uniform(-6, 6), g.uniform(-6, 6), 0))
            let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                     spacingMM: SIMD3(1, 1.3, 1), extents: SIMD3(shape.width, shape.height, 1))
            source.withUnsafeBufferPointer { s in
                for j in 0..<shape.height {
                    xs.withUnsafeMutableBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in zs.withUnsafeMutableBufferPointer { z in
                        map.fillRow(k: 0, j: j, x.baseAddress!, y.baseAddress!, z.baseAddress!)
                    } } }
                    reference.withUnsafeMutableBufferPointer {
                        Resampler.bilinearRow(s.baseAddress!, shape: shape, xs: xs, ys: ys, fill: -4, out: $0.baseAddress!)
                    }
                    fast.withUnsafeMutableBufferPointer {
                        AffineRowResampler.bilinearRow(s.baseAddress!, shape: shape, base: map.rowBase(k: 0, j: j),
                                                       step: map.rowStep, fill: -4, out: $0.baseAddress!)
                    }
                    mismatches += zip(fast, reference).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) voxels differ")
    }

    /// The runs are exact: every point of `interior` has all neighbours inside, every point of `reach` some,
    /// and the points just outside each run fail its test.
    @Test func runsAreExact() {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            let count = 1 + Int(g.uniform(0, 300))
            let b = Float(g.uniform(-400, 400)), d = Float(g.uniform(-3, 3)) * (g.nextUnitDouble() < 0.2 ? 1e-4 : 1)
            let (lower, upper) = (Float(-1), Float(g.uniform(1, 300)))
            let run = AffineRowResampler.run(base: b, step: d, count: count, lower: lower, strictLower: true, upper: upper)
            let truth = (0..<count).filter { let v = b + Float($0) * d; return v > lower && v < upper }
            #expect(Array(run) == truth, "b \(b) d \(d) count \(count)")
        }
    }
}

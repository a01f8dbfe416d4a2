import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// The run-time choice of kernel level (`SIMDLevel`) and the promise behind it: every level computes the same
/// bits.
@Suite struct SIMDLevelTests {
    /// Levels follow the psABI flag lists: v3 needs all of its flags, v4 needs v3's too.
    @Test func levelFromFlags() {
        let v3 = Set(SIMDLevel.requiredFlags(.v3)), v4 = v3.union(SIMDLevel.requiredFlags(.v4))
        #expect(SIMDLevel.highest(supportedBy: []) == .baseline)
        #expect(SIMDLevel.highest(supportedBy: ["sse2", "avx2"]) == .baseline)
        #expect(SIMDLevel.highest(supportedBy: v3) == .v3)
        #expect(SIMDLevel.highest(supportedBy: v3.subtracting(["fma"])) == .baseline)
        #expect(SIMDLevel.highest(supportedBy: v4) == .v4)
        #expect(SIMDLevel.highest(supportedBy: v4.subtracting(["avx512vl"])) == .v3)
        // AVX-512 flags without AVX2 (impossible on real CPUs) do not skip a level.
        #expect(SIMDLevel.highest(supportedBy: Set(SIMDLevel.requiredFlags(.v4))) == .baseline)
        #expect(SIMDLevel.baseline < .v3 && .v3 < .v4)
    }

    /// MEDSYNTH_SIMD lowers the level, never raises it above the CPU's, and an unknown value is reported.
    @Test func requestedLevel() {
        var warnings: [String] = []
        #expect(SIMDLevel.resolve(request: nil, supported: .v4) { warnings.append($0) } == .v4)
        #expect(SIMDLevel.resolve(request: "x86-64", supported: .v4) { warnings.append($0) } == .baseline)
        #expect(SIMDLevel.resolve(request: "x86-64-v3", supported: .v4) { warnings.append($0) } == .v3)
        #expect(SIMDLevel.resolve(request: "x86-64-v4", supported: .v3) { warnings.append($0) } == .v3)
        #expect(warnings.isEmpty)
        #expect(SIMDLevel.resolve(request: "avx9", supported: .v3) { warnings.append($0) } == .v3)
        #expect(warnings.count == 1 && warnings[0].contains("'avx9'") && warnings[0].contains("x86-64-v3"))
        #expect(SIMDLevel.active <= SIMDLevel.supported)
    }

    /// Every level this machine supports gives the baseline's bits for the noise, gamma and range kernels,
    /// on lengths with partial last groups. (On a machine without AVX2 only the baseline runs; the test then
    /// checks nothing beyond it, which it says.)
    @Test func levelsAgreeBitForBit() {
        let levels = SIMDLevel.allCases.filter { $0 <= SIMDLevel.supported }
        var g = SeededGenerator(seed: 41)
        for count in [1, 7, 8, 15, 16, 17, 1000, 65_541] {
            let src = (0..<count).map { _ in Float(g.uniform(-200, 1800)) }
            var outputs: [SIMDLevel: [[UInt32]]] = [:]
            for level in levels {
                var gaussian = [Float](repeating: .nan, count: count), rician = gaussian, gamma = gaussian
                var range: (lower: Float, upper: Float) = (0, 0)
                src.withUnsafeBufferPointer { s in
                    let p = s.baseAddress!
                    gaussian.withUnsafeMutableBufferPointer {
                        SIMDKernels.addGaussianNoise(p, $0.baseAddress!, count: count, sigma: 7.5, seededBy: SeededGenerator(seed: 5), at: level)
                    }
                    rician.withUnsafeMutableBufferPointer {
                        SIMDKernels.addRicianNoise(p, $0.baseAddress!, count: count, sigma: 7.5, seededBy: SeededGenerator(seed: 6), at: level)
                    }
                    gamma.withUnsafeMutableBufferPointer {
                        SIMDKernels.gammaCurve(p, $0.baseAddress!, count: count, gamma: 0.8, lower: -200, span: 2000, at: level)
                    }
                    range = SIMDKernels.range(p, count: count, at: level)
                }
                #expect(!gaussian.contains { $0.isNaN } && !rician.contains { $0.isNaN } && !gamma.contains { $0.isNaN })
                outputs[level] = [gaussian.map(\.bitPattern), rician.map(\.bitPattern), gamma.map(\.bitPattern),
                                  [range.lower.bitPattern, range.upper.bitPattern]]
            }
            for level in levels.dropFirst() {
                #expect(outputs[level] == outputs[.baseline], "\(level.rawValue) differs from the baseline at count \(count)")
            }
        }
        if levels.count == 1 { print("SIMDLevelTests: only the baseline level is supported here; no other level compared") }
    }

    /// The trilinear interior kernel of the affine rows gives the same bits at every supported level, on rotated
    /// rows of random affine maps (whose interior runs the caller finds exactly).
    @Test func trilinearInteriorAgreesAcrossLevels() {
        let levels = SIMDLevel.allCases.filter { $0 <= SIMDLevel.supported }
        let shape = VolumeShape(depth: 9, height: 23, width: 61)
        let src = AugmentFixture.randomVolume(shape, seed: 12).voxels
        var g = SeededGenerator(seed: 13)
        var rows = 0
        for _ in 0..<20 {
            let p = AffineAugmentation.Parameters(rotationDegrees: SIMD3(g.uniform(-30, 30), g.uniform(-30, 30), g.uniform(-30, 30)),
                                                  scale: SIMD3(repeating: g.uniform(0.7, 1.3)),
                                                  translationMM: SIMD3(g.uniform(-4, 4), g.uniform(-4, 4), g.uniform(-2, 2)))
            let map = VoxelAffineMap(physicalInverse: p.forwardMatrix.inverse!, translationMM: p.translationMM,
                                     spacingMM: SIMD3(1, 1, 1), extents: SIMD3(shape.width, shape.height, shape.depth))
            for k in 0..<shape.depth { for j in 0..<shape.height {
                let base = map.rowBase(k: k, j: j)
                let inner = AffineRowResampler.runs(base: base, step: map.rowStep, shape: shape).interior
                guard inner.count >= 8 else { continue }
                rows += 1
                var outputs: [[UInt32]] = []
                for level in levels {
                    var out = [Float](repeating: .nan, count: shape.width)
                    let end = src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer {
                        SIMDKernels.trilinearInterior(s.baseAddress!, width: shape.width, height: shape.height, base: base,
                                                      step: map.rowStep, from: inner.lowerBound, to: inner.upperBound,
                                                      out: $0.baseAddress!, at: level)
                    } }
                    #expect(end == inner.upperBound - inner.count % 8)
                    outputs.append(out.map(\.bitPattern))
                }
                #expect(outputs.allSatisfy { $0 == outputs[0] }, "row (\(k), \(j))")
            } }
        }
        #expect(rows > 500)
    }

    /// The convolution row kernel of the blurs (`weightedRowSum`) gives, at every supported level, the bits of
    /// the plain ordered sum (`PaddedBlur.accumulateReference`), for widths around its 64- and 8-column groups
    /// and tap counts from none to many.
    @Test func weightedRowSumEqualsTheOrderedSumAtEveryLevel() {
        let levels = SIMDLevel.allCases.filter { $0 <= SIMDLevel.supported }
        var g = SeededGenerator(seed: 31)
        for width in [1, 7, 8, 9, 63, 64, 65, 71, 200, 256] { for taps in [0, 1, 2, 5, 13, 31] {
            let data = (0..<(taps * width)).map { _ in Float(g.uniform(-3000, 3000)) }
            let weights = (0..<taps).map { _ in Float(g.uniform(0, 0.4)) }
            data.withUnsafeBufferPointer { d in
                let rows = (0..<taps).map { d.baseAddress! + $0 * width }
                var expected = [Float](repeating: .nan, count: width)
                expected.withUnsafeMutableBufferPointer { out in
                    PaddedBlur.accumulateReference(taps: taps, width: width, out: out.baseAddress!) { (weights[$0], rows[$0]) }
                }
                for level in levels {
                    var out = [Float](repeating: .nan, count: width)
                    rows.withUnsafeBufferPointer { r in weights.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer {
                        SIMDKernels.weightedRowSum(rows: r.baseAddress ?? UnsafePointer(bitPattern: 8)!, weights: w.baseAddress ?? UnsafePointer(bitPattern: 4)!,
                                                   taps: taps, width: width, out: $0.baseAddress!, at: level)
                    } } }
                    #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "width \(width), \(taps) taps, \(level)")
                }
            }
        } }
    }
}

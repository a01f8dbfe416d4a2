import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct AugmentKSpaceTests {
    /// A small MR-only case: a random T1 on a 6 × 32 × 24 grid plus a CT that k-space transforms must not touch.
    static func mrCase() throws -> AugmentationCase {
        let shape = VolumeShape(depth: 6, height: 32, width: 24)
        let t1 = AugmentFixture.randomVolume(shape, seed: 12, lo: 100, hi: 900, spacingMM: SIMD3(0.9, 0.9, 2))
        let ct = AugmentFixture.randomVolume(shape, seed: 13, lo: -1000, hi: 1000, spacingMM: SIMD3(0.9, 0.9, 2), modality: .ct)
        return try AugmentationCase(images: ["T1": t1, "CT": ct])
    }

    /// Zero strength goes through the forward and inverse FFTs and gives the input back within round-off.
    @Test func zeroStrengthIsIdentity() throws {
        let c = try Self.mrCase()
        let t1 = c.images["T1"]!.voxels
        let ghost = try GhostingAugmentation().apply(.init(ghostCount: 4, intensity: 0, axis: .height, restoreFraction: 0.02), to: c)
        let spike = try SpikeAugmentation().apply(.init(spikes: [.init(kyFraction: 0.2, kxFraction: 0.1)], intensity: 0), to: c)
        let still = MotionAugmentation.Movement(startFraction: 0.3, rotationDegrees: 0, translationMM: .zero)
        let motion = try MotionAugmentation().apply(.init(movements: [still, still]), to: c)
        for out in [ghost, spike, motion] {
            #expect(Approx.maxAbsDifference(out.images["T1"]!.voxels, t1) < 1e-3 * 900)
            #expect(out.images["CT"] == c.images["CT"])
        }
    }

    /// A movement during the whole acquisition by a whole number of voxels is a circular shift of every slice (the
    /// phase ramp is exact).
    @Test func motionTranslationIsAShiftInKSpace() throws {
        let c = try Self.mrCase()
        let move = MotionAugmentation.Movement(startFraction: 0, rotationDegrees: 0, translationMM: SIMD2(2 * 0.9, -3 * 0.9))
        let out = try MotionAugmentation().apply(.init(movements: [move]), to: c)
        let a = c.images["T1"]!, b = out.images["T1"]!
        let (h, w) = (a.shape.height, a.shape.width)
        var worst: Float = 0
        for k in 0..<a.shape.depth { for j in 0..<h { for i in 0..<w {
            worst = max(worst, abs(b[k, j, i] - a[k, (j + 3) % h, (i - 2 + w) % w]))
        } } }
        #expect(worst < 0.05)
    }

    /// Motion with a rotation mid-scan changes the image but keeps its mean (the DC line is acquired once).
    @Test func motionWithRotationBlursButKeepsTheMean() throws {
        let c = AugmentFixture.augmentationCase
        let m = MotionAugmentation.Movement(startFraction: 0.6, rotationDegrees: 8, translationMM: SIMD2(3, 0))
        let out = try MotionAugmentation().apply(.init(movements: [m]), to: c)
        let before = c.images["T1"]!.voxels, after = out.images["T1"]!.voxels
        #expect(Approx.maxAbsDifference(before, after) > 10)
        #expect(Approx.isClose(IntensityStatistics.mean(after), IntensityStatistics.mean(before), rtol: 1e-3))
        #expect(out.labels == c.labels && out.images["CT"] == c.images["CT"])
    }

    /// Ghosting with the lines ky ≡ 0 (mod n), DC excepted, removed: the image loses the comb of those lines, so
    /// a point of 100 becomes 78.125 with copies of −21.875 at ±H/n rows and
    /// +3.125 elsewhere in its column, for H = 32 and n = 4 (8 comb lines of which the DC line stays).
    @Test func ghostingMakesShiftedCopies() throws {
        // One bright point in the middle of each slice of a 32 × 32 grid; n = 4 gives ghosts 8 rows away.
        let shape = VolumeShape(depth: 2, height: 32, width: 32)
        var v = Volume(shape: shape, filledWith: 0, modality: .t1)
        v[0, 16, 16] = 100
        v[1, 16, 16] = 100
        let c = try AugmentationCase(images: ["T1": v])
        let out = try GhostingAugmentation().apply(.init(ghostCount: 4, intensity: 1, axis: .height, restoreFraction: 0), to: c)
        let t = out.images["T1"]!
        #expect(abs(t[0, 16, 16] - 78.125) < 1e-3)
        #expect(abs(t[0, 24, 16] + 21.875) < 1e-3 && abs(t[0, 8, 16] + 21.875) < 1e-3 && abs(t[0, 0, 16] + 21.875) < 1e-3)
        #expect(abs(t[0, 4, 16] - 3.125) < 1e-3 && abs(t[1, 5, 3]) < 1e-3)
    }

    /// Ghosting is TorchIO's definition — the real part of the inverse DFT of the spectrum whose lines along the
    /// axis have centred index (k + ⌊N/2⌋) divisible by n, outside the restored centre, scaled by 1 − intensity —
    /// also where that set of lines is not symmetric (N/2 not a multiple of n) and at an even N's Nyquist line.
    /// The oracle is a plain Double DFT along the axis (the other axes' transforms cancel).
    @Test func ghostingIsTheRealPartOfTheModulatedSpectrum() throws {
        for (h, w) in [(10, 12), (9, 11)] {
            let shape = VolumeShape(depth: 2, height: h, width: w)
            let v = AugmentFixture.randomVolume(shape, seed: 40, lo: 100, hi: 900)
            let c = try AugmentationCase(images: ["T1": v])
            for axis in [SpatialAxis.height, .width] { for (ghosts, restore) in [(3, 0.0), (3, 0.3), (4, 0.0), (7, 0.1)] {
                let p = GhostingAugmentation.Parameters(ghostCount: ghosts, intensity: 0.7, axis: axis, restoreFraction: restore)
                let out = try GhostingAugmentation().apply(p, to: c).images["T1"]!
                let n = axis == .height ? h : w
                var worst = 0.0
                for k in 0..<shape.depth { for line in 0..<(axis == .height ? w : h) {
                    let x = (0..<n).map { Double(axis == .height ? v[k, $0, line] : v[k, line, $0]) }
                    var y = [Double](repeating: 0, count: n)
                    for f in 0..<n {
                        let s = f <= (n - 1) / 2 ? f : f - n   // signed frequency in [−⌊N/2⌋, ⌈N/2⌉)
                        let scaled = (s + n / 2) % ghosts == 0 && Double(abs(s)) > restore * Double(n) / 2
                        let gain = scaled ? 0.3 : 1.0
                        var re = 0.0, im = 0.0
                        for t in 0..<n {
                            let a = -2 * Double.pi * Double(f * t) / Double(n)
                            re += x[t] * cos(a); im += x[t] * sin(a)
                        }
                        for t in 0..<n {
                            let a = 2 * Double.pi * Double(f * t) / Double(n)
                            y[t] += gain * (re * cos(a) - im * sin(a)) / Double(n)
                        }
                    }
                    for t in 0..<n {
                        let got = Double(axis == .height ? out[k, t, line] : out[k, line, t])
                        worst = max(worst, abs(got - y[t]))
                    }
                } }
                #expect(worst < 1e-3, "\(h)x\(w) \(axis) n=\(ghosts) restore \(restore): worst \(worst)")
            } }
        }
    }

    /// Motion by translations is TorchIO's definition — the real part of the inverse DFT of the spectrum whose
    /// line ky, acquired at centred time (ky + ⌊H/2⌋)/H, carries the phase ramp of the pose held then — although
    /// lines ky and −ky lie in different poses. The oracle is a plain 2D Double DFT of each slice (odd extents,
    /// so that no Nyquist line makes the ramp of a fractional shift ambiguous).
    @Test func motionIsTheRealPartOfTheAssembledSpectrum() throws {
        let (h, w) = (9, 7)
        let shape = VolumeShape(depth: 2, height: h, width: w)
        let v = AugmentFixture.randomVolume(shape, seed: 41, lo: 100, hi: 900)
        let c = try AugmentationCase(images: ["T1": v])
        let moves = [MotionAugmentation.Movement(startFraction: 0.2, rotationDegrees: 0, translationMM: SIMD2(1.3, -0.6)),
                     MotionAugmentation.Movement(startFraction: 0.7, rotationDegrees: 0, translationMM: SIMD2(-2.1, 1.7))]
        let out = try MotionAugmentation().apply(.init(movements: moves), to: c).images["T1"]!
        func signed(_ f: Int, _ n: Int) -> Int { f <= (n - 1) / 2 ? f : f - n }
        var worst = 0.0
        for k in 0..<shape.depth {
            // X[fy][fx], then the ramped spectrum, then the real part of the inverse.
            var re = [[Double]](repeating: [Double](repeating: 0, count: w), count: h), im = re
            for fy in 0..<h { for fx in 0..<w {
                var a = 0.0, b = 0.0
                for y in 0..<h { for x in 0..<w {
                    let phase = -2 * Double.pi * (Double(fy * y) / Double(h) + Double(fx * x) / Double(w))
                    a += Double(v[k, y, x]) * cos(phase); b += Double(v[k, y, x]) * sin(phase)
                } }
                let time = Double(signed(fy, h) + h / 2) / Double(h)
                if let m = moves.lastIndex(where: { $0.startFraction <= time }) {
                    let t = moves[m].translationMM   // 1 mm voxels
                    let phase = -2 * Double.pi * (Double(signed(fx, w)) * t.x / Double(w) + Double(signed(fy, h)) * t.y / Double(h))
                    (a, b) = (a * cos(phase) - b * sin(phase), a * sin(phase) + b * cos(phase))
                }
                re[fy][fx] = a; im[fy][fx] = b
            } }
            for y in 0..<h { for x in 0..<w {
                var value = 0.0
                for fy in 0..<h { for fx in 0..<w {
                    let phase = 2 * Double.pi * (Double(fy * y) / Double(h) + Double(fx * x) / Double(w))
                    value += re[fy][fx] * cos(phase) - im[fy][fx] * sin(phase)
                } }
                worst = max(worst, abs(Double(out[k, y, x]) - value / Double(h * w)))
            } }
        }
        #expect(worst < 1e-3, "worst \(worst)")
    }

    /// A spike adds stripes of amplitude intensity × slice mean.
    @Test func spikeAddsStripesOfTheRequestedAmplitude() throws {
        let shape = VolumeShape(depth: 2, height: 16, width: 16)
        let v = Volume(shape: shape, filledWith: 10, modality: .t1)
        let c = try AugmentationCase(images: ["T1": v])
        let out = try SpikeAugmentation().apply(.init(spikes: [.init(kyFraction: 0.125, kxFraction: 0.25)], intensity: 0.5), to: c)
        let t = out.images["T1"]!
        let deviation = t.voxels.map { abs($0 - 10) }.max()!
        #expect(abs(deviation - 5) < 1e-3)
        // Stripe (ky, kx) = (2, 4): 10 + 5·cos(2π(4i/16 + 2j/16)).
        #expect(abs(t[0, 0, 0] - 15) < 1e-3 && abs(t[0, 0, 2] - 5) < 1e-3 && abs(t[0, 0, 1] - 10) < 1e-3)
    }
}

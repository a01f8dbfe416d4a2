import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Drawn parameters stay inside the configured ranges over many draws, and cover them.
@Suite struct AugmentRangeTests {
    static let geometry = AugmentationGeometry(shape: VolumeShape(depth: 24, height: 48, width: 48), spacingMM: SIMD3(1, 1, 2))
    static let draws = 500

    @Test func affineDrawsStayInRange() throws {
        var s = AffineAugmentation.Settings()
        s.rotationDegrees = AxisRanges(x: ValueRange(-5, 5), y: ValueRange(0, 0), z: ValueRange(-20, 10))
        s.scale = AxisRanges(all: ValueRange(0.8, 1.2))
        s.isotropicScale = false
        s.shear = ValueRange(-0.1, 0.1)
        s.translationMM = AxisRanges(all: ValueRange(-3, 7))
        let t = try AffineAugmentation(settings: s)
        var g = SeededGenerator(seed: 1)
        var lowest = SIMD3<Double>(repeating: .infinity), highest = -lowest
        for _ in 0..<Self.draws {
            let p = t.draw(using: &g, geometry: Self.geometry)
            #expect(s.rotationDegrees.x.contains(p.rotationDegrees.x) && p.rotationDegrees.y == 0 && s.rotationDegrees.z.contains(p.rotationDegrees.z))
            for a in 0..<3 {
                #expect(s.scale.x.contains(p.scale[a]) && s.shear.contains(p.shear[a]) && s.translationMM.x.contains(p.translationMM[a]))
            }
            lowest = pointwiseMin(lowest, p.rotationDegrees)
            highest = pointwiseMax(highest, p.rotationDegrees)
        }
        #expect(lowest.x < -4.5 && highest.x > 4.5 && lowest.z < -19 && highest.z > 9)
    }

    /// rot90 draws only the configured turns (all of them, over many draws) in the configured plane; Rician noise
    /// draws σ inside its range and covers it.
    @Test func rot90AndRicianDrawsStayInRange() throws {
        var r = Rot90Augmentation.Settings()
        r.quarterTurns = [1, 3]
        let rot = try Rot90Augmentation(settings: r)
        var g = SeededGenerator(seed: 5)
        var turns = Set<Int>()
        for _ in 0..<Self.draws {
            let p = rot.draw(using: &g, geometry: Self.geometry)
            #expect(p.plane == r.plane && r.quarterTurns.contains(p.quarterTurns))
            turns.insert(p.quarterTurns)
        }
        #expect(turns == [1, 3])
        var n = RicianNoiseAugmentation.Settings()
        n.standardDeviation = ValueRange(2, 9)
        let rician = try RicianNoiseAugmentation(settings: n)
        var lo = Double.infinity, hi = -Double.infinity
        for _ in 0..<Self.draws {
            let sigma = rician.draw(using: &g, geometry: Self.geometry).standardDeviation
            #expect(n.standardDeviation.contains(sigma))
            lo = min(lo, sigma); hi = max(hi, sigma)
        }
        #expect(lo < 2.1 && hi > 8.9)
    }

    @Test func elasticDrawsStayInRangeAndLockBorders() throws {
        var s = ElasticAugmentation.Settings()
        s.controlPoints = [5, 6, 4]
        s.displacementMM = AxisRanges(x: ValueRange(-2, 2), y: ValueRange(0, 3), z: ValueRange(-1, 0))
        let t = try ElasticAugmentation(settings: s)
        var g = SeededGenerator(seed: 2)
        for _ in 0..<50 {
            let p = t.draw(using: &g, geometry: Self.geometry)
            #expect(p.displacementsMM.count == 3 * 5 * 6 * 4)
            for (n, v) in p.displacementsMM.enumerated() {
                let r = [s.displacementMM.x, s.displacementMM.y, s.displacementMM.z][n % 3]
                #expect(r.contains(Double(v)) || v == 0)
            }
            // Corner control point (0, 0, 0) is locked.
            #expect(p.displacementsMM[0..<3].allSatisfy { $0 == 0 })
        }
    }

    /// Scalar-valued transforms: each drawn value lies in its range and the draws reach both ends.
    @Test func scalarDrawsStayInRange() throws {
        var g = SeededGenerator(seed: 3)
        func check(_ values: [Double], _ r: ValueRange, _ what: String) {
            #expect(values.allSatisfy { r.contains($0) }, "\(what) outside \(r)")
            let span = r.upper - r.lower
            #expect(values.min()! < r.lower + 0.05 * span && values.max()! > r.upper - 0.05 * span, "\(what) does not cover \(r)")
        }
        let gamma = try GammaAugmentation()
        check((0..<Self.draws).map { _ in log(gamma.draw(using: &g, geometry: Self.geometry).gamma) }, gamma.settings.logGamma, "log gamma")
        let contrast = try ContrastAugmentation()
        let cp = (0..<Self.draws).map { _ in contrast.draw(using: &g, geometry: Self.geometry) }
        check(cp.map(\.contrastFactor), contrast.settings.contrastFactor, "contrast")
        check(cp.map(\.brightnessShiftFraction), contrast.settings.brightnessShiftFraction, "brightness")
        let noise = try GaussianNoiseAugmentation()
        check((0..<Self.draws).map { _ in noise.draw(using: &g, geometry: Self.geometry).standardDeviation }, noise.settings.standardDeviation, "sigma")
        let blur = try BlurAugmentation()
        check((0..<Self.draws).map { _ in blur.draw(using: &g, geometry: Self.geometry).sigmaMM.y }, blur.settings.sigmaMM.y, "blur sigma")
        let sharpen = try SharpenAugmentation()
        check((0..<Self.draws).map { _ in sharpen.draw(using: &g, geometry: Self.geometry).amount }, sharpen.settings.amount, "amount")
        let low = try LowResolutionAugmentation()
        let lp = (0..<Self.draws).map { _ in low.draw(using: &g, geometry: Self.geometry) }
        check(lp.map(\.factor), low.settings.factor, "factor")
        #expect(Set(lp.map(\.axis)) == Set(low.settings.axes))
        let bias = try BiasFieldAugmentation()
        for _ in 0..<100 {
            let f = bias.draw(using: &g, geometry: Self.geometry)
            #expect(f.degree == 3 && f.coefficients.count == 20 && f.coefficients[0] == 0)
            #expect(f.coefficients.allSatisfy { bias.settings.coefficients.contains($0) })
        }
    }

    @Test func kSpaceDrawsStayInRange() throws {
        var g = SeededGenerator(seed: 4)
        let ghost = try GhostingAugmentation()
        let gp = (0..<Self.draws).map { _ in ghost.draw(using: &g, geometry: Self.geometry) }
        #expect(Set(gp.map(\.ghostCount)) == Set(4...10))
        #expect(gp.allSatisfy { ghost.settings.intensity.contains($0.intensity) } && Set(gp.map(\.axis)) == [.height, .width])
        var ss = SpikeAugmentation.Settings()
        ss.spikeCount = ValueRange(1, 3)
        let spike = try SpikeAugmentation(settings: ss)
        for _ in 0..<Self.draws {
            let p = spike.draw(using: &g, geometry: Self.geometry)
            #expect((1...3).contains(p.spikes.count) && ss.intensity.contains(p.intensity))
            #expect(p.spikes.allSatisfy { (-0.5..<0.5).contains($0.kyFraction) && (0...0.5).contains($0.kxFraction) })
        }
        var ms = MotionAugmentation.Settings()
        ms.movementCount = ValueRange(1, 3)
        let motion = try MotionAugmentation(settings: ms)
        for _ in 0..<Self.draws {
            let p = motion.draw(using: &g, geometry: Self.geometry)
            let starts = p.movements.map(\.startFraction)
            #expect((1...3).contains(p.movements.count) && starts == starts.sorted())
            #expect(p.movements.allSatisfy {
                ms.rotationDegrees.contains($0.rotationDegrees) && ms.translationMM.contains($0.translationMM.x)
                    && ms.translationMM.contains($0.translationMM.y)
            })
        }
        var flips = Set<[SpatialAxis]>()
        var fs = FlipAugmentation.Settings()
        fs.axes = [.width, .depth]
        let flip = try FlipAugmentation(settings: fs)
        for _ in 0..<100 { flips.insert(flip.draw(using: &g, geometry: Self.geometry).flippedAxes) }
        #expect(flips == [[], [.width], [.depth], [.width, .depth]])
    }
}

#if canImport(Glibc)
import Glibc
#endif

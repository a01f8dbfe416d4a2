import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct PhantomSignalTests {
    @Test func spinEchoMatchesHandComputedValues() {
        // PD 0.7, T1 832 ms, T2 80 ms, TR 500, TE 10: 0.7·(1 − e^(−500/832))·e^(−10/80).
        let s = MRSignalModel.spinEcho(protonDensity: 0.7, t1MS: 832, t2MS: 80,
                                       timing: SpinEchoTiming(repetitionTimeMS: 500, echoTimeMS: 10))
        #expect(Approx.isClose(s, 0.7 * (1 - exp(-500.0 / 832)) * exp(-10.0 / 80), rtol: 1e-12))
        #expect(Approx.isClose(s, 0.27905, rtol: 1e-4))
        // Full relaxation, no T2 decay: PD.
        #expect(Approx.isClose(MRSignalModel.spinEcho(protonDensity: 0.8, t1MS: 1, t2MS: 1e12,
                                                      timing: SpinEchoTiming(repetitionTimeMS: 1e6, echoTimeMS: 0)), 0.8))
    }

    @Test func nullingInversionTimeNullsTheTissue() {
        for t1 in [250.0, 900.0, 4000.0] {
            for tr in [2000.0, 9000.0] {
                let ti = MRSignalModel.nullingInversionTimeMS(t1MS: t1, repetitionTimeMS: tr)
                let s = MRSignalModel.inversionRecovery(protonDensity: 1, t1MS: t1, t2MS: 100, repetitionTimeMS: tr,
                                                        echoTimeMS: 0, inversionTimeMS: ti)
                #expect(s < 1e-12)
                // With TR ≫ T1 the null is the textbook TI = T1·ln 2.
                if tr > 8 * t1 { #expect(Approx.isClose(ti, t1 * log(2.0), rtol: 1e-3)) }
            }
        }
    }

    @Test func caseFlairNullsItsCSF() {
        let p = PhantomFixture.smallCase.parameters
        let csf = p.properties(of: .csf)
        // At the case's drawn FLAIR TR (per-case acquisition variation).
        let flair = PhantomFixture.smallSettings.applying(p.acquisition).mr.flair
        #expect(p.acquisition != nil && flair.repetitionTimeMS != HeadPhantomSettings().mr.flair.repetitionTimeMS)
        #expect(Approx.isClose(p.flairInversionTimeMS,
                               MRSignalModel.nullingInversionTimeMS(t1MS: csf.t1MS, repetitionTimeMS: flair.repetitionTimeMS)))
        #expect(p.flairInversionTimeMS > 2000 && p.flairInversionTimeMS < 3000)
    }

    @Test func biasFieldHasTheRequestedStrengthAndFastRowForm() {
        var g = SeededGenerator(seed: 8)
        let field = BiasField.draw(degree: 3, strength: 0.25, using: &g)
        #expect(field.coefficients.count == 20)
        var peak = 0.0
        for a in 0..<9 { for b in 0..<9 { for c in 0..<9 {
            peak = max(peak, abs(field.logGain(x: Double(a) / 4 - 1, y: Double(b) / 4 - 1, z: Double(c) / 4 - 1)))
        } } }
        #expect(Approx.isClose(peak, log(1.25), rtol: 1e-9))
        for (x, y, z) in [(0.3, -0.7, 0.1), (-1.0, 1.0, 0.5), (0.9, 0.2, -0.4)] {
            let r = field.rowPolynomial(y: y, z: z)
            let horner = r[0] + x * (r[1] + x * (r[2] + x * r[3]))
            #expect(Approx.isClose(horner, field.logGain(x: x, y: y, z: z), rtol: 1e-12, atol: 1e-12))
        }
        var flat = SeededGenerator(seed: 8)
        #expect(BiasField.draw(degree: 2, strength: 0, using: &flat).logGain(x: 0.5, y: 0.5, z: 0.5) == 0)
    }

    /// The cube-map lookup agrees with the directly evaluated functions at random directions, including
    /// directions on and near cube edges and corners.
    @Test func directionTableMatchesDirectEvaluation() {
        var g = SeededGenerator(seed: 21)
        let waves = GyralWave.draw(count: 12, angularFrequency: 26...34, using: &g)
        let bumps = SphericalBump.draw(count: 5, maxAmplitude: 0.05, widthRad: 0.35...0.8, using: &g)
        func direct(_ u: SIMD3<Double>) -> SIMD2<Double> {
            SIMD2(bumps.reduce(0) { $0 + $1.value(at: u) }, GyralWave.field(waves, at: u).value)
        }
        let table = DirectionTable(resolution: 128) { u in
            let d = direct(u)
            return SIMD8<Float>(Float(d.x), Float(d.y), 0, 0, 0, 0, 0, 0)
        }
        var directions: [SIMD3<Double>] = (0..<2000).map { _ in SphericalBump.randomUnitVector(using: &g) }
        directions += [SIMD3(1, 1, 0.3), SIMD3(-1, 1, -1), SIMD3(1, 0.999, 0.2), SIMD3(0, 0, -1), SIMD3(1e-9, 1, 1)]
        var worstBump = 0.0, worstGyral = 0.0
        for d in directions {
            let u = d / (d * d).sum().squareRoot()
            let looked = table.lookup(SIMD3<Float>(u * 70))
            let exact = direct(u)
            worstBump = max(worstBump, abs(Double(looked[0]) - exact.x))
            worstGyral = max(worstGyral, abs(Double(looked[1]) - exact.y))
        }
        // Bilinear error ≈ h²/8 · |f''|: tiny for the bumps, a few percent of the unit-variance gyral field.
        #expect(worstBump < 1e-3, "bump error \(worstBump)")
        #expect(worstGyral < 0.08, "gyral-field error \(worstGyral)")
    }

    /// Tissue fractions are non-negative, sum to 1, and the label map shows the dominant one.
    @Test func fractionsArePartitionsOfUnity() throws {
        let s = PhantomFixture.smallSettings
        let phantom = try HeadPhantom(settings: s)
        let model = try phantom.anatomyModel(for: PhantomFixture.smallCase.parameters)
        var g = SeededGenerator(seed: 4)
        var mixed = 0
        for _ in 0..<3000 {
            let k = Int(g.next() % UInt64(s.shape.depth)), j = Int(g.next() % UInt64(s.shape.height))
            let i = Int(g.next() % UInt64(s.shape.width))
            let f = model.tissueFractions(k: k, j: j, i: i)
            #expect(f.allSatisfy { $0 >= -1e-6 })
            #expect(abs(f.reduce(0, +) - 1) < 1e-5)
            if f.max()! < 0.999 { mixed += 1 }
            let tissue = model.dominantTissue(k: k, j: j, i: i)
            #expect(PhantomFixture.smallCase.labels[k, j, i] == tissue.label)
        }
        #expect(mixed > 0)
    }

    /// An inclusion is painted in every modality and labelled as a lesion; the anatomy around it is unchanged.
    @Test func inclusionsArePaintedCoRegistered() throws {
        let s = PhantomFixture.smallSettings
        let phantom = try HeadPhantom(settings: s)
        let parameters = phantom.drawParameters(seed: PhantomFixture.seed, index: 0)
        let model = try phantom.anatomyModel(for: parameters)
        // A 5-voxel cube of lesion in white matter near the centre, fully covering its inner 3³ voxels.
        var centre = (k: 36, j: 64, i: 80)
        search: for k in 30..<40 { for i in 70..<100 where model.dominantTissue(k: k, j: 64, i: i) == .whiteMatter
            && (-3...3).allSatisfy({ model.dominantTissue(k: k, j: 64, i: i + $0) == .whiteMatter }) {
            centre = (k, 64, i); break search
        } }
        let box = VolumeShape(depth: 5, height: 5, width: 5)
        var fractions = [Float](repeating: 0.5, count: box.voxelCount)
        for k in 1...3 { for j in 1...3 { for i in 1...3 { fractions[(k * 5 + j) * 5 + i] = 1 } } }
        let lesion = TissueProperties(ctHU: 60, protonDensity: 0.9, t1MS: 1600, t2MS: 160, suv: 1.5)
        let inclusion = PhantomInclusion(properties: lesion, originK: centre.k - 2, originJ: centre.j - 2,
                                         originI: centre.i - 2, boxShape: box, fractions: fractions)
        let plain = try phantom.render(parameters, model: model)
        let withLesion = try phantom.render(parameters, model: model, inclusions: [inclusion])
        var lesionLabels = 0
        for k in 0..<5 { for j in 0..<5 { for i in 0..<5 {
            let (kk, jj, ii) = (centre.k - 2 + k, centre.j - 2 + j, centre.i - 2 + i)
            if withLesion.labels[kk, jj, ii] == Tissue.lesion.label { lesionLabels += 1 }
        } } }
        #expect(lesionLabels >= 27)
        // The inner voxels carry the lesion's values: CT near 60 HU, T2 brighter than the white matter around.
        let innerCT = (0..<27).map { n in withLesion.ct[centre.k - 1 + n / 9, centre.j - 1 + (n / 3) % 3, centre.i - 1 + n % 3] }
        #expect(abs(PhantomFixture.mean(innerCT) - 60) < 4 * s.applying(parameters.acquisition).ct.noiseStdHU / 27.squareRoot())
        #expect(withLesion.t2[centre.k, centre.j, centre.i] > plain.t2[centre.k, centre.j, centre.i] * 1.3)
        // Far from the box nothing changes (same noise streams).
        #expect(withLesion.labels[5, 10, 10] == plain.labels[5, 10, 10])
        #expect(withLesion.t1[centre.k, centre.j, centre.i + 20] == plain.t1[centre.k, centre.j, centre.i + 20])
        // Invalid inclusions are rejected.
        var bad = inclusion
        bad.fractions[0] = 1.5
        #expect(throws: MedSynthError.self) { try phantom.render(parameters, inclusions: [bad]) }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct PhantomNoiseTests {
    /// Standard normal CDF.
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.squareRoot()) }

    @Test func zigguratNormalsHaveTheNormalDistribution() {
        var stream = NoiseStream(seededBy: SeededGenerator(seed: 99))
        let n = 2_000_000
        var sum = 0.0, sumSq = 0.0, sum4 = 0.0
        let cuts: [Double] = [-3.5, -2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 3.5]
        var below = [Int](repeating: 0, count: cuts.count)
        for _ in 0..<n {
            let z = Double(stream.nextNormal())
            sum += z; sumSq += z * z; sum4 += z * z * z * z
            for (c, cut) in cuts.enumerated() where z < cut { below[c] += 1 }
        }
        let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean) < 0.004)
        #expect(abs(variance - 1) < 0.005)
        #expect(abs(sum4 / Double(n) - 3) < 0.05)
        for (c, cut) in cuts.enumerated() {
            let p = Self.phi(cut)
            let observed = Double(below[c]) / Double(n)
            let tolerance = 5 * (p * (1 - p) / Double(n)).squareRoot() + 1e-6
            #expect(abs(observed - p) < tolerance, "P(z < \(cut)) = \(observed), expected \(p)")
        }
    }

    @Test func noiseStreamsAreReproducibleAndIndependent() {
        let root = SeededGenerator(seed: 5)
        var a = NoiseStream(seededBy: root.split(3)), b = NoiseStream(seededBy: root.split(3))
        var c = NoiseStream(seededBy: root.split(4))
        let xa = (0..<100).map { _ in a.nextNormal() }
        #expect(xa == (0..<100).map { _ in b.nextNormal() })
        #expect(xa != (0..<100).map { _ in c.nextNormal() })
    }

    @Test func ricianMeanFormulaLimits() {
        let sigma = 2.0
        #expect(Approx.isClose(RicianNoise.mean(signal: 0, sigma: sigma), sigma * (Double.pi / 2).squareRoot(), rtol: 1e-6))
        for snr in [10.0, 30.0, 300.0] {
            let a = snr * sigma
            #expect(Approx.isClose(RicianNoise.mean(signal: a, sigma: sigma), (a * a + sigma * sigma).squareRoot(), rtol: 2e-3 / snr))
        }
        #expect(RicianNoise.mean(signal: 1e6, sigma: 1).isFinite)
        // Scaled Bessel functions against known values: e^-1·I0(1) = 0.4657596, e^-1·I1(1) = 0.2079104,
        // e^-5·I0(5) = 0.1835408, e^-5·I1(5) = 0.1639722.
        #expect(Approx.isClose(RicianNoise.scaledBesselI0(1), 0.4657596, rtol: 1e-6))
        #expect(Approx.isClose(RicianNoise.scaledBesselI1(1), 0.2079104, rtol: 1e-6))
        #expect(Approx.isClose(RicianNoise.scaledBesselI0(5), 0.1835408, rtol: 1e-6))
        #expect(Approx.isClose(RicianNoise.scaledBesselI1(5), 0.1639722, rtol: 1e-6))
    }

    /// Monte Carlo means of |A + σ(z₁ + i z₂)| match the Rician mean formula across SNRs.
    @Test func ricianSamplesHaveTheRicianMean() {
        var stream = NoiseStream(seededBy: SeededGenerator(seed: 17))
        let sigma: Float = 3
        let n = 400_000
        for snr: Float in [0, 0.5, 1, 2, 4, 10] {
            let a = snr * sigma
            var sum = 0.0
            for _ in 0..<n {
                sum += Double(RicianNoise.sample(signal: a, sigma: sigma, z1: stream.nextNormal(), z2: stream.nextNormal()))
            }
            let expected = RicianNoise.mean(signal: Double(a), sigma: Double(sigma))
            // The magnitude's standard deviation is below σ·√2; 5 standard errors.
            #expect(abs(sum / Double(n) - expected) < 5 * Double(sigma) * 1.5 / Double(n).squareRoot(),
                    "SNR \(snr): mean \(sum / Double(n)) vs \(expected)")
        }
    }

    /// In the rendered images: air has Rayleigh noise of the recorded σ in MR, Gaussian noise of the configured
    /// σ in CT, and (noise-free) zero PET.
    @Test func renderedNoiseLevelsMatchTheModels() {
        let c = PhantomFixture.smallCase
        let s = PhantomFixture.smallSettings
        // Far from the head: the grid's outer corners in every slice (more than 20 voxels from any edge of the head).
        var air: [Int] = []
        let (w, h, d) = (s.shape.width, s.shape.height, s.shape.depth)
        for k in 0..<d { for j in 0..<12 { for i in 0..<12 {
            for (jj, ii) in [(j, i), (h - 1 - j, i), (j, w - 1 - i), (h - 1 - j, w - 1 - i)] {
                air.append((k * h + jj) * w + ii)
            }
        } } }
        #expect(air.allSatisfy { c.labels.voxels[$0] == Tissue.background.label })
        let n = Double(air.count)
        for (volume, sigma) in [(c.t1, c.parameters.t1NoiseSigma), (c.t2, c.parameters.t2NoiseSigma),
                                (c.flair, c.parameters.flairNoiseSigma)] {
            let mean = air.reduce(0.0) { $0 + Double(volume.voxels[$1]) } / n
            let rayleigh = sigma * (Double.pi / 2).squareRoot()
            #expect(abs(mean - rayleigh) < 5 * sigma * 0.66 / n.squareRoot(), "\(volume.modality) air mean \(mean) vs \(rayleigh)")
        }
        let ct = air.map { c.ct.voxels[$0] }
        let ctMean = PhantomFixture.mean(ct), ctStd = PhantomFixture.variance(ct).squareRoot()
        #expect(abs(ctMean + 1000) < 0.5)
        let ctSigma = s.applying(c.parameters.acquisition).ct.noiseStdHU   // the case's drawn CT noise
        #expect(abs(ctStd - ctSigma) / ctSigma < 0.03)
        #expect(air.allSatisfy { c.pet.voxels[$0] == 0 })
        #expect(c.pet.voxels.allSatisfy { $0 >= 0 })
        #expect(c.ct.voxels.allSatisfy { $0 >= Float(s.ct.minimumHU) })
    }

    /// PET noise is Poisson-like: in pure voxels of one tissue (no PSF) the variance is mean / countsPerSUV.
    @Test func petNoiseVarianceFollowsTheCountLevel() {
        let s = PhantomFixture.plainSettings
        let c = PhantomFixture.plainCase
        let pure = PhantomFixture.pureLabels(settings: s, parameters: c.parameters)
        for tissue in [Tissue.greyMatter, .whiteMatter, .skin] {
            let v = PhantomFixture.values(c.pet, where: pure, in: [tissue])
            let suv = c.parameters.properties(of: tissue).suv
            let ratio = PhantomFixture.variance(v) / (suv / s.applying(c.parameters.acquisition).pet.countsPerSUV)
            #expect(abs(ratio - 1) < 6 * (2 / Double(v.count)).squareRoot() + 0.01, "\(tissue): variance ratio \(ratio), n \(v.count)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

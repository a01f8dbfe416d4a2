import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

@Suite struct AugmentIntensityTests {
    /// Every intensity transform leaves the label map bit for bit, and a transform restricted to MR leaves CT and
    /// PET alone.
    @Test func intensityTransformsNeverTouchLabels() throws {
        let c = AugmentFixture.augmentationCase
        // Widths well above the fixture's voxel size, so that every draw visibly changes the images.
        var sharpen = SharpenAugmentation.Settings(), blur = BlurAugmentation.Settings()
        sharpen.sigmaMM = ValueRange(4, 6)
        sharpen.amount = ValueRange(0.5, 1)
        blur.sigmaMM = AxisRanges(all: ValueRange(3, 5))
        let steps: [AugmentationStep] = [
            try AugmentationStep(GammaAugmentation()), try AugmentationStep(ContrastAugmentation()),
            try AugmentationStep(GaussianNoiseAugmentation()), try AugmentationStep(RicianNoiseAugmentation()),
            try AugmentationStep(BiasFieldAugmentation()), try AugmentationStep(BlurAugmentation(settings: blur)),
            try AugmentationStep(SharpenAugmentation(settings: sharpen)), try AugmentationStep(LowResolutionAugmentation()),
            try AugmentationStep(GhostingAugmentation()), try AugmentationStep(SpikeAugmentation()),
            try AugmentationStep(MotionAugmentation()),
        ]
        let mrOnly: Set = ["ricianNoise", "biasField", "ghosting", "spike", "motion"]
        var g = SeededGenerator(seed: 99)
        for step in steps {
            let p = step.draw(using: &g, geometry: c.geometry)
            let out = try step.apply(p, to: c)
            let labelsKept = out.labels == c.labels, t1Changed = out.images["T1"] != c.images["T1"]
            #expect(labelsKept, "\(step.name) changed the labels")
            #expect(t1Changed, "\(step.name) did not change T1: \(p)")
            if mrOnly.contains(step.name) {
                let othersKept = out.images["CT"] == c.images["CT"] && out.images["PET"] == c.images["PET"]
                #expect(othersKept, "\(step.name) touched CT/PET")
            }
        }
    }

    /// Gaussian noise has the drawn σ (in HU for CT), per image streams differ, and the mean stays.
    @Test func gaussianNoiseHasTheDrawnSigma() throws {
        let c = AugmentFixture.augmentationCase
        var s = GaussianNoiseAugmentation.Settings()
        s.modalities = [.ct, .t1]
        let t = try GaussianNoiseAugmentation(settings: s)
        let out = try t.apply(.init(standardDeviation: 12, noiseSeed: 5), to: c)
        let d = zip(out.images["CT"]!.voxels, c.images["CT"]!.voxels).map { Double($0 - $1) }
        let mean = d.reduce(0, +) / Double(d.count)
        let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
        #expect(abs(mean) < 0.3 && abs(sd - 12) < 0.3)
        let d1 = zip(out.images["T1"]!.voxels, c.images["T1"]!.voxels).map { $0 - $1 }
        #expect(Array(d1.prefix(100)) != d.prefix(100).map(Float.init))
        #expect(out.images["T2"] == c.images["T2"])
    }

    /// Gamma 1, contrast 1 with no shift, and a flat bias field are identities (contrast within round-off).
    @Test func neutralParametersAreIdentity() throws {
        let c = AugmentFixture.augmentationCase
        #expect(try GammaAugmentation().apply(.init(gamma: 1), to: c) == c)
        #expect(try BiasFieldAugmentation().apply(BiasField(degree: 3, coefficients: [Double](repeating: 0, count: 20)), to: c) == c)
        let contrast = try ContrastAugmentation().apply(.init(contrastFactor: 1, brightnessShiftFraction: 0), to: c)
        #expect(Approx.maxAbsDifference(contrast.images["CT"]!.voxels, c.images["CT"]!.voxels) < 1e-3)
        #expect(try SharpenAugmentation().apply(.init(sigmaMM: 1, amount: 0), to: c) == c)
        #expect(try BlurAugmentation().apply(.init(sigmaMM: .zero), to: c) == c)
    }

    /// Gamma keeps each image's range; the bias field multiplies by exp(P) at every voxel.
    @Test func gammaKeepsRangeAndBiasFieldIsMultiplicative() throws {
        let c = AugmentFixture.augmentationCase
        let out = try GammaAugmentation().apply(.init(gamma: 1.3), to: c)
        let r0 = IntensityStatistics.range(c.images["CT"]!.voxels), r1 = IntensityStatistics.range(out.images["CT"]!.voxels)
        #expect(abs(r0.lowerBound - r1.lowerBound) < 1e-2 && abs(r0.upperBound - r1.upperBound) < 1e-1)
        var g = SeededGenerator(seed: 4)
        let bias = try BiasFieldAugmentation()
        let field = bias.draw(using: &g, geometry: c.geometry)
        let b = try bias.apply(field, to: c)
        let t1 = c.images["T1"]!, bt1 = b.images["T1"]!
        let shape = t1.shape
        for (k, j, i) in [(3, 10, 20), (12, 30, 25), (20, 24, 40)] {
            func n(_ v: Int, _ e: Int) -> Double { 2 * Double(v) / Double(e - 1) - 1 }
            let gain = field.gain(x: n(i, shape.width), y: n(j, shape.height), z: n(k, shape.depth))
            #expect(Approx.isClose(Double(bt1[k, j, i]), Double(t1[k, j, i]) * gain, rtol: 1e-4, atol: 1e-3))
        }
    }
}

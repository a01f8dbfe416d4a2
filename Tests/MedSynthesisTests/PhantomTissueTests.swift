import Testing
import MedCore
import MedIO
@testable import MedSynthesis

@Suite struct PhantomTissueTests {
    @Test func everyAnatomicalTissueIsPresentAndNoLesion() {
        for c in [PhantomFixture.smallCase, PhantomFixture.fineCase] {
            let labels = Set(c.labels.voxels.map { Int($0) })
            for tissue in Tissue.anatomical {
                #expect(labels.contains(tissue.rawValue), "no \(tissue) voxel in the default case on \(c.labels.shape)")
            }
            #expect(!labels.contains(Tissue.lesion.rawValue))
            #expect(labels.isSubset(of: Set(Tissue.allCases.map(\.rawValue))))
        }
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyTissueIsPresentInOtherCases(index: Int) throws {
        let c = try HeadPhantom(settings: PhantomFixture.smallSettings).makeCase(seed: 77, index: index)
        let labels = Set(c.labels.voxels.map { Int($0) })
        for tissue in Tissue.anatomical {
            #expect(labels.contains(tissue.rawValue), "case \(index): no \(tissue) voxel")
        }
    }

    @Test func labelMapHasPlausibleVolumes() {
        // Counts in mm³ for the default-size head: brain ≈ 1–1.7 L, CSF and ventricles a small share.
        let s = PhantomFixture.fineSettings
        let voxelMM3 = s.spacingMM.x * s.spacingMM.y * s.spacingMM.z
        var volumeML = [Double](repeating: 0, count: Tissue.allCases.count)
        for v in PhantomFixture.fineCase.labels.voxels { volumeML[Int(v)] += voxelMM3 / 1000 }
        let brain = volumeML[Tissue.greyMatter.rawValue] + volumeML[Tissue.whiteMatter.rawValue]
            + volumeML[Tissue.deepGreyMatter.rawValue]
        #expect(brain > 900 && brain < 1900, "brain \(brain) mL")
        let gmShare = volumeML[Tissue.greyMatter.rawValue] / brain
        #expect(gmShare > 0.2 && gmShare < 0.6, "grey-matter share \(gmShare)")
        #expect(volumeML[Tissue.ventricles.rawValue] > 3 && volumeML[Tissue.ventricles.rawValue] < 120)
        #expect(volumeML[Tissue.deepGreyMatter.rawValue] > 10 && volumeML[Tissue.deepGreyMatter.rawValue] < 80)
    }

    /// Every drawn value at the extremes of the default ranges keeps the promised MR orderings, so they hold for
    /// every case, not only for the seeds tested. Signals are monotone in PD, T1 and T2, so the box corners bound them.
    @Test func mrOrderingsHoldAtEveryCornerOfTheDefaultRanges() {
        let s = HeadPhantomSettings()
        func corners(_ t: Tissue) -> [TissueProperties] {
            let r = s.tissues[t]
            var out: [TissueProperties] = []
            for pd in [r.protonDensity.lowerBound, r.protonDensity.upperBound] {
                for t1 in [r.t1MS.lowerBound, r.t1MS.upperBound] {
                    for t2 in [r.t2MS.lowerBound, r.t2MS.upperBound] {
                        out.append(TissueProperties(ctHU: 0, protonDensity: pd, t1MS: t1, t2MS: t2, suv: 0))
                    }
                }
            }
            return out
        }
        func range(_ t: Tissue, _ signal: (TissueProperties) -> Double) -> ClosedRange<Double> {
            let v = corners(t).map(signal)
            return v.min()!...v.max()!
        }
        let t1w = { (p: TissueProperties) in
            MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: s.mr.t1Weighted)
        }
        let t2w = { (p: TissueProperties) in
            MRSignalModel.spinEcho(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS, timing: s.mr.t2Weighted)
        }
        #expect(range(.whiteMatter, t1w).lowerBound > range(.greyMatter, t1w).upperBound)
        #expect(range(.greyMatter, t1w).lowerBound > range(.csf, t1w).upperBound)
        #expect(range(.csf, t2w).lowerBound > range(.greyMatter, t2w).upperBound)
        #expect(range(.greyMatter, t2w).lowerBound > range(.whiteMatter, t2w).upperBound)
        // FLAIR: whatever CSF T1 a case draws, its nulling TI leaves every CSF draw darker than any WM or GM draw.
        let csfT1 = s.tissues[.csf].t1MS
        for t1 in [csfT1.lowerBound, csfT1.upperBound] {
            let ti = MRSignalModel.nullingInversionTimeMS(t1MS: t1, repetitionTimeMS: s.mr.flair.repetitionTimeMS)
            let flair = { (p: TissueProperties) in
                MRSignalModel.inversionRecovery(protonDensity: p.protonDensity, t1MS: p.t1MS, t2MS: p.t2MS,
                                                repetitionTimeMS: s.mr.flair.repetitionTimeMS,
                                                echoTimeMS: s.mr.flair.echoTimeMS, inversionTimeMS: ti)
            }
            #expect(range(.csf, flair).upperBound < range(.whiteMatter, flair).lowerBound)
            #expect(range(.csf, flair).upperBound < range(.greyMatter, flair).lowerBound)
        }
    }

    /// Medians of pure voxels (tissue fraction ≥ 0.999) fall inside each tissue's documented range in every modality;
    /// means match the drawn value through the forward model. Bias and PSF are off here (`plainSettings`).
    @Test func pureTissueIntensitiesMatchTheDocumentedRanges() {
        let s = PhantomFixture.plainSettings
        let c = PhantomFixture.plainCase
        let p = c.parameters
        let pure = PhantomFixture.pureLabels(settings: s, parameters: p)
        let mr = s.applying(p.acquisition).mr
        for tissue in Tissue.anatomical {
            let ranges = s.tissues[tissue]
            let drawn = p.properties(of: tissue)
            let ct = PhantomFixture.values(c.ct, where: pure, in: [tissue])
            #expect(ct.count >= 30, "only \(ct.count) pure \(tissue) voxels")
            guard ct.count >= 30 else { continue }
            let n = Double(ct.count)
            // CT: median within the HU range (air is clamped at −1024, so allow the noise there).
            let ctMedian = Double(PhantomFixture.median(ct))
            let ctTolerance = 4 * s.applying(p.acquisition).ct.noiseStdHU / n.squareRoot() + 0.5
            #expect(ctMedian >= ranges.ctHU.lowerBound - ctTolerance && ctMedian <= ranges.ctHU.upperBound + ctTolerance,
                    "\(tissue) CT median \(ctMedian) outside \(ranges.ctHU)")
            #expect(abs(ctMedian - drawn.ctHU) < ctTolerance, "\(tissue) CT median \(ctMedian) vs drawn \(drawn.ctHU)")

            // PET (no blur): median within the SUV range; noise σ² = mean/counts.
            let pet = PhantomFixture.values(c.pet, where: pure, in: [tissue])
            let petMedian = Double(PhantomFixture.median(pet))
            let petSigma = s.applying(p.acquisition).pet.noiseStdSUV(meanSUV: drawn.suv)
            let petTolerance = 4 * petSigma / n.squareRoot() + 1e-3
            #expect(petMedian >= ranges.suv.lowerBound - petTolerance && petMedian <= ranges.suv.upperBound + petTolerance,
                    "\(tissue) PET median \(petMedian) outside \(ranges.suv)")

            // MR: the signal range spanned by the PD/T1/T2 ranges, widened by the Rician noise.
            let sequences: [(Volume, Double, (TissueProperties) -> Double)] = [
                (c.t1, p.t1NoiseSigma, { MRSignalModel.spinEcho(protonDensity: $0.protonDensity, t1MS: $0.t1MS, t2MS: $0.t2MS, timing: mr.t1Weighted) }),
                (c.t2, p.t2NoiseSigma, { MRSignalModel.spinEcho(protonDensity: $0.protonDensity, t1MS: $0.t1MS, t2MS: $0.t2MS, timing: mr.t2Weighted) }),
                (c.flair, p.flairNoiseSigma, {
                    MRSignalModel.inversionRecovery(protonDensity: $0.protonDensity, t1MS: $0.t1MS, t2MS: $0.t2MS,
                                                    repetitionTimeMS: mr.flair.repetitionTimeMS, echoTimeMS: mr.flair.echoTimeMS,
                                                    inversionTimeMS: p.flairInversionTimeMS)
                }),
            ]
            for (volume, sigma, signal) in sequences {
                var lo = Double.infinity, hi = -Double.infinity
                for pd in [ranges.protonDensity.lowerBound, ranges.protonDensity.upperBound] {
                    for t1 in [ranges.t1MS.lowerBound, ranges.t1MS.upperBound] {
                        for t2 in [ranges.t2MS.lowerBound, ranges.t2MS.upperBound] {
                            let v = mr.receiverGain * signal(TissueProperties(ctHU: 0, protonDensity: pd, t1MS: t1, t2MS: t2, suv: 0))
                            lo = min(lo, v); hi = max(hi, v)
                        }
                    }
                }
                let values = PhantomFixture.values(volume, where: pure, in: [tissue])
                let median = Double(PhantomFixture.median(values))
                #expect(median >= lo - 2 * sigma && median <= hi + 2 * sigma,
                        "\(tissue) \(volume.modality) median \(median) outside \(lo)...\(hi) ± 2σ (σ \(sigma))")
                // The mean equals the Rician mean of the drawn tissue's noise-free signal.
                let expected = RicianNoise.mean(signal: mr.receiverGain * signal(drawn), sigma: sigma)
                let mean = PhantomFixture.mean(values)
                #expect(abs(mean - expected) < 5 * sigma / n.squareRoot() + 1e-3 * expected,
                        "\(tissue) \(volume.modality) mean \(mean) vs Rician mean \(expected)")
            }
        }
    }

    /// The contrast orderings hold in a default case (bias field and PSF on), in pure voxels (tissue fraction
    /// ≥ 0.999); MR values are divided by the recorded bias field first. Cortical bone is thinner than these voxels,
    /// so it is compared through its labelled voxels.
    @Test func contrastOrderingsHold() {
        let s = PhantomFixture.fineSettings
        let c = PhantomFixture.fineCase
        let pure = PhantomFixture.pureLabels(settings: s, parameters: c.parameters)
        let labelled = c.labels.voxels.map { Int($0) }
        func corrected(_ v: Volume) -> Volume {
            var out = v
            let (w, h, d) = (s.shape.width, s.shape.height, s.shape.depth)
            for k in 0..<d { for j in 0..<h { for i in 0..<w {
                let g = c.parameters.biasField.gain(x: 2 * Double(i) / Double(w - 1) - 1, y: 2 * Double(j) / Double(h - 1) - 1,
                                                    z: 2 * Double(k) / Double(d - 1) - 1)
                out[k, j, i] = Float(Double(v[k, j, i]) / g)
            } } }
            return out
        }
        func med(_ v: Volume, _ tissues: [Tissue], mask: [Int]? = nil) -> Float {
            PhantomFixture.median(PhantomFixture.values(v, where: mask ?? pure, in: tissues))
        }
        let t1 = corrected(c.t1), t2 = corrected(c.t2), flair = corrected(c.flair)
        let fluid: [Tissue] = [.csf, .ventricles]
        #expect(med(t1, [.whiteMatter]) > med(t1, [.greyMatter]))
        #expect(med(t1, [.greyMatter]) > med(t1, fluid))
        #expect(med(t2, fluid) > med(t2, [.greyMatter]))
        #expect(med(t2, [.greyMatter]) > med(t2, [.whiteMatter]))
        #expect(med(flair, fluid) < med(flair, [.whiteMatter]))
        #expect(med(flair, fluid) < med(flair, [.greyMatter]))
        #expect(med(c.ct, [.corticalBone], mask: labelled) > med(c.ct, [.skin]) + 500)
        #expect(med(c.ct, [.skin]) > med(c.ct, [.fat]))
        #expect(med(c.ct, [.greyMatter]) > med(c.ct, [.whiteMatter]))
        #expect(med(c.pet, [.greyMatter]) > med(c.pet, [.whiteMatter]))
        #expect(med(c.pet, [.whiteMatter]) > med(c.pet, [.ventricles]))
        // CT and T1 order bone/fat/brain differently: fat is darkest in CT and brightest in T1.
        #expect(med(t1, [.fat]) > med(t1, [.whiteMatter]))
        #expect(med(c.ct, [.fat]) < med(c.ct, fluid))
    }
}

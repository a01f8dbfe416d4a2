import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Per-case acquisition variation: drawn within the configured factors around the settings, recorded in the case
/// parameters, used by rendering, and absent (fixed settings) in records and settings from before it existed.
@Suite struct PhantomAcquisitionTests {
    /// Forty cases draw their acquisitions inside the ranges, differently, from their own stream (the anatomy,
    /// tissue, bias and noise draws are the same as without variation).
    @Test func drawsStayInTheirRangesAndVary() throws {
        let s = PhantomFixture.smallSettings
        let v = try #require(s.acquisitionVariation)
        let phantom = try HeadPhantom(settings: s)
        var fixed = s
        fixed.acquisitionVariation = nil
        let plain = try HeadPhantom(settings: fixed)
        func inside(_ x: Double, _ base: Double, _ r: ClosedRange<Double>) -> Bool {
            x >= base * r.lowerBound * (1 - 1e-12) && x <= base * r.upperBound * (1 + 1e-12)
        }
        var seen = Set<Double>()
        for index in 0..<40 {
            let p = phantom.drawParameters(seed: 11, index: index)
            let a = try #require(p.acquisition)
            #expect(inside(a.ctNoiseStdHU, s.ct.noiseStdHU, v.ctNoiseFactor))
            #expect(inside(a.t1Weighted.repetitionTimeMS, s.mr.t1Weighted.repetitionTimeMS, v.mrRepetitionTimeFactor))
            #expect(inside(a.t2Weighted.echoTimeMS, s.mr.t2Weighted.echoTimeMS, v.mrEchoTimeFactor))
            #expect(inside(a.flairRepetitionTimeMS, s.mr.flair.repetitionTimeMS, v.mrRepetitionTimeFactor))
            #expect(inside(a.mrNoiseFractionOfWhiteMatter, s.mr.noiseFractionOfWhiteMatter, v.mrNoiseFactor))
            #expect(inside(a.petPSFFWHMMM, s.pet.psfFWHMMM, v.petResolutionFactor))
            #expect(inside(a.petCountsPerSUV, s.pet.countsPerSUV, v.petCountsFactor))
            // One protocol per case: T1w, T2w and FLAIR share the TR factor.
            #expect(abs(a.t1Weighted.repetitionTimeMS / s.mr.t1Weighted.repetitionTimeMS
                        - a.flairRepetitionTimeMS / s.mr.flair.repetitionTimeMS) < 1e-12)
            // FLAIR's TI nulls CSF at the drawn TR; the T1w noise σ follows the drawn noise fraction and timing.
            let csf = p.tissues[Tissue.csf.rawValue], wm = p.tissues[Tissue.whiteMatter.rawValue]
            #expect(p.flairInversionTimeMS == MRSignalModel.nullingInversionTimeMS(t1MS: csf.t1MS, repetitionTimeMS: a.flairRepetitionTimeMS))
            let t1Signal = MRSignalModel.spinEcho(protonDensity: wm.protonDensity, t1MS: wm.t1MS, t2MS: wm.t2MS, timing: a.t1Weighted)
            #expect(abs(p.t1NoiseSigma - a.mrNoiseFractionOfWhiteMatter * s.mr.receiverGain * t1Signal) < 1e-9 * p.t1NoiseSigma)
            seen.insert(a.ctNoiseStdHU)
            // The other draws do not depend on the variation.
            let q = plain.drawParameters(seed: 11, index: index)
            #expect(q.acquisition == nil && q.anatomy == p.anatomy && q.tissues == p.tissues && q.biasField == p.biasField
                    && q.noiseSeed == p.noiseSeed)
        }
        #expect(seen.count == 40)
        // `.none` draws the settings themselves.
        var still = s
        still.acquisitionVariation = AcquisitionVariation.none
        let a = try #require(try HeadPhantom(settings: still).drawParameters(seed: 11, index: 3).acquisition)
        #expect(s.applying(a) == s)
    }

    /// Rendering uses the case's acquisition: the same case rendered with its record's acquisition removed (the
    /// fixed settings) differs, and equals a phantom without variation rendering the same draws.
    @Test func renderingUsesTheDrawnAcquisition() throws {
        let s = PhantomFixture.smallSettings
        let phantom = try HeadPhantom(settings: s)
        let p = phantom.drawParameters(seed: 11, index: 2)
        var withoutRecord = p
        withoutRecord.acquisition = nil
        var fixed = s
        fixed.acquisitionVariation = nil
        let varied = try phantom.render(p)
        let plain = try phantom.render(withoutRecord)
        #expect(varied.ct.voxels != plain.ct.voxels && varied.pet.voxels != plain.pet.voxels)
        #expect(plain.ct.voxels == (try HeadPhantom(settings: fixed).render(withoutRecord)).ct.voxels)
        #expect(varied.labels.voxels == plain.labels.voxels)
    }

    /// Records and settings written before the variation existed decode with it absent, and bad ranges or
    /// recorded values are refused with the field named.
    @Test func oldRecordsDecodeAndBadValuesAreRefused() throws {
        let s = PhantomFixture.smallSettings
        let p = try HeadPhantom(settings: s).drawParameters(seed: 11, index: 0)
        func strip(_ value: some Encodable, _ key: String) throws -> Data {
            var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
            #expect(object[key] != nil)
            object[key] = nil
            return try JSONSerialization.data(withJSONObject: object)
        }
        #expect(try JSONDecoder().decode(HeadPhantomCaseParameters.self, from: strip(p, "acquisition")).acquisition == nil)
        #expect(try JSONDecoder().decode(HeadPhantomSettings.self, from: strip(s, "acquisitionVariation")).acquisitionVariation == nil)

        var bad = s
        bad.acquisitionVariation?.mrEchoTimeFactor = 1...60
        #expect(throws: MedSynthError.self) { try bad.validate() }
        do { try bad.validate() } catch let e as MedSynthError { #expect("\(e)".contains("mrEchoTimeFactor")) }
        bad = s
        bad.acquisitionVariation?.ctNoiseFactor = 0...1
        do { try bad.validate(); Issue.record("a zero factor was accepted") } catch let e as MedSynthError { #expect("\(e)".contains("ctNoiseFactor")) }
        var record = p
        record.acquisition?.petCountsPerSUV = -.infinity
        do { try record.validate(); Issue.record("negative counts were accepted") } catch let e as MedSynthError { #expect("\(e)".contains("petCountsPerSUV")) }
    }
}

/// `HeadPhantomSettings.overriding(withYAML:)`, what `medsynth phantom --settings` reads.
@Suite struct PhantomSettingsFileTests {
    /// The committed example overrides exactly the keys it states.
    @Test func committedExampleOverridesOnlyItsKeys() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Configs/phantom-acquisition.yaml")
        let s = try HeadPhantomSettings.overriding(withYAML: String(contentsOf: url, encoding: .utf8), source: url.path)
        let d = HeadPhantomSettings()
        #expect(s.ct.noiseStdHU == 14 && s.ct.minimumHU == d.ct.minimumHU)
        #expect(s.mr.t1Weighted == SpinEchoTiming(repetitionTimeMS: 450, echoTimeMS: 12))
        #expect(s.mr.flair.repetitionTimeMS == 8500 && s.mr.flair.inversionTimeMS == nil && s.mr.receiverGain == d.mr.receiverGain)
        #expect(s.pet.psfFWHMMM == 6.5 && s.pet.countsPerSUV == 25 && s.pet.kernelRadiusSigmas == d.pet.kernelRadiusSigmas)
        #expect(s.acquisitionVariation?.petCountsFactor == 0.8...1.25)
        #expect(s.tissues == d.tissues && s.anatomy == d.anatomy && s.shape == d.shape)
    }

    @Test func nullsEmptyFilesAndOptionalKeys() throws {
        #expect(try HeadPhantomSettings.overriding(withYAML: "", source: "e.yaml") == HeadPhantomSettings())
        let off = try HeadPhantomSettings.overriding(withYAML: "acquisitionVariation: null\nmr: {flair: {inversionTimeMS: 2400}}", source: "o.yaml")
        #expect(off.acquisitionVariation == nil && off.mr.flair.inversionTimeMS == 2400)
        let json = try HeadPhantomSettings.overriding(withYAML: #"{"pet": {"countsPerSUV": 0}}"#, source: "j.json")
        #expect(json.pet.countsPerSUV == 0)
    }

    /// Mistakes are one error naming the file and the key.
    @Test(arguments: [
        ("mr: {t1Weigthed: {repetitionTimeMS: 600}}", "mr.t1Weigthed"),
        ("ct: {noiseStdHU: loud}", "ct.noiseStdHU"),
        ("pet: {psfFWHMMM: -2}", "pet.psfFWHMMM"),
        ("acquisitionVariation: {mrEchoTimeFactor: [1, 80]}", "mrEchoTimeFactor"),
        ("- just\n- a list", "expected a mapping"),
        ("mr: {t1Weighted: [1, 2", "cannot be parsed"),
    ])
    func mistakesNameTheFileAndKey(yaml: String, mentioning: String) {
        do {
            _ = try HeadPhantomSettings.overriding(withYAML: yaml, source: "bad.yaml")
            Issue.record("accepted: \(yaml)")
        } catch let e as MedSynthError {
            #expect("\(e)".contains("bad.yaml") && "\(e)".contains(mentioning), "\(e)")
        } catch {
            Issue.record("not a MedSynthError: \(error)")
        }
    }
}

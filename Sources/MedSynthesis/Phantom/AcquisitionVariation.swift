import MedCore

/// Per-case variation of the acquisition: each phantom case draws factors, uniformly from these ranges, on the
/// CT, MR and PET settings of `HeadPhantomSettings` (which stay the centre of the variation), as real datasets
/// mix scanners and protocols. Factors keep a disabled setting disabled (0 HU noise, 0 mm PSF, 0 counts stay 0).
/// A range of 1...1 fixes that setting; `AcquisitionVariation.none` fixes them all.
///
/// The defaults give, around the default settings: CT noise 6–12 HU; T1w TR 425–575 ms, TE 8.5–11.5 ms; T2w
/// TR 4250–5750 ms, TE 85–115 ms; FLAIR TR 7650–10350 ms, TE 102–138 ms (TI still nulls the case's CSF at its
/// drawn TR); MR noise 2–5 % of white matter; PET PSF 4–6 mm FWHM; PET counts 24–60 per SUV.
public struct AcquisitionVariation: Codable, Sendable, Equatable {
    /// Factor on `ct.noiseStdHU`.
    public var ctNoiseFactor: ClosedRange<Double> = 0.75...1.5
    /// Factor on the repetition time of each MR sequence (drawn once per case, shared by T1w, T2w and FLAIR: one
    /// scanner's protocol).
    public var mrRepetitionTimeFactor: ClosedRange<Double> = 0.85...1.15
    /// Factor on the echo time of each MR sequence (drawn once per case).
    public var mrEchoTimeFactor: ClosedRange<Double> = 0.85...1.15
    /// Factor on `mr.noiseFractionOfWhiteMatter`.
    public var mrNoiseFactor: ClosedRange<Double> = (2.0 / 3)...(5.0 / 3)
    /// Factor on `pet.psfFWHMMM`.
    public var petResolutionFactor: ClosedRange<Double> = 0.8...1.2
    /// Factor on `pet.countsPerSUV`.
    public var petCountsFactor: ClosedRange<Double> = 0.6...1.5

    /// The default variation.
    public init() {}

    /// No variation: every case uses the settings as they are.
    public static let none: AcquisitionVariation = {
        var v = AcquisitionVariation()
        v.ctNoiseFactor = 1...1
        v.mrRepetitionTimeFactor = 1...1
        v.mrEchoTimeFactor = 1...1
        v.mrNoiseFactor = 1...1
        v.petResolutionFactor = 1...1
        v.petCountsFactor = 1...1
        return v
    }()

    /// The ranges by name, for checks and messages.
    var named: [(String, ClosedRange<Double>)] {
        [("ctNoiseFactor", ctNoiseFactor), ("mrRepetitionTimeFactor", mrRepetitionTimeFactor),
         ("mrEchoTimeFactor", mrEchoTimeFactor), ("mrNoiseFactor", mrNoiseFactor),
         ("petResolutionFactor", petResolutionFactor), ("petCountsFactor", petCountsFactor)]
    }

    /// Checks the ranges against the settings they vary: factors positive and finite, TE < TR for every draw, a
    /// fixed FLAIR TI below the shortest TR, MR noise below 100 %.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the range and its value.
    public func validate(mr: MRAcquisitionSettings) throws {
        for (name, range) in named where !(range.lowerBound > 0 && range.upperBound.isFinite && range.upperBound <= 10) {
            throw MedSynthError(.invalidArgument, "acquisitionVariation.\(name)", "is \(range); expected factors within (0, 10]")
        }
        let tr = mrRepetitionTimeFactor.lowerBound, te = mrEchoTimeFactor.upperBound
        let sequences = [("t1Weighted", mr.t1Weighted.repetitionTimeMS, mr.t1Weighted.echoTimeMS),
                         ("t2Weighted", mr.t2Weighted.repetitionTimeMS, mr.t2Weighted.echoTimeMS),
                         ("flair", mr.flair.repetitionTimeMS, mr.flair.echoTimeMS)]
        for (name, repetition, echo) in sequences where !(echo * te < repetition * tr) {
            throw MedSynthError(.invalidArgument, "acquisitionVariation.mrEchoTimeFactor",
                                "is \(mrEchoTimeFactor) with mrRepetitionTimeFactor \(mrRepetitionTimeFactor): \(name) TE up to \(echo * te) ms reaches its shortest TR \(repetition * tr) ms; expected TE < TR")
        }
        if let ti = mr.flair.inversionTimeMS, !(ti < mr.flair.repetitionTimeMS * tr) {
            throw MedSynthError(.invalidArgument, "acquisitionVariation.mrRepetitionTimeFactor",
                                "is \(mrRepetitionTimeFactor): the FLAIR TR falls to \(mr.flair.repetitionTimeMS * tr) ms, below the fixed TI \(ti) ms")
        }
        guard mr.noiseFractionOfWhiteMatter * mrNoiseFactor.upperBound < 1 else {
            throw MedSynthError(.invalidArgument, "acquisitionVariation.mrNoiseFactor",
                                "is \(mrNoiseFactor): MR noise up to \(mr.noiseFractionOfWhiteMatter * mrNoiseFactor.upperBound) of white matter; expected below 1")
        }
    }

    /// Draws one case's acquisition from `settings` (the centre) and these ranges, in a fixed order.
    func draw(around settings: HeadPhantomSettings, using g: inout SeededGenerator) -> CaseAcquisition {
        func factor(_ r: ClosedRange<Double>) -> Double { r.lowerBound == r.upperBound ? r.lowerBound : g.uniform(r.lowerBound, r.upperBound) }
        let ct = factor(ctNoiseFactor), tr = factor(mrRepetitionTimeFactor), te = factor(mrEchoTimeFactor)
        let noise = factor(mrNoiseFactor), fwhm = factor(petResolutionFactor), counts = factor(petCountsFactor)
        let mr = settings.mr
        return CaseAcquisition(
            ctNoiseStdHU: settings.ct.noiseStdHU * ct,
            t1Weighted: SpinEchoTiming(repetitionTimeMS: mr.t1Weighted.repetitionTimeMS * tr, echoTimeMS: mr.t1Weighted.echoTimeMS * te),
            t2Weighted: SpinEchoTiming(repetitionTimeMS: mr.t2Weighted.repetitionTimeMS * tr, echoTimeMS: mr.t2Weighted.echoTimeMS * te),
            flairRepetitionTimeMS: mr.flair.repetitionTimeMS * tr, flairEchoTimeMS: mr.flair.echoTimeMS * te,
            mrNoiseFractionOfWhiteMatter: mr.noiseFractionOfWhiteMatter * noise,
            petPSFFWHMMM: settings.pet.psfFWHMMM * fwhm, petCountsPerSUV: settings.pet.countsPerSUV * counts)
    }
}

/// The acquisition one phantom case was rendered with (drawn by `AcquisitionVariation`), as provenance records it
/// under `acquisition` in the case parameters. The FLAIR TI is the case's `flairInversionTimeMS`.
public struct CaseAcquisition: Codable, Sendable, Equatable {
    /// CT noise σ (HU).
    public var ctNoiseStdHU: Double
    /// T1w spin-echo timing.
    public var t1Weighted: SpinEchoTiming
    /// T2w spin-echo timing.
    public var t2Weighted: SpinEchoTiming
    /// FLAIR repetition time (ms).
    public var flairRepetitionTimeMS: Double
    /// FLAIR echo time (ms).
    public var flairEchoTimeMS: Double
    /// Rician noise σ as a fraction of each sequence's noise-free white-matter signal.
    public var mrNoiseFractionOfWhiteMatter: Double
    /// PET point-spread function FWHM (mm).
    public var petPSFFWHMMM: Double
    /// PET counts per voxel and SUV.
    public var petCountsPerSUV: Double

    /// Checks a record read from a file.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the bad value.
    func validate() throws {
        func fail(_ what: String, _ value: Any, _ expected: String) -> MedSynthError {
            MedSynthError(.invalidArgument, "case parameters acquisition", "\(what) is \(value); expected \(expected)")
        }
        guard ctNoiseStdHU >= 0, ctNoiseStdHU.isFinite else { throw fail("ctNoiseStdHU", ctNoiseStdHU, "a finite value >= 0") }
        for (name, r, e) in [("t1Weighted", t1Weighted.repetitionTimeMS, t1Weighted.echoTimeMS),
                             ("t2Weighted", t2Weighted.repetitionTimeMS, t2Weighted.echoTimeMS),
                             ("flair", flairRepetitionTimeMS, flairEchoTimeMS)] where !(r > 0 && r.isFinite && e >= 0 && e < r) {
            throw fail(name, "TR \(r) ms, TE \(e) ms", "TR > 0 and 0 <= TE < TR")
        }
        guard mrNoiseFractionOfWhiteMatter >= 0, mrNoiseFractionOfWhiteMatter < 1 else {
            throw fail("mrNoiseFractionOfWhiteMatter", mrNoiseFractionOfWhiteMatter, "0 <= fraction < 1")
        }
        guard petPSFFWHMMM >= 0, petPSFFWHMMM.isFinite else { throw fail("petPSFFWHMMM", petPSFFWHMMM, "a finite value >= 0") }
        guard petCountsPerSUV >= 0, petCountsPerSUV.isFinite else { throw fail("petCountsPerSUV", petCountsPerSUV, "a finite value >= 0") }
    }
}

extension HeadPhantomSettings {
    /// These settings with a case's drawn acquisition in place of the fixed CT noise, MR timings and noise, and
    /// PET resolution and counts; unchanged for nil (cases drawn without variation, or recorded before it).
    public func applying(_ acquisition: CaseAcquisition?) -> HeadPhantomSettings {
        guard let a = acquisition else { return self }
        var s = self
        s.ct.noiseStdHU = a.ctNoiseStdHU
        s.mr.t1Weighted = a.t1Weighted
        s.mr.t2Weighted = a.t2Weighted
        s.mr.flair.repetitionTimeMS = a.flairRepetitionTimeMS
        s.mr.flair.echoTimeMS = a.flairEchoTimeMS
        s.mr.noiseFractionOfWhiteMatter = a.mrNoiseFractionOfWhiteMatter
        s.pet.psfFWHMMM = a.petPSFFWHMMM
        s.pet.countsPerSUV = a.petCountsPerSUV
        return s
    }
}

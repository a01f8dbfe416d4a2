import MedCore

/// Timing of a spin-echo acquisition.
public struct SpinEchoTiming: Codable, Sendable, Equatable {
    /// Repetition time TR (ms).
    public var repetitionTimeMS: Double
    /// Echo time TE (ms).
    public var echoTimeMS: Double

    /// Creates a timing.
    public init(repetitionTimeMS: Double, echoTimeMS: Double) {
        self.repetitionTimeMS = repetitionTimeMS
        self.echoTimeMS = echoTimeMS
    }
}

/// Timing of an inversion-recovery (FLAIR) acquisition.
public struct InversionRecoveryTiming: Codable, Sendable, Equatable {
    /// Repetition time TR (ms).
    public var repetitionTimeMS: Double
    /// Echo time TE (ms).
    public var echoTimeMS: Double
    /// Inversion time TI (ms); nil computes, per case, the TI that nulls that case's CSF
    /// (`MRSignalModel.nullingInversionTimeMS`).
    public var inversionTimeMS: Double?

    /// Creates a timing.
    public init(repetitionTimeMS: Double, echoTimeMS: Double, inversionTimeMS: Double?) {
        self.repetitionTimeMS = repetitionTimeMS
        self.echoTimeMS = echoTimeMS
        self.inversionTimeMS = inversionTimeMS
    }
}

/// How the phantom's MR images are rendered: signal equations with the case's PD/T1/T2, a smooth multiplicative
/// receive bias field shared by the three sequences (one session, one coil), and Rician noise.
public struct MRAcquisitionSettings: Codable, Sendable, Equatable {
    /// Main field strength (tesla) the tissue table is for. Informational: the relaxation times in
    /// `HeadPhantomSettings.tissues` must be for this field (the defaults are 3 T).
    public var fieldStrengthTesla: Double = 3
    /// T1-weighted spin echo: short TR and TE.
    public var t1Weighted = SpinEchoTiming(repetitionTimeMS: 500, echoTimeMS: 10)
    /// T2-weighted spin echo: long TR and TE.
    public var t2Weighted = SpinEchoTiming(repetitionTimeMS: 5000, echoTimeMS: 100)
    /// FLAIR: long TR, TI nulling CSF (computed per case by default), long TE.
    public var flair = InversionRecoveryTiming(repetitionTimeMS: 9000, echoTimeMS: 120, inversionTimeMS: nil)
    /// Signal scale: the image value of a tissue with proton density 1 and full relaxation (arbitrary units).
    public var receiverGain: Double = 1000
    /// Rician noise σ as a fraction of each sequence's noise-free white-matter signal (before bias).
    public var noiseFractionOfWhiteMatter: Double = 0.03
    /// Bias-field strength s: the field's log is a random polynomial scaled so its largest |value| over the
    /// field of view is ln(1 + s); s = 0.2 gives gains between ≈ 0.83 and 1.2.
    public var biasFieldStrength: Double = 0.2
    /// Total degree of the bias field's log-polynomial in normalised coordinates (0…3).
    public var biasFieldDegree: Int = 3

    /// The default MR settings (3 T).
    public init() {}

    /// Checks the settings.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the bad value.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ expected: String) -> MedSynthError {
            MedSynthError(.invalidArgument, "mr.\(field)", "is \(value); expected \(expected)")
        }
        guard fieldStrengthTesla > 0 else { throw fail("fieldStrengthTesla", fieldStrengthTesla, "> 0") }
        for (name, t) in [("t1Weighted", t1Weighted), ("t2Weighted", t2Weighted)] {
            guard t.repetitionTimeMS > 0, t.echoTimeMS >= 0, t.echoTimeMS < t.repetitionTimeMS else {
                throw fail(name, "TR \(t.repetitionTimeMS) ms, TE \(t.echoTimeMS) ms", "TR > 0 and 0 <= TE < TR")
            }
        }
        guard flair.repetitionTimeMS > 0, flair.echoTimeMS >= 0, flair.echoTimeMS < flair.repetitionTimeMS else {
            throw fail("flair", "TR \(flair.repetitionTimeMS) ms, TE \(flair.echoTimeMS) ms", "TR > 0 and 0 <= TE < TR")
        }
        if let ti = flair.inversionTimeMS, !(ti > 0 && ti < flair.repetitionTimeMS) {
            throw fail("flair.inversionTimeMS", ti, "0 < TI < TR (\(flair.repetitionTimeMS) ms), or null to null CSF")
        }
        guard receiverGain > 0, receiverGain.isFinite else { throw fail("receiverGain", receiverGain, "> 0") }
        guard noiseFractionOfWhiteMatter >= 0, noiseFractionOfWhiteMatter < 1 else {
            throw fail("noiseFractionOfWhiteMatter", noiseFractionOfWhiteMatter, "0 <= fraction < 1")
        }
        guard biasFieldStrength >= 0, biasFieldStrength <= 4 else {
            throw fail("biasFieldStrength", biasFieldStrength, "0...4")
        }
        guard (0...3).contains(biasFieldDegree) else { throw fail("biasFieldDegree", biasFieldDegree, "0...3") }
    }
}

/// The MR signal equations the phantom renders with (magnitude, relative to a fully relaxed water signal).
public enum MRSignalModel {
    /// Spin echo: S = PD · (1 − exp(−TR/T1)) · exp(−TE/T2).
    /// - Parameters:
    ///   - protonDensity: relative proton density.
    ///   - t1MS: T1 (ms).
    ///   - t2MS: T2 (ms).
    ///   - timing: TR and TE (ms).
    public static func spinEcho(protonDensity: Double, t1MS: Double, t2MS: Double, timing: SpinEchoTiming) -> Double {
        protonDensity * (1 - exp(-timing.repetitionTimeMS / t1MS)) * exp(-timing.echoTimeMS / t2MS)
    }

    /// Inversion recovery (magnitude): S = PD · |1 − 2·exp(−TI/T1) + exp(−TR/T1)| · exp(−TE/T2).
    /// - Parameters:
    ///   - protonDensity: relative proton density.
    ///   - t1MS: T1 (ms).
    ///   - t2MS: T2 (ms).
    ///   - repetitionTimeMS: TR (ms).
    ///   - echoTimeMS: TE (ms).
    ///   - inversionTimeMS: TI (ms).
    public static func inversionRecovery(protonDensity: Double, t1MS: Double, t2MS: Double, repetitionTimeMS: Double,
                                         echoTimeMS: Double, inversionTimeMS: Double) -> Double {
        protonDensity * abs(1 - 2 * exp(-inversionTimeMS / t1MS) + exp(-repetitionTimeMS / t1MS))
            * exp(-echoTimeMS / t2MS)
    }

    /// The inversion time that nulls a tissue of longitudinal relaxation `t1MS`:
    /// TI = T1 · ln(2 / (1 + exp(−TR/T1))), the root of 1 − 2·exp(−TI/T1) + exp(−TR/T1) = 0.
    /// - Parameters:
    ///   - t1MS: T1 of the tissue to null (ms).
    ///   - repetitionTimeMS: TR (ms).
    public static func nullingInversionTimeMS(t1MS: Double, repetitionTimeMS: Double) -> Double {
        t1MS * log(2 / (1 + exp(-repetitionTimeMS / t1MS)))
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

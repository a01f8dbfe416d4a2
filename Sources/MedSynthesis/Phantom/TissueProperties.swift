import MedCore
import MedIO

/// The physical properties of one tissue in one phantom case: what every modality's forward model needs.
///
/// Values are drawn per case from `TissuePropertyRanges` (see docs/TISSUE_PARAMETERS.md for the sources), or
/// given directly for an inclusion (a lesion model supplies its own).
public struct TissueProperties: Codable, Sendable, Equatable {
    /// Mean CT attenuation in Hounsfield units.
    public var ctHU: Double
    /// Proton density relative to pure water (CSF ≈ 1).
    public var protonDensity: Double
    /// Longitudinal relaxation time T1 in milliseconds at the phantom's field strength.
    public var t1MS: Double
    /// Transverse relaxation time T2 in milliseconds at the phantom's field strength.
    public var t2MS: Double
    /// FDG uptake as a standardised uptake value (SUV).
    public var suv: Double

    /// Creates a property set.
    /// - Parameters:
    ///   - ctHU: mean attenuation (HU).
    ///   - protonDensity: relative proton density, 0…1.
    ///   - t1MS: T1 in ms, > 0.
    ///   - t2MS: T2 in ms, > 0.
    ///   - suv: FDG uptake (SUV), ≥ 0.
    public init(ctHU: Double, protonDensity: Double, t1MS: Double, t2MS: Double, suv: Double) {
        self.ctHU = ctHU
        self.protonDensity = protonDensity
        self.t1MS = t1MS
        self.t2MS = t2MS
        self.suv = suv
    }

    /// Checks that the values are physically meaningful.
    /// - Parameter subject: names the tissue or inclusion in the error.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the first bad value.
    public func validate(subject: String) throws {
        let checks: [(String, Double, Bool, String)] = [
            ("ctHU", ctHU, ctHU.isFinite && ctHU >= Modality.ctFloorHU, "a finite value >= -1024"),
            ("protonDensity", protonDensity, protonDensity >= 0 && protonDensity <= 1.5, "0...1.5"),
            ("t1MS", t1MS, t1MS > 0 && t1MS.isFinite, "> 0"),
            ("t2MS", t2MS, t2MS > 0 && t2MS.isFinite, "> 0"),
            ("suv", suv, suv >= 0 && suv.isFinite, ">= 0"),
        ]
        for (name, value, ok, expected) in checks where !ok {
            throw MedSynthError(.invalidArgument, subject, "\(name) is \(value); expected \(expected)")
        }
    }
}

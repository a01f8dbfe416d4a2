import MedCore

/// How the phantom's FDG PET is rendered: partial-volume-mixed tissue SUV, blurred by a Gaussian point-spread
/// function, then count-dependent noise, clamped at 0.
public struct PETAcquisitionSettings: Codable, Sendable, Equatable {
    /// Full width at half maximum of the isotropic Gaussian PSF (mm); 0 disables the blur. Clinical brain
    /// PET reconstructions have ≈ 3–6 mm.
    public var psfFWHMMM: Double = 5
    /// The blur kernel is truncated at this many standard deviations from its centre.
    public var kernelRadiusSigmas: Double = 3.5
    /// Count level: expected detected counts per voxel for an uptake of 1 SUV. The noise is Gaussian with
    /// variance mean/countsPerSUV (Poisson-like: relative noise 1/√(counts)); higher means cleaner images.
    /// 0 disables the noise.
    public var countsPerSUV: Double = 40

    /// The default PET settings.
    public init() {}

    /// Checks the settings.
    /// - Throws: `MedSynthError(.invalidArgument)` quoting the bad value.
    public func validate() throws {
        guard psfFWHMMM >= 0, psfFWHMMM.isFinite else {
            throw MedSynthError(.invalidArgument, "pet.psfFWHMMM", "is \(psfFWHMMM); expected a finite value >= 0")
        }
        guard kernelRadiusSigmas >= 1, kernelRadiusSigmas <= 10 else {
            throw MedSynthError(.invalidArgument, "pet.kernelRadiusSigmas", "is \(kernelRadiusSigmas); expected 1...10")
        }
        guard countsPerSUV >= 0, countsPerSUV.isFinite else {
            throw MedSynthError(.invalidArgument, "pet.countsPerSUV", "is \(countsPerSUV); expected a finite value >= 0")
        }
    }

    /// The standard deviation of the PET noise at a blurred uptake of `meanSUV`: √(mean / countsPerSUV).
    /// - Returns: 0 when the noise is disabled or the mean is not positive.
    @inline(__always)
    public func noiseStdSUV(meanSUV: Double) -> Double {
        guard countsPerSUV > 0, meanSUV > 0 else { return 0 }
        return (meanSUV / countsPerSUV).squareRoot()
    }
}

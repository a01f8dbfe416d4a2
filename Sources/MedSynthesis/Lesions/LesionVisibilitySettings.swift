import MedCore

/// When an inserted lesion counts as visible, and what happens to one that is not (docs/TISSUE_PARAMETERS.md,
/// "Lesion visibility").
///
/// A lesion's contrast-to-noise ratio in an image is CNR = |mean over its labelled voxels of (new − old)| / σ,
/// with σ the host's noise (`HostNoise`). A lesion is visible when its CNR reaches `minimumCNR` in at least one of
/// the images it is inserted into; a lesion below it in every image (a type isointense there) gets its
/// appearance drawn again up to `maximumRedraws` times, and is then dropped unless `allowInvisible`.
public struct LesionVisibilitySettings: Codable, Sendable, Equatable {
    /// The CNR a lesion needs in at least one image (default 1: a mean change of one noise σ; by the Rose
    /// criterion, k = CNR·√N ≥ 5, a lesion of N ≥ 25 voxels at CNR 1 is detectable).
    public var minimumCNR: Double = 1
    /// A voxel is labelled only where its own change reaches this fraction of `minimumCNR`·σ in at least one
    /// image (default 0.5: the change at coverage ½ of a lesion exactly at the threshold).
    public var voxelChangeFraction: Double = 0.5
    /// How many times an invisible lesion's appearance is drawn again before it is dropped (default 8).
    public var maximumRedraws: Int = 8
    /// Keep lesions that stay below `minimumCNR` in every image (labelled where they change an image at all, and
    /// recorded as invisible) instead of dropping them (default false).
    public var allowInvisible: Bool = false
    /// σ is never taken below this fraction of the host's mean |intensity| (default 0.01), so that a noise-free
    /// image still needs a 1 % change.
    public var noiseFloorFraction: Double = 0.01

    /// The defaults.
    public init() {}

    /// The σ a CNR is taken against: the estimated one, floored at `noiseFloorFraction` of the host's mean (and
    /// above 0), so a noise-free image cannot make every change "visible".
    func noiseSigma(estimated: Double, hostMean: Double) -> Double {
        max(estimated, noiseFloorFraction * abs(hostMean), 1e-12)
    }

    /// Checks every field.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the field, its value and what was expected.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ expected: String) -> MedSynthError {
            MedSynthError(.invalidArgument, "lesion settings", "visibility.\(field) is \(value); expected \(expected)")
        }
        guard minimumCNR >= 0, minimumCNR <= 1_000_000 else { throw fail("minimumCNR", minimumCNR, "within 0...1000000") }
        guard voxelChangeFraction >= 0, voxelChangeFraction <= 1 else {
            throw fail("voxelChangeFraction", voxelChangeFraction, "within 0...1")
        }
        guard (0...100).contains(maximumRedraws) else { throw fail("maximumRedraws", maximumRedraws, "0...100") }
        guard noiseFloorFraction >= 0, noiseFloorFraction <= 1 else {
            throw fail("noiseFloorFraction", noiseFloorFraction, "within 0...1")
        }
    }

    /// The value runs record in their signature (`lesion_visibility`): another setting is another dataset.
    public var signature: String {
        "cnr>=\(minimumCNR),voxel>=\(voxelChangeFraction),redraws=\(maximumRedraws),allow_invisible=\(allowInvisible),floor=\(noiseFloorFraction)"
    }
}

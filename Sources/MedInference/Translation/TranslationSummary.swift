import Foundation

/// What a `medsynth translate` run did: the one-line summary and the `--json` output.
public struct TranslationSummary: Codable, Sendable, Equatable {
    /// The input file.
    public var input: String
    /// The output file.
    public var output: String
    /// The checkpoint file.
    public var checkpoint: String
    /// `AtoB` or `BtoA`.
    public var direction: String
    /// The checkpoint's model (`cyclegan`, `pix2pix`, `cgan`, `regression`).
    public var model: String
    /// The input modality.
    public var inputModality: String
    /// The output modality.
    public var outputModality: String
    /// The output's unit.
    public var outputUnit: String
    /// The input's format (`NIfTI-1`, `NIfTI-2`, `PNG`, `HDF5`).
    public var format: String
    /// Axial slices translated by this run.
    public var slices: Int
    /// Datasets: cases the output holds for this run (nil for a single volume).
    public var cases: Int?
    /// Datasets: cases written by this run.
    public var casesWritten: Int?
    /// Datasets: cases that were already present (a resumed run).
    public var casesSkipped: Int?
    /// Wall time from loading the checkpoint to the written output, in seconds.
    public var seconds: Double
    /// Of which the slice-by-slice translation (normalising, network, mapping back).
    public var translateSeconds: Double
    /// `slices / seconds`.
    public var slicesPerSecond: Double

    /// "medsynth translate: in.nii.gz (CT) → out.nii.gz (T1, AtoB), 128 slices in 41.2 s, 3.11 slices/s".
    public var line: String {
        let what = cases.map { total in
            ", \(total) cases (\(casesWritten ?? 0) written now, \(casesSkipped ?? 0) already present)"
        } ?? ""
        return "medsynth translate: \(input) (\(inputModality)) → \(output) (\(outputModality) in \(outputUnit), \(direction))\(what), "
            + String(format: "%d slices in %.1f s, %.2f slices/s", slices, seconds, slicesPerSecond)
    }
}

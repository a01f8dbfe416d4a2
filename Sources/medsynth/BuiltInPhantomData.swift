import Foundation
import MedCore
import MedIO
import MedSynthesis
import MedTraining

/// The dataset files of a training run: the configured files, or the built-in phantom generated once (or found)
/// under OUTPUTS/datasets/ — the file `medsynth phantom` would write with these settings, so either command
/// resumes it. Used by `medsynth train` and `medsynth segment train`.
enum BuiltInPhantomData {
    /// The run's dataset files.
    /// - Parameters:
    ///   - files: `data.files` (each must exist).
    ///   - phantom: the built-in phantom's settings, used when `files` is empty.
    ///   - outputs: the outputs folder (`--outputs`).
    /// - Throws: `MedSynthError(.notFound)` naming a missing file; phantom and writer errors.
    static func resolve(files: [String], phantom p: PhantomDataConfig, outputs: String) throws -> [URL] {
        if !files.isEmpty {
            return try files.map { path in
                guard FileManager.default.fileExists(atPath: path) else {
                    throw MedSynthError(.notFound, path, "does not exist; data.files lists MedSynth HDF5 datasets (make one with medsynth phantom), or leave it empty for the built-in phantom")
                }
                return URL(fileURLWithPath: path)
            }
        }
        let folder = URL(fileURLWithPath: outputs).appendingPathComponent("datasets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("phantom-\(p.cases)c-\(p.shape.map(String.init).joined(separator: "x"))-seed\(p.seed)-lesions\(p.lesions).h5")
        let grid = VolumeShape(depth: p.shape[0], height: p.shape[1], width: p.shape[2])
        let (builder, configuration) = try PhantomDatasetBuilder.builtIn(cases: p.cases, shape: grid, seed: p.seed, lesions: p.lesions,
                                                                         commandLine: CaseProvenance.quotedCommandLine(CommandLine.arguments))
        _ = try DatasetRun.write(command: "phantom", to: url, configuration: configuration, caseIDs: builder.caseIDs,
                                 overwrite: false, make: builder.makeCase)
        return [url]
    }
}

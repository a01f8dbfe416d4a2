import MedCore
import MedIO

extension StrictKeyReader {
    /// A modality named by `key` (case-insensitive: `ct`, `T1`, `flair`), or `defaultValue` when absent.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and the value for an unknown name.
    func modality(_ key: String, default defaultValue: Modality) throws -> Modality {
        guard let name: String = try optional(key) else { return defaultValue }
        guard let modality = Modality(name: name), modality != .unknown else {
            throw MedSynthError(.invalidArgument, subject(key), "is '\(name)'; expected one of CT, T1, T2, FLAIR, PET, label")
        }
        return modality
    }
}

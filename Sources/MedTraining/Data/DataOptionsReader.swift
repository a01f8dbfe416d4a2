import MedCore
import MedIO

/// Reads a keyed YAML/JSON map with defaults for missing keys and rejects keys it was never asked for, so a
/// typo (`cropSise:`) is an error naming the key instead of a silent default. (MedSynthesis has the same
/// helper for augmentation settings; it is internal there, so the data options keep their own.)
///
/// ```swift
/// let r = try DataOptionsReader(decoder, what: "data options")
/// cropSize = try r.optional("cropSize")
/// try r.finish()     // throws for any key not read above
/// ```
final class DataOptionsReader {
    private let container: KeyedDecodingContainer<DataCodingKey>
    private var read: Set<String> = []
    private let what: String

    /// - Parameters:
    ///   - decoder: the decoder positioned at the map.
    ///   - what: what the map configures, for messages ("data options", "normalization").
    init(_ decoder: Decoder, what: String) throws {
        container = try decoder.container(keyedBy: DataCodingKey.self)
        self.what = what
    }

    /// Whether the map holds `key` (and marks it as known).
    func contains(_ key: String) -> Bool {
        read.insert(key)
        return container.contains(DataCodingKey(key))
    }

    /// The value of `key`, or `defaultValue` when the key is absent.
    func value<T: Decodable>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key) ?? defaultValue
    }

    /// The value of an optional `key` (absent or null gives nil). Errors from a nested map are re-thrown with
    /// the key in front of their subject (`normalizationB.upperHu`), so the message says where they are.
    func optional<T: Decodable>(_ key: String) throws -> T? {
        read.insert(key)
        do {
            return try container.decodeIfPresent(T.self, forKey: DataCodingKey(key))
        } catch let error as MedSynthError {
            throw MedSynthError(error.kind, error.subject.map { "\(key).\($0)" } ?? key, error.message)
        }
    }

    /// A modality named by `key` (case-insensitive: `ct`, `T1`, `flair`), or `defaultValue` when absent.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and the value for an unknown name.
    func modality(_ key: String, default defaultValue: Modality) throws -> Modality {
        guard let name: String = try optional(key) else { return defaultValue }
        guard let modality = Modality(name: name), modality != .unknown else {
            throw MedSynthError(.invalidArgument, key, "is '\(name)'; expected one of CT, T1, T2, FLAIR, PET, label")
        }
        return modality
    }

    /// Throws for the first key present in the map that nothing asked for.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and listing the known ones.
    func finish() throws {
        let unknown = container.allKeys.map(\.stringValue).filter { !read.contains($0) }.sorted()
        if let key = unknown.first {
            throw MedSynthError(.invalidArgument, key,
                                "is not a setting of \(what); expected one of: \(read.sorted().joined(separator: ", "))")
        }
    }
}

/// A coding key made from any string (for maps whose keys are checked by hand).
struct DataCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

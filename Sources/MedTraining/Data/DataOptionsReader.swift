import MedCore
import MedIO

/// Reads a keyed YAML/JSON map with defaults for missing keys and rejects keys it was never asked for, so a
/// typo (`cropSise:`) is an error naming the key instead of a silent default. Every error's subject is the
/// key's dotted path from the document root (`data.normalizationB.maxSUV`, from the decoder's coding path), so
/// it reads the same whether the map is decoded alone or as a section of a run configuration (`ConfigLoader`).
///
/// ```swift
/// let r = try DataOptionsReader(decoder, what: "the data options")
/// batchSize = try r.value("batchSize", default: 1)
/// try r.finish()              // throws for any key not read above
/// try r.checking { try validate() }   // validation errors get the map's path in front
/// ```
final class DataOptionsReader {
    private let container: KeyedDecodingContainer<DataCodingKey>
    private var read: Set<String> = []
    private let what: String
    /// The map's dotted path ("" at the root).
    let path: String

    /// - Parameters:
    ///   - decoder: the decoder positioned at the map.
    ///   - what: what the map configures, for messages ("the data options", "normalization").
    init(_ decoder: Decoder, what: String) throws {
        container = try decoder.container(keyedBy: DataCodingKey.self)
        path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        self.what = what
    }

    /// The dotted path of `key` in this map.
    func subject(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, or `defaultValue` when the key is absent or null.
    func value<T: Decodable>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key) ?? defaultValue
    }

    /// The value of an optional `key` (absent or null gives nil).
    func optional<T: Decodable>(_ key: String) throws -> T? {
        read.insert(key)
        return try container.decodeIfPresent(T.self, forKey: DataCodingKey(key))
    }

    /// The result of `body` on the nested map at `key`, nil when the key is absent or null.
    func nested<T>(_ key: String, _ body: (Decoder) throws -> T) throws -> T? {
        read.insert(key)
        let k = DataCodingKey(key)
        guard container.contains(k), try !container.decodeNil(forKey: k) else { return nil }
        return try body(try container.superDecoder(forKey: k))
    }

    /// A modality named by `key` (case-insensitive: `ct`, `T1`, `flair`), or `defaultValue` when absent.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and the value for an unknown name.
    func modality(_ key: String, default defaultValue: Modality) throws -> Modality {
        guard let name: String = try optional(key) else { return defaultValue }
        guard let modality = Modality(name: name), modality != .unknown else {
            throw MedSynthError(.invalidArgument, subject(key), "is '\(name)'; expected one of CT, T1, T2, FLAIR, PET, label")
        }
        return modality
    }

    /// Throws for the first key present in the map that nothing asked for.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and listing the known ones.
    func finish() throws {
        let unknown = container.allKeys.map(\.stringValue).filter { !read.contains($0) }.sorted()
        if let key = unknown.first {
            throw MedSynthError(.invalidArgument, subject(key),
                                "is not a setting of \(what); expected one of: \(read.sorted().joined(separator: ", "))")
        }
    }

    /// Runs `body` (a `validate()`), putting this map's path in front of the subject of a `MedSynthError` it
    /// throws (`batchSize` → `data.batchSize`).
    func checking(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as MedSynthError where !path.isEmpty {
            throw MedSynthError(error.kind, error.subject.map { "\(path).\($0)" } ?? path, error.message)
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

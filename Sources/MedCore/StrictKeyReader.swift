/// Reads a keyed YAML/JSON map with defaults for missing keys and rejects keys it was never asked for, so a
/// typo (`cropSise:`) is an error naming the key instead of a silent default. Every error's subject is the
/// key's dotted path from the document root (`data.normalizationB.maxSUV`, from the decoder's coding path), so
/// it reads the same whether the map is decoded alone or as a section of a run configuration (`ConfigLoader`).
///
/// ```swift
/// let r = try StrictKeyReader(decoder, what: "the data options")
/// batchSize = try r.value("batchSize", default: 1)
/// try r.finish()              // throws for any key not read above
/// try r.checking { try validate() }   // validation errors get the map's path in front
/// ```
public final class StrictKeyReader {
    private let container: KeyedDecodingContainer<AnyCodingKey>
    private var read: Set<String> = []
    private let what: String
    /// The map's dotted path ("" at the root).
    public let path: String

    /// - Parameters:
    ///   - decoder: the decoder positioned at the map.
    ///   - what: what the map configures, for messages ("the data options", "normalization").
    ///   - alsoAllowed: keys read elsewhere (a pipeline entry's `transform` and `probability`).
    public init(_ decoder: Decoder, what: String, alsoAllowed: [String] = []) throws {
        container = try decoder.container(keyedBy: AnyCodingKey.self)
        path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        self.what = what
        read = Set(alsoAllowed)
    }

    /// The dotted path of `key` in this map.
    public func subject(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, or `defaultValue` when the key is absent or null.
    public func value<T: Decodable>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key) ?? defaultValue
    }

    /// The value of an optional `key` (absent or null gives nil).
    public func optional<T: Decodable>(_ key: String) throws -> T? {
        read.insert(key)
        return try container.decodeIfPresent(T.self, forKey: AnyCodingKey(key))
    }

    /// The result of `body` on the nested map at `key`, nil when the key is absent or null.
    public func nested<T>(_ key: String, _ body: (Decoder) throws -> T) throws -> T? {
        read.insert(key)
        let k = AnyCodingKey(key)
        guard container.contains(k), try !container.decodeNil(forKey: k) else { return nil }
        return try body(try container.superDecoder(forKey: k))
    }

    /// Throws for the first key present in the map that nothing asked for.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and listing the known ones.
    public func finish() throws {
        let unknown = container.allKeys.map(\.stringValue).filter { !read.contains($0) }.sorted()
        if let key = unknown.first {
            throw MedSynthError(.invalidArgument, subject(key),
                                "is not a setting of \(what); expected one of: \(read.sorted().joined(separator: ", "))")
        }
    }

    /// Runs `body` (a `validate()`), putting this map's path in front of the subject of a `MedSynthError` it
    /// throws (`batchSize` → `data.batchSize`).
    public func checking(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as MedSynthError where !path.isEmpty {
            throw MedSynthError(error.kind, error.subject.map { "\(path).\($0)" } ?? path, error.message)
        }
    }
}

/// A coding key made from any string (for maps whose keys are checked by hand).
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}

import Foundation

/// The JSON of provenance attributes: compact, keys sorted (the same record gives the same bytes), slashes not
/// escaped, non-finite numbers as the strings "inf", "-inf", "nan".
public enum ProvenanceJSON {
    /// Encodes `value`.
    /// - Throws: the encoder's error for values JSON cannot represent.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

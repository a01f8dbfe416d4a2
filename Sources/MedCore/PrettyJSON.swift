import Foundation

/// The JSON form of every `--json` output and summary file: pretty-printed, keys sorted, non-finite numbers
/// written as the strings "inf", "-inf" and "nan" (a PSNR of identical images is infinite).
public enum PrettyJSON {
    /// Encodes `value`.
    /// - Throws: the encoder's error for values JSON cannot represent.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    /// Encodes `value` as UTF-8 bytes.
    public static func data<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}

import Foundation
import MedCore

/// A JSON value as checkpoint attributes hold it (`architecture`, `hyperparameters`, optimizer options).
///
/// Objects keep their keys in the order given, so the text written matches what
/// `scripts/convert_pth_checkpoint.py` writes with `json.dumps` (constructor-argument order, `", "` and `": "`
/// separators); parsed objects come back with their keys sorted (order carries no meaning in these attributes).
enum CheckpointJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([CheckpointJSON])
    case object([(key: String, value: CheckpointJSON)])

    static func == (a: CheckpointJSON, b: CheckpointJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A Float as the shortest decimal that reads back as the same Float (`0.0002`, not `0.000199999…`), so
    /// that a learning rate written here and read back is bit-identical, and Python shows the number it expects.
    static func float(_ value: Float) -> CheckpointJSON {
        .double(Double(value.description) ?? Double(value))
    }

    // MARK: - Writing

    /// The value as one line of JSON text. Non-finite numbers have no JSON form and are written as `null`.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            guard d.isFinite else { return "null" }
            return d.description
        case .string(let s): return CheckpointJSON.quoted(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { CheckpointJSON.quoted($0.key) + ": " + $0.value.text }.joined(separator: ", ") + "}"
        }
    }

    /// `s` as a JSON string literal (quotes, backslashes and control characters escaped; other text as is).
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: - Reading

    /// Parses JSON text.
    /// - Throws: `MedSynthError(.corrupt)` naming `subject` (the file) and `what` (the attribute).
    static func parse(_ text: String, subject: String, what: String) throws -> CheckpointJSON {
        do {
            return try JSONDecoder().decode(Decoded.self, from: Data(text.utf8)).value
        } catch {
            throw MedSynthError(.corrupt, subject, "\(what) is not valid JSON: \(CheckpointJSON.excerpt(text))")
        }
    }

    /// The members of an object, or nil for any other value.
    var objectMembers: [(key: String, value: CheckpointJSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The member `key` of an object (nil when absent or not an object).
    subscript(key: String) -> CheckpointJSON? {
        objectMembers?.first { $0.key == key }?.value
    }

    /// The first 120 characters of `text`, for messages.
    static func excerpt(_ text: String) -> String {
        text.count > 120 ? "'\(text.prefix(120))…'" : "'\(text)'"
    }

    /// Decodes any JSON value; booleans are not confused with numbers (JSONDecoder refuses both conversions).
    private struct Decoded: Decodable {
        let value: CheckpointJSON

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { value = .null }
            else if let b = try? container.decode(Bool.self) { value = .bool(b) }
            else if let i = try? container.decode(Int.self) { value = .int(i) }
            else if let d = try? container.decode(Double.self) { value = .double(d) }
            else if let s = try? container.decode(String.self) { value = .string(s) }
            else if let a = try? container.decode([Decoded].self) { value = .array(a.map(\.value)) }
            else {
                let members = try container.decode([String: Decoded].self)
                value = .object(members.keys.sorted().map { ($0, members[$0]!.value) })
            }
        }
    }
}

import MedCore

/// Reads a transform's settings from a keyed YAML/JSON map with defaults for missing keys, and rejects keys it
/// was never asked for, so a typo (`rotationDegree:`) is an error naming the key rather than a silent default.
///
/// ```swift
/// let r = try SettingsReader(decoder, transform: Self.name)
/// axes = try r.value("axes", default: defaults.axes)
/// try r.finish()     // throws for any key not read above
/// ```
final class SettingsReader {
    private let container: KeyedDecodingContainer<AnyCodingKey>
    private var read: Set<String>
    private let transform: String

    /// - Parameters:
    ///   - decoder: the decoder positioned at the settings map.
    ///   - transform: the transform's name, for messages.
    ///   - alsoAllowed: keys handled elsewhere (`transform`, `probability` of a pipeline entry).
    init(_ decoder: Decoder, transform: String, alsoAllowed: [String] = []) throws {
        container = try decoder.container(keyedBy: AnyCodingKey.self)
        read = Set(alsoAllowed)
        self.transform = transform
    }

    /// The value of `key`, or `defaultValue` when the key is absent.
    func value<T: Decodable>(_ key: String, default defaultValue: T) throws -> T {
        read.insert(key)
        let k = AnyCodingKey(key)
        guard container.contains(k) else { return defaultValue }
        return try container.decode(T.self, forKey: k)
    }

    /// The value of an optional `key` (absent or null gives nil).
    func optional<T: Decodable>(_ key: String) throws -> T? {
        read.insert(key)
        return try container.decodeIfPresent(T.self, forKey: AnyCodingKey(key))
    }

    /// Throws for the first key present in the map that no `value`/`optional` call asked for.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the key and listing the known ones.
    func finish() throws {
        let unknown = container.allKeys.map(\.stringValue).filter { !read.contains($0) }.sorted()
        if let key = unknown.first {
            throw MedSynthError(.invalidArgument, key,
                                "is not a setting of '\(transform)'; expected one of: \(read.sorted().joined(separator: ", "))")
        }
    }
}

/// A coding key made from any string (for maps whose keys are checked by hand).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Checks shared by the settings validators; every failure names the setting and quotes the value.
enum SettingsCheck {
    /// Fails unless `range` lies inside `allowed` (and lower ≤ upper, both finite).
    static func range(_ range: ValueRange, within allowed: ClosedRange<Double>, _ key: String) throws {
        guard range.lower.isFinite, range.upper.isFinite, range.lower <= range.upper,
              allowed.contains(range.lower), allowed.contains(range.upper) else {
            throw MedSynthError(.invalidArgument, key,
                                "is \(range); expected [lower, upper] with lower <= upper inside [\(allowed.lowerBound), \(allowed.upperBound)]")
        }
    }

    /// Fails unless every axis's range lies inside `allowed`.
    static func ranges(_ ranges: AxisRanges, within allowed: ClosedRange<Double>, _ key: String) throws {
        for (n, r) in [ranges.x, ranges.y, ranges.z].enumerated() {
            do { try range(r, within: allowed, key) } catch {
                throw MedSynthError(.invalidArgument, key,
                                    "is \(ranges) (axis \(["x", "y", "z"][n]): \(r)); expected ranges with lower <= upper inside [\(allowed.lowerBound), \(allowed.upperBound)]")
            }
        }
    }

    /// Fails unless `value` lies in `allowed`.
    static func value<T: Comparable>(_ value: T, within allowed: ClosedRange<T>, _ key: String) throws {
        guard allowed.contains(value) else {
            throw MedSynthError(.invalidArgument, key, "is \(value); expected a value in \(allowed.lowerBound)...\(allowed.upperBound)")
        }
    }

    /// Fails when the list is empty.
    static func nonEmpty<T>(_ list: [T], _ key: String) throws {
        guard !list.isEmpty else { throw MedSynthError(.invalidArgument, key, "is empty; expected at least one entry") }
    }
}

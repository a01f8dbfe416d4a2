import Foundation

/// The value of an HDF5 attribute, in the forms MedIO reads and writes.
///
/// Integer attributes of any width read as `.int`/`.ints`, floating-point ones as `.double`/`.doubles`, fixed-
/// and variable-length strings as `.string`/`.strings`. A scalar dataspace gives the single-value cases; a
/// one-dimensional (or higher, flattened) dataspace the array cases, even with one element.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    /// A scalar integer (written as little-endian int64).
    case int(Int)
    /// A scalar floating-point number (written as float64).
    case double(Double)
    /// A scalar string (written as variable-length UTF-8, which h5py reads as `str`).
    case string(String)
    /// An integer array (written as a 1-D int64 array).
    case ints([Int])
    /// A floating-point array (written as a 1-D float64 array).
    case doubles([Double])
    /// A string array (written as a 1-D variable-length UTF-8 array).
    case strings([String])
    /// A value MedIO does not interpret (compound, enum, reference…), with its type and shape, e.g. "enum[3]".
    case other(String)

    /// The most values `description` lists before eliding the rest.
    public static let describedValueCount = 6
    /// The most characters of a string `description` quotes before eliding the rest.
    public static let describedStringLength = 60

    /// A short one-line rendering for listings: `3`, `0.5`, `"CT"`, `[0.5, 0.5, 2]`, `[1, 2, 3, 4, 5, 6, … (16 values)]`.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return HDF5AttributeValue.format(v)
        case .string(let s): return HDF5AttributeValue.quote(s)
        case .ints(let a): return HDF5AttributeValue.list(a.map(String.init))
        case .doubles(let a): return HDF5AttributeValue.list(a.map(HDF5AttributeValue.format))
        case .strings(let a): return HDF5AttributeValue.list(a.map(HDF5AttributeValue.quote))
        case .other(let d): return "<\(d)>"
        }
    }

    private static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    private static func quote(_ s: String) -> String {
        let shown = s.count > describedStringLength ? String(s.prefix(describedStringLength)) + "…" : s
        return "\"" + shown.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private static func list(_ items: [String]) -> String {
        guard items.count > describedValueCount else { return "[" + items.joined(separator: ", ") + "]" }
        return "[" + items.prefix(describedValueCount).joined(separator: ", ") + ", … (\(items.count) values)]"
    }
}

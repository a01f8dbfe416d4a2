import Foundation
import MedCore

/// The arguments that determine a dataset's content, and their signature, which guards resuming: a run may
/// continue a file only when it would write the same cases.
///
/// Stored on the root group as `run_configuration` (compact JSON object, keys sorted) and `run_signature`
/// (`fnv1a64:<16 hex digits>` of that JSON). The MedSynth version and the dataset format version are part of it,
/// so a newer build that might render differently does not mix its cases with an older one's.
public struct DatasetRunConfiguration: Sendable, Equatable {
    /// Argument name → value as text (e.g. "seed" → "7", "shape" → "64 128 128").
    public var values: [String: String]

    /// Creates a configuration; `medsynth_version` and `format_version` are added.
    /// - Parameter values: the content-determining arguments (not output paths or display options).
    public init(_ values: [String: String]) {
        var v = values
        v["medsynth_version"] = MedSynthVersion.string
        v["format_version"] = String(MedSynthDataset.formatVersion)
        self.values = v
    }

    /// Creates a configuration from a builder's content-determining `values` and how the chunks are stored
    /// (`storage`, see `storageValues`).
    public init(_ values: [String: String], storage: [String: String]) {
        self.init(values.merging(storage) { own, _ in own })
    }

    /// The entries of how a dataset's chunks are compressed: they decide the stored bytes, so they are part of the
    /// run (fsync is not).
    public static func storageValues(deflateLevel: Int = HDF5VolumeStore.defaultDeflateLevel,
                                     deflateStrategy: DeflateStrategy = .runLength) -> [String: String] {
        ["deflate_level": String(deflateLevel), "deflate_strategy": deflateStrategy.rawValue]
    }

    init(stored values: [String: String]) { self.values = values }

    /// The compact JSON with sorted keys that the signature is computed over.
    public var json: String {
        let keys = values.keys.sorted()
        let body = keys.map { "\(Self.quote($0)):\(Self.quote(values[$0]!))" }.joined(separator: ",")
        return "{" + body + "}"
    }

    /// `fnv1a64:` and the 64-bit FNV-1a hash of `json` in hex.
    public var signature: String { FNV1a64.signature(of: json) }

    /// Parses a stored `run_configuration` attribute; nil when it is not a JSON object of strings.
    static func parse(_ json: String) -> DatasetRunConfiguration? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        var values: [String: String] = [:]
        for (k, v) in object {
            guard let s = v as? String else { return nil }
            values[k] = s
        }
        return DatasetRunConfiguration(stored: values)
    }

    /// "seed: 1 in the file, 2 now; cases: …" — the arguments that differ between `stored` and this run.
    func differences(from stored: DatasetRunConfiguration) -> String {
        let keys = Set(values.keys).union(stored.values.keys).sorted()
        let diffs = keys.compactMap { key -> String? in
            let old = stored.values[key], new = values[key]
            guard old != new else { return nil }
            return "\(key): \(old.map { "'\($0)'" } ?? "absent") in the file, \(new.map { "'\($0)'" } ?? "absent") now"
        }
        return diffs.joined(separator: "; ")
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

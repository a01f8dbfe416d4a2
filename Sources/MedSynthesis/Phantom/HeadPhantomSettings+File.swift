import Foundation
import MedCore
import Yams

extension HeadPhantomSettings {
    /// Settings from a YAML (or JSON, which is YAML) text that overrides some fields of `base`: mappings merge key
    /// by key, any other value (number, list, string, null) replaces the field, so a file states only what it
    /// changes — e.g. `mr: {t1Weighted: {repetitionTimeMS: 600}}` or `acquisitionVariation: null`. Keys are those
    /// of the settings' JSON in provenance (`phantom_parameters` → `phantomSettings`; docs/TISSUE_PARAMETERS.md).
    /// - Parameters:
    ///   - text: the file's content.
    ///   - source: the file's path, for messages.
    ///   - base: what the file overrides (the defaults).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `source` for YAML that cannot be parsed, a top level that
    ///   is not a mapping, an unknown key (with its dotted path and the keys allowed there), a value of the wrong
    ///   type, and settings that fail `validate()`.
    public static func overriding(_ base: HeadPhantomSettings = HeadPhantomSettings(), withYAML text: String,
                                  source: String) throws -> HeadPhantomSettings {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: text) } catch {
            throw MedSynthError(.invalidArgument, source, "cannot be parsed as YAML: \(error)")
        }
        if loaded == nil { return base }   // an empty file changes nothing
        guard let overlay = loaded as? [String: Any] else {
            throw MedSynthError(.invalidArgument, source, "holds \(type(of: loaded!)); expected a mapping of phantom settings (e.g. 'mr:' or 'acquisitionVariation:')")
        }
        let encoder = JSONEncoder()
        let baseObject = try JSONSerialization.jsonObject(with: encoder.encode(base)) as? [String: Any] ?? [:]
        let merged = merge(baseObject, overlay)
        let settings: HeadPhantomSettings
        do {
            settings = try JSONDecoder().decode(HeadPhantomSettings.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch let error as DecodingError {
            throw MedSynthError(.invalidArgument, source, describe(error))
        } catch {
            throw MedSynthError(.invalidArgument, source, "cannot be read as phantom settings: \(error)")
        }
        // A key the decoder ignored is a typo: every key of the file must be in the settings read back.
        let readBack = try JSONSerialization.jsonObject(with: encoder.encode(settings)) as? [String: Any] ?? [:]
        try checkKnown(overlay, against: readBack, path: "", source: source)
        do { try settings.validate() } catch let e as MedSynthError {
            throw MedSynthError(e.kind, source, "\(e.subject.map { "\($0) " } ?? "")\(e.message)")
        }
        return settings
    }

    /// `overlay` over `base`: mappings merged key by key, anything else replaced.
    static func merge(_ base: [String: Any], _ overlay: [String: Any]) -> [String: Any] {
        var out = base
        for (key, value) in overlay {
            if let b = base[key] as? [String: Any], let o = value as? [String: Any] { out[key] = merge(b, o) } else { out[key] = value }
        }
        return out
    }

    /// Throws for the first key of `overlay` (depth first, in sorted order) that `known` lacks, except under a
    /// null value (a nil optional is not encoded).
    static func checkKnown(_ overlay: [String: Any], against known: [String: Any], path: String, source: String) throws {
        for key in overlay.keys.sorted() {
            let here = path.isEmpty ? key : "\(path).\(key)"
            if overlay[key] is NSNull { continue }
            guard let value = known[key] else {
                throw MedSynthError(.invalidArgument, source, "has the unknown key '\(here)'; expected one of \(known.keys.sorted().joined(separator: ", "))")
            }
            if let sub = overlay[key] as? [String: Any], let subKnown = value as? [String: Any] {
                try checkKnown(sub, against: subKnown, path: here, source: source)
            }
        }
    }

    /// One line for a decoding error: the dotted key path and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let c): return "'\(path(c.codingPath))' has the wrong type; expected \(type)"
        case .valueNotFound(let type, let c): return "'\(path(c.codingPath))' is null; expected \(type)"
        case .keyNotFound(let key, let c): return "'\(path(c.codingPath + [key]))' is missing"
        case .dataCorrupted(let c): return "'\(path(c.codingPath))': \(c.debugDescription)"
        @unknown default: return "cannot be read as phantom settings: \(error)"
        }
    }
}

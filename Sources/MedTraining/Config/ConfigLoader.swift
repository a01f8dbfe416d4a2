import Foundation
import MedCore
import Yams

/// A run configuration: a Codable tree whose every field has a default (no optionals, so that the default
/// value's encoding lists every accepted key), checked by `validate()` after loading.
public protocol RunConfiguration: Codable {
    /// The configuration with every default.
    init()
    /// Throws a `MedSynthError` naming the dotted key, the value and what was expected.
    func validate() throws
}

/// A configuration as a run uses it: the values, the keys that differ from the defaults, and its YAML.
public struct ResolvedConfiguration<C: RunConfiguration> {
    /// The configuration.
    public var value: C
    /// Dotted keys whose values differ from the defaults, in document order, with the default values.
    public var nonDefaults: [(key: String, value: String, defaultValue: String)]
    /// The whole configuration as YAML, non-default keys listed in the header comment.
    public var yaml: String
}

/// Loads YAML configurations strictly: every key must be one the configuration type has, dotted command-line
/// overrides (`training.steps=500`) apply on top of the file, missing keys take their defaults, and the
/// result is validated.
///
/// ```swift
/// let resolved = try ConfigLoader.load(CycleGANRunConfig.self, file: "Configs/cyclegan-ct2t1.yaml",
///                                      overrides: ["training.steps=200"])
/// ```
public enum ConfigLoader {
    /// Loads `file` (nil: defaults only), applies `overrides` (`dotted.key=yaml-value`), validates.
    /// - Throws: `MedSynthError` naming the file and the key: unknown keys (with the closest known key), values
    ///   of the wrong kind or type, invalid YAML, and whatever `validate()` rejects.
    public static func load<C: RunConfiguration>(_ type: C.Type, file: String?, overrides: [String] = []) throws
        -> ResolvedConfiguration<C> {
        let source = file ?? "defaults"
        let text: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw MedSynthError(.notFound, file, "cannot be read; expected a YAML configuration file")
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = ""
        }
        return try load(type, yaml: text, source: source, overrides: overrides)
    }

    /// `load(_:file:overrides:)` on YAML text; `source` names it in errors.
    public static func load<C: RunConfiguration>(_ type: C.Type, yaml text: String, source: String,
                                                 overrides: [String] = []) throws -> ResolvedConfiguration<C> {
        let defaults = try flatten(try node(of: C()), source: "defaults of \(C.self)").map { (key: $0.key, node: tidy($0.node)) }
        let known = Dictionary(defaults.map { ($0.key, $0.node) }, uniquingKeysWith: { a, _ in a })
        var values = known

        func set(_ key: String, _ value: Node, from origin: String) throws {
            guard let old = known[key] else {
                let message = "is not a setting of this configuration" + suggestion(for: key, among: defaults.map(\.key))
                throw MedSynthError(.invalidArgument, "\(origin): \(key)", message)
            }
            switch (old, value) {
            case (.scalar, .scalar), (.sequence, .sequence), (.sequence, .scalar):
                values[key] = value
            default:
                throw MedSynthError(.invalidArgument, "\(origin): \(key)",
                                    "is a \(kind(value)); expected a \(kind(old)) like \(render(old))")
            }
        }

        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: text)
        } catch {
            throw MedSynthError(.invalidArgument, source, "is not valid YAML: \(error)")
        }
        if let parsed {
            guard case .mapping = parsed else {
                throw MedSynthError(.invalidArgument, source, "must be a mapping of settings, found a \(kind(parsed))")
            }
            // A key given as a mapping where a scalar is expected (or the reverse) is caught by `set`, except for
            // a scalar where a whole section is expected, which flatten reports as a leaf that is not a key.
            for (key, value) in try flatten(parsed, source: source) { try set(key, value, from: source) }
        }
        for override in overrides {
            guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
                throw MedSynthError(.invalidArgument, "--set \(override)", "expected dotted.key=value")
            }
            let key = String(override[..<eq]).trimmingCharacters(in: .whitespaces)
            let valueText = String(override[override.index(after: eq)...])
            let value = (try? Yams.compose(yaml: valueText)) ?? nil
            try set(key, value ?? Node(valueText), from: "--set")
        }

        let merged = unflatten(defaults.map { ($0.key, values[$0.key]!) })
        let yamlText = try Yams.serialize(node: merged)
        let config: C
        do {
            config = try YAMLDecoder().decode(C.self, from: yamlText)
        } catch let error as DecodingError {
            throw describe(error, source: source, values: values)
        }
        try config.validate()
        let nonDefaults = defaults.compactMap { entry -> (key: String, value: String, defaultValue: String)? in
            let now = values[entry.key]!
            return same(now, entry.node) ? nil : (entry.key, render(now), render(entry.node))
        }
        var header = "# Resolved configuration (\(source)); every setting, defaults included.\n"
        if nonDefaults.isEmpty {
            header += "# All settings are defaults.\n"
        } else {
            header += "# Non-default settings:\n"
            for n in nonDefaults { header += "#   \(n.key): \(n.value)   (default \(n.defaultValue))\n" }
        }
        return ResolvedConfiguration(value: config, nonDefaults: nonDefaults, yaml: header + yamlText)
    }

    /// Every setting of `C()` by dotted key, rendered as `RunFiles.leaves` renders a configuration text.
    static func defaultLeaves<C: RunConfiguration>(_ type: C.Type) throws -> [String: String] {
        let flat = try flatten(try node(of: C()), source: "defaults of \(C.self)")
        return Dictionary(flat.map { ($0.key, render(tidy($0.node))) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: - Node trees

    /// A non-integer numeric scalar in its shortest decimal form: "0.2" for "2e-1", and for a Float default
    /// widened to Double ("0.000199999994947575") the Float's own shortest form ("0.0002"), so that resolved
    /// configurations read as they were written; other nodes unchanged.
    static func tidy(_ node: Node) -> Node {
        guard case .scalar(let s) = node, Int(s.string) == nil, let d = Double(s.string), d.isFinite else { return node }
        // A Float setting reaches us as the Double YAML wrote for it, to 15 digits (0.001 → 0.00100000004749745):
        // when the number is that Float up to the digits written, show the Float's shortest form.
        let f = Float(d)
        return Node(abs(Double(f) - d) <= 1e-14 * abs(d) ? f.description : d.description)
    }

    /// Equal settings: the same text, or numbers of the same value (`0.2` and `2e-1`).
    static func same(_ a: Node, _ b: Node) -> Bool {
        if render(a) == render(b) { return true }
        if case .scalar(let x) = a, case .scalar(let y) = b, let dx = Double(x.string), let dy = Double(y.string) {
            return dx == dy
        }
        return false
    }

    private static func node<T: Encodable>(of value: T) throws -> Node {
        let text = try YAMLEncoder().encode(value)
        guard let n = try Yams.compose(yaml: text) else { return Node([(Node, Node)]()) }
        return n
    }

    /// Leaves (scalars and sequences) with their dotted keys, in document order.
    static func flatten(_ root: Node, source: String) throws -> [(key: String, node: Node)] {
        var out: [(key: String, node: Node)] = []
        func walk(_ node: Node, _ prefix: String) throws {
            guard case .mapping(let mapping) = node else {
                out.append((prefix, node))
                return
            }
            if mapping.isEmpty && !prefix.isEmpty { out.append((prefix, node)); return }
            for (k, v) in mapping {
                guard let name = k.string else {
                    throw MedSynthError(.invalidArgument, "\(source): \(prefix)", "has a key that is not a string")
                }
                try walk(v, prefix.isEmpty ? name : "\(prefix).\(name)")
            }
        }
        try walk(root, "")
        return out
    }

    /// The nested mapping of dotted leaves (in order).
    static func unflatten(_ leaves: [(String, Node)]) -> Node {
        final class Tree { var order: [String] = []; var leaves: [String: Node] = [:]; var children: [String: Tree] = [:] }
        let root = Tree()
        for (key, value) in leaves {
            var t = root
            let parts = key.split(separator: ".").map(String.init)
            for p in parts.dropLast() {
                if t.children[p] == nil { t.children[p] = Tree(); t.order.append(p) }
                t = t.children[p]!
            }
            t.leaves[parts.last!] = value
            t.order.append(parts.last!)
        }
        func build(_ t: Tree) -> Node {
            Node(t.order.map { name in (Node(name), t.leaves[name] ?? build(t.children[name]!)) })
        }
        return build(root)
    }

    private static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: return "single value"
        case .mapping: return "section"
        case .sequence: return "list"
        @unknown default: return "value"
        }
    }

    static func render(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return s.string
        case .sequence(let seq): return "[" + seq.map(render).joined(separator: ", ") + "]"
        case .mapping(let m): return "{" + m.map { "\(render($0.key)): \(render($0.value))" }.joined(separator: ", ") + "}"
        @unknown default: return "?"
        }
    }

    /// " (did you mean 'x'?)" for the known key nearest to `key` by edit distance, when one is close.
    private static func suggestion(for key: String, among keys: [String]) -> String {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a.lowercased()), b = Array(b.lowercased())
            var row = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in 1...max(1, b.count) where !b.isEmpty {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let last = key.split(separator: ".").last.map(String.init) ?? key
        let best = keys.min { distance(key, $0) < distance(key, $1) }
        if let best, distance(key, best) <= max(2, key.count / 3) { return " (did you mean '\(best)'?)" }
        if let sameName = keys.first(where: { $0.hasSuffix("." + last) || $0 == last }) {
            return " (did you mean '\(sameName)'?)"
        }
        let sections = Set(keys.compactMap { $0.split(separator: ".").first.map(String.init) }).sorted()
        return "; top-level sections: \(sections.joined(separator: ", "))"
    }

    private static func describe(_ error: DecodingError, source: String, values: [String: Node]) -> MedSynthError {
        func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let key = path(context.codingPath)
            let given = values[key].map(render) ?? "?"
            return MedSynthError(.invalidArgument, "\(source): \(key)", "is '\(given)'; expected a value of type \(type)")
        case let .keyNotFound(key, context):
            return MedSynthError(.invalidArgument, "\(source): \(path(context.codingPath + [key]))", "is missing")
        case let .dataCorrupted(context):
            if let inner = context.underlyingError as? MedSynthError { return inner }
            let key = path(context.codingPath)
            let given = values[key].map(render) ?? "?"
            return MedSynthError(.invalidArgument, "\(source): \(key)", "is '\(given)': \(context.debugDescription)")
        @unknown default:
            return MedSynthError(.invalidArgument, source, "\(error)")
        }
    }
}

import Foundation
import MedCore

/// What `medsynth import` reads: one row per (case, modality) image.
///
/// CSV form (`--manifest cohort.csv`): a header naming the columns `case`, `modality` and `path` (any order;
/// an optional `series` column chooses a series of a DICOM folder), then one row per image. `path` is a DICOM
/// file or folder or a NIfTI file, relative to the manifest's folder unless absolute; `case` may be empty for
/// DICOM rows, which are then grouped by study and given keyed ids. Lines starting with '#' and blank lines are
/// skipped; fields may be double-quoted (RFC 4180).
///
/// Pattern form (`--pattern "{case}/{modality}.nii.gz" --root DIR`): every file under DIR whose relative path
/// matches the pattern is a row; `{case}` and `{modality}` match one path component's text each (no '/').
public struct CohortManifest: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// The case name as written ("" when the manifest leaves it to the study's keyed id).
        public var caseName: String
        public var modality: Modality
        public var path: URL
        /// DICOM folders: the series to read (`--series` syntax), nil for the only one.
        public var series: String?
        /// Where the row came from ("cohort.csv:4"), for messages.
        public var origin: String
    }

    public var rows: [Row]
    /// A digest of the manifest's content (rows, in order): part of the import's run signature.
    public var digest: String

    /// Reads a CSV manifest.
    /// - Throws: `MedSynthError` naming the file and line: missing columns, a bad modality, a repeated
    ///   (case, modality), an empty path, or a case name that cannot be a dataset group.
    public static func read(csv url: URL) throws -> CohortManifest {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            if !FileManager.default.fileExists(atPath: url.path) { throw MedSynthError(.notFound, url.path, "no such manifest") }
            throw MedSynthError(.unreadable, url.path, "cannot read the manifest as UTF-8 text")
        }
        let base = url.deletingLastPathComponent()
        var header: [String]?
        var rows: [Row] = []
        for (n, line) in try records(text, file: url.path).enumerated() where !line.fields.isEmpty {
            let fields = line.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 1 && fields[0].isEmpty { continue }
            if fields[0].hasPrefix("#") { continue }
            let origin = "\(url.lastPathComponent):\(line.line)"
            guard let columns = header else {
                let lowered = fields.map { $0.lowercased() }
                for required in ["case", "modality", "path"] where !lowered.contains(required) {
                    throw MedSynthError(.invalidArgument, url.path,
                                        "line \(line.line): the header \(fields) has no '\(required)' column; expected case,modality,path (and optionally series)")
                }
                header = lowered
                continue
            }
            _ = n
            guard fields.count == columns.count else {
                throw MedSynthError(.invalidArgument, url.path, "line \(line.line) has \(fields.count) fields, the header \(columns.count)")
            }
            func field(_ name: String) -> String? { columns.firstIndex(of: name).map { fields[$0] } }
            let path = field("path") ?? ""
            guard !path.isEmpty else { throw MedSynthError(.invalidArgument, url.path, "line \(line.line): empty path") }
            let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            let series = field("series").flatMap { $0.isEmpty ? nil : $0 }
            rows.append(try row(case: field("case") ?? "", modality: field("modality") ?? "", path: file, series: series,
                                origin: origin, subject: url.path))
        }
        guard header != nil else { throw MedSynthError(.invalidArgument, url.path, "is empty; expected a header case,modality,path and rows") }
        return try make(rows, subject: url.path)
    }

    /// Builds a manifest from the files under `root` matching `pattern` ("{case}/{modality}.nii.gz").
    public static func read(pattern: String, root: URL) throws -> CohortManifest {
        guard pattern.contains("{case}"), pattern.contains("{modality}") else {
            throw MedSynthError(.invalidArgument, "--pattern", "'\(pattern)' must contain {case} and {modality}")
        }
        var regex = "^"
        var names: [String] = []
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            regex += NSRegularExpression.escapedPattern(for: String(rest[..<open]))
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            guard name == "case" || name == "modality" else {
                throw MedSynthError(.invalidArgument, "--pattern", "unknown field {\(name)} in '\(pattern)'; expected {case} and {modality}")
            }
            names.append(name)
            regex += "([^/]+)"
            rest = rest[rest.index(after: close)...]
        }
        regex += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        let expression = try NSRegularExpression(pattern: regex)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw MedSynthError(.notFound, root.path, "no such folder (--root)")
        }
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles]) else {
            throw MedSynthError(.unreadable, root.path, "cannot list the folder")
        }
        let rootPath = root.standardizedFileURL.path
        var relative: [String] = []
        for case let u as URL in walker {
            let p = u.standardizedFileURL.path
            guard p.hasPrefix(rootPath + "/") else { continue }
            relative.append(String(p.dropFirst(rootPath.count + 1)))
        }
        var rows: [Row] = []
        for rel in relative.sorted() {
            let range = NSRange(rel.startIndex..., in: rel)
            guard let m = expression.firstMatch(in: rel, range: range) else { continue }
            var values: [String: String] = [:]
            for (n, name) in names.enumerated() {
                values[name] = Range(m.range(at: n + 1), in: rel).map { String(rel[$0]) } ?? ""
            }
            rows.append(try row(case: values["case"] ?? "", modality: values["modality"] ?? "",
                                path: root.appendingPathComponent(rel), series: nil, origin: rel, subject: root.path))
        }
        guard !rows.isEmpty else {
            throw MedSynthError(.notFound, root.path, "no file under it matches --pattern '\(pattern)'")
        }
        return try make(rows, subject: root.path)
    }

    static func row(case name: String, modality: String, path: URL, series: String?, origin: String,
                    subject: String) throws -> Row {
        guard let m = Modality(contrastName: modality), m != .unknown else {
            throw MedSynthError(.invalidArgument, subject,
                                "\(origin): modality '\(modality)' is not CT, T1, T2, FLAIR, PET, label or an MR contrast name (letters, digits, '-', '_', e.g. T1ce, PD, DWI, ADC)")
        }
        if !name.isEmpty, name.contains("/") || name.hasPrefix(".") || name.contains("\0") || name.count > 128 {
            throw MedSynthError(.invalidArgument, subject, "\(origin): case '\(name)' cannot be a group name (no '/', not starting with '.', at most 128 characters)")
        }
        return Row(caseName: name, modality: m, path: path, series: series, origin: origin)
    }

    static func make(_ rows: [Row], subject: String) throws -> CohortManifest {
        var seen: [String: String] = [:]
        for r in rows where !r.caseName.isEmpty {
            let key = r.caseName + "\u{0}" + r.modality.rawValue
            if let other = seen[key] {
                throw MedSynthError(.invalidArgument, subject, "\(r.origin): case '\(r.caseName)' has a second \(r.modality.rawValue) (first at \(other))")
            }
            seen[key] = r.origin
        }
        let text = rows.map { [$0.caseName, $0.modality.rawValue, $0.path.path, $0.series ?? ""].joined(separator: "\u{1f}") }
            .joined(separator: "\n")
        return CohortManifest(rows: rows, digest: FNV1a64.signature(of: text))
    }

    /// RFC 4180 records: fields split on commas outside double quotes; "" inside quotes is a quote.
    static func records(_ text: String, file: String) throws -> [(line: Int, fields: [String])] {
        var out: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1, recordLine = 1
        var chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))
        if chars.first == "\u{feff}" { chars.removeFirst() }
        var n = 0
        while n < chars.count {
            let c = chars[n]
            if quoted {
                if c == "\"" {
                    if n + 1 < chars.count && chars[n + 1] == "\"" { field.append("\""); n += 1 } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && field.trimmingCharacters(in: .whitespaces).isEmpty {
                field = ""
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" {
                fields.append(field)
                out.append((recordLine, fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            } else {
                field.append(c)
            }
            n += 1
        }
        if quoted { throw MedSynthError(.invalidArgument, file, "line \(recordLine): a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            out.append((recordLine, fields))
        }
        return out
    }
}

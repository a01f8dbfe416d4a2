import Foundation
import MedCore
import Yams

/// What a label value of a user's label map becomes in the phantom: one of the brain's tissue classes, or
/// background (outside the brain).
public enum LabelTissue: String, Codable, Sendable, CaseIterable {
    /// Not brain (air, skull, scalp or anything the phantom builds itself): outside the brain mask.
    case background
    /// Cortical grey matter (cerebral and cerebellar cortex, hippocampus, amygdala).
    case greyMatter = "grey_matter"
    /// Deep grey nuclei (thalamus, caudate, putamen, pallidum, accumbens).
    case deepGreyMatter = "deep_grey_matter"
    /// White matter (cerebral and cerebellar, brainstem, corpus callosum).
    case whiteMatter = "white_matter"
    /// Ventricular CSF (lateral, inferior lateral, third, fourth ventricles, choroid plexus).
    case ventricles
    /// Extraventricular CSF inside the brain mask.
    case csf

    /// The phantom tissue this class renders as (`Tissue.background` for background).
    public var tissue: Tissue {
        switch self {
        case .background: return .background
        case .greyMatter: return .greyMatter
        case .deepGreyMatter: return .deepGreyMatter
        case .whiteMatter: return .whiteMatter
        case .ventricles: return .ventricles
        case .csf: return .csf
        }
    }
}

/// A table from the label values of a segmentation (FreeSurfer aseg, SynthSeg, or a user's own) to the phantom's
/// brain tissues. Read from YAML:
///
/// ```yaml
/// name: freesurfer-aseg          # optional, for provenance and reports
/// labels:
///   0: background
///   2: white_matter              # Left-Cerebral-White-Matter
///   3: grey_matter               # Left-Cerebral-Cortex
/// ```
/// Tissue names: background, grey_matter, deep_grey_matter, white_matter, ventricles, csf. Shipped tables:
/// Configs/labels-freesurfer-aseg.yaml and Configs/labels-synthseg.yaml.
public struct LabelTable: Sendable, Equatable {
    /// The table's name (the YAML's `name`, else the file's name).
    public var name: String
    /// Label value → tissue class.
    public var tissues: [Int: LabelTissue]

    /// Creates a table.
    public init(name: String, tissues: [Int: LabelTissue]) {
        self.name = name
        self.tissues = tissues
    }

    private struct File: Decodable {
        var name: String?
        var labels: [String: String]
    }

    /// Parses a table.
    /// - Parameters:
    ///   - yaml: the YAML text.
    ///   - source: the file (for messages and the default name).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `source` and the offending key or value: a key that is
    ///   not an integer, a tissue name that is not one of `LabelTissue`'s, or no labels at all.
    public static func parse(yaml: String, source: String) throws -> LabelTable {
        let file: File
        do { file = try YAMLDecoder().decode(File.self, from: yaml) } catch {
            throw MedSynthError(.invalidArgument, source, "is not a label table (\(error)); expected `labels:` mapping label values to tissue names")
        }
        var tissues: [Int: LabelTissue] = [:]
        let names = LabelTissue.allCases.map(\.rawValue).joined(separator: ", ")
        for (key, value) in file.labels {
            guard let label = Int(key.trimmingCharacters(in: .whitespaces)) else {
                throw MedSynthError(.invalidArgument, source, "has label key '\(key)'; expected an integer label value")
            }
            guard let tissue = LabelTissue(rawValue: value.trimmingCharacters(in: .whitespaces)) else {
                throw MedSynthError(.invalidArgument, source, "maps label \(label) to '\(value)'; expected one of \(names)")
            }
            tissues[label] = tissue
        }
        guard tissues.values.contains(where: { $0 != .background }) else {
            throw MedSynthError(.invalidArgument, source, "maps no label to a brain tissue; expected at least one of \(names) other than background")
        }
        let fallback = URL(fileURLWithPath: source).lastPathComponent
        return LabelTable(name: file.name ?? fallback, tissues: tissues)
    }

    /// Reads a table file.
    /// - Throws: `MedSynthError` naming the file: `.notFound`, `.unreadable`, or `parse`'s errors.
    public static func read(_ url: URL) throws -> LabelTable {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MedSynthError(.notFound, url.path, "no such label table; expected a YAML file such as Configs/labels-freesurfer-aseg.yaml")
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw MedSynthError(.unreadable, url.path, "cannot read the label table as UTF-8 text")
        }
        return try parse(yaml: text, source: url.path)
    }

    /// The tissue of every label value in `values`.
    /// - Parameters:
    ///   - values: the label values a map holds.
    ///   - unknown: the tissue for values the table lacks, or nil to refuse them.
    ///   - source: the label map (for the message).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `source` and listing the values the table lacks (when
    ///   `unknown` is nil), and non-integer values.
    public func resolve(_ values: Set<Float>, unknown: LabelTissue?, source: String) throws -> [Float: LabelTissue] {
        let fractional = values.filter { $0 != $0.rounded() || !$0.isFinite }.sorted()
        guard fractional.isEmpty else {
            throw MedSynthError(.invalidArgument, source, "holds non-integer values \(fractional.prefix(8).map { "\($0)" }.joined(separator: ", ")); expected a label map of integer labels")
        }
        var result: [Float: LabelTissue] = [:]
        var missing: [Int] = []
        for v in values {
            if let t = tissues[Int(v)] { result[v] = t } else if let unknown { result[v] = unknown } else { missing.append(Int(v)) }
        }
        guard missing.isEmpty else {
            throw MedSynthError(.invalidArgument, source,
                                "holds label values \(missing.sorted().map(String.init).joined(separator: ", ")) that label table '\(name)' does not list; add them to the table or pass --unknown-labels TISSUE")
        }
        return result
    }
}

extension LabelTable {
    /// FreeSurfer's aseg labels (FreeSurferColorLUT.txt); Configs/labels-freesurfer-aseg.yaml is this table with
    /// the structures' names. Brainstem, ventral DC, optic chiasm and the corpus callosum render as white matter;
    /// hippocampus, amygdala and the cerebellar cortex as grey matter; vessels as CSF; choroid plexus as ventricles.
    public static let freeSurferAseg: LabelTable = {
        var t: [Int: LabelTissue] = [0: .background, 24: .csf, 14: .ventricles, 15: .ventricles, 72: .ventricles,
                                     16: .whiteMatter, 77: .whiteMatter, 78: .whiteMatter, 79: .whiteMatter,
                                     85: .whiteMatter, 80: .deepGreyMatter, 81: .deepGreyMatter, 82: .deepGreyMatter]
        // Left and right hemisphere values (right = left + 39, or the listed pair).
        let pairs: [(Int, Int, LabelTissue)] = [
            (2, 41, .whiteMatter), (3, 42, .greyMatter), (4, 43, .ventricles), (5, 44, .ventricles),
            (6, 45, .greyMatter), (7, 46, .whiteMatter), (8, 47, .greyMatter), (9, 48, .deepGreyMatter),
            (10, 49, .deepGreyMatter), (11, 50, .deepGreyMatter), (12, 51, .deepGreyMatter), (13, 52, .deepGreyMatter),
            (17, 53, .greyMatter), (18, 54, .greyMatter), (26, 58, .deepGreyMatter), (28, 60, .whiteMatter),
            (30, 62, .csf), (31, 63, .ventricles),
        ]
        for (l, r, tissue) in pairs { t[l] = tissue; t[r] = tissue }
        for cc in 251...255 { t[cc] = .whiteMatter }
        return LabelTable(name: "freesurfer-aseg", tissues: t)
    }()

    /// SynthSeg's labels: the aseg subset it segments, plus the cortical parcels 1000–1035 and 2000–2035 that its
    /// `--parc` option writes in place of 3 and 42; Configs/labels-synthseg.yaml is this table.
    public static let synthSeg: LabelTable = {
        let values = [0, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24, 26, 28,
                      41, 42, 43, 44, 46, 47, 49, 50, 51, 52, 53, 54, 58, 60]
        var t: [Int: LabelTissue] = [:]
        for v in values { t[v] = freeSurferAseg.tissues[v]! }
        for parcel in 0...35 { t[1000 + parcel] = .greyMatter; t[2000 + parcel] = .greyMatter }
        return LabelTable(name: "synthseg", tissues: t)
    }()

    /// The built-in tables by the names `--label-table` accepts.
    public static let builtIn: [String: LabelTable] = ["aseg": freeSurferAseg, "synthseg": synthSeg]

    /// A built-in table's name (`aseg`, `synthseg`) or a YAML file.
    /// - Throws: `read`'s errors for a file.
    public static func named(_ nameOrPath: String) throws -> LabelTable {
        if let table = builtIn[nameOrPath] { return table }
        return try read(URL(fileURLWithPath: nameOrPath))
    }
}

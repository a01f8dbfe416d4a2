import Foundation
import MedCore
import MedIO

/// Makes the cases of `medsynth phantom --from-labels`: N cases per label map, each rendered by the phantom with
/// the label map as its brain (`LabelMapPhantom`), or (domain-randomised) with random per-label intensities
/// (`DomainRandomisation`). Case n uses label map n / N and the stream `SeededGenerator(seed).split(n)` (as
/// `HeadPhantom.drawParameters`), so resumed runs equal uninterrupted ones.
///
/// Provenance names each label map by the SHA-256 of its file, never by its path: `phantom_parameters` holds the
/// drawn case (its `templateBrain.template` is `label map sha256:<hex>`) with the render settings, and
/// `transforms` starts with a `from_labels` record (digest, table, grid), followed in domain-randomised mode by
/// one `domain_randomisation` record per image.
public struct LabelMapDatasetBuilder: Sendable {
    /// One phantom per label map, in order.
    public let phantoms: [LabelMapPhantom]
    /// Cases per label map.
    public let casesPerMap: Int
    /// The dataset seed.
    public let seed: UInt64
    /// Random per-label intensities instead of physics, or nil.
    public let domainRandomisation: DomainRandomisation?
    /// The command line recorded in provenance.
    public let commandLine: String

    /// The image slots of a case, in the dataset's order (after the label map).
    public static let slots: [Modality] = [.ct, .t1, .t2, .flair, .pet]

    /// What decides the dataset's content (signed by `runConfiguration`).
    public struct Arguments: Sendable {
        /// The label maps (NIfTI files), in order.
        public var labelMaps: [URL]
        /// The label table: a built-in name (`aseg`, `synthseg`) or a YAML file.
        public var labelTable: String = "aseg"
        /// The tissue of label values the table lacks, nil to refuse them.
        public var unknownLabels: LabelTissue? = nil
        /// Cases per label map (≥ 1).
        public var casesPerMap: Int
        /// The dataset seed.
        public var seed: UInt64
        /// Domain-randomised images instead of the phantom's physics.
        public var domainRandomised = false
        /// A phantom settings file's text and path (acquisition, tissues, scalp and skull), nil for the defaults.
        public var settings: (yaml: String, path: String)? = nil

        public init(labelMaps: [URL], casesPerMap: Int, seed: UInt64) {
            (self.labelMaps, self.casesPerMap, self.seed) = (labelMaps, casesPerMap, seed)
        }
    }

    /// Builds the phantoms (reads every label map).
    /// - Throws: `MedSynthError` naming the file: unreadable label maps or table, label values the table lacks,
    ///   invalid settings, a seed above `Int64.max`, fewer than one case.
    public init(_ arguments: Arguments, commandLine: String) throws {
        guard arguments.seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(arguments.seed); expected at most \(Int64.max) (stored as int64)")
        }
        guard arguments.casesPerMap >= 1 else {
            throw MedSynthError(.invalidArgument, "--cases", "is \(arguments.casesPerMap); expected at least 1 per label map")
        }
        guard !arguments.labelMaps.isEmpty else { throw MedSynthError(.invalidArgument, "--from-labels", "names no label map") }
        var settings = HeadPhantomSettings()
        if let s = arguments.settings { settings = try HeadPhantomSettings.overriding(withYAML: s.yaml, source: s.path) }
        let table = try LabelTable.named(arguments.labelTable)
        phantoms = try arguments.labelMaps.map { url in
            try LabelMapPhantom(labelMap: try LabelMapTemplate.read(url, table: table, unknown: arguments.unknownLabels),
                                settings: settings)
        }
        casesPerMap = arguments.casesPerMap
        seed = arguments.seed
        domainRandomisation = arguments.domainRandomised ? DomainRandomisation() : nil
        self.commandLine = commandLine
    }

    /// The run configuration (and signature): label maps by content digest, the table by content, every option.
    /// - Throws: `MedSynthError` naming a label map or table file that cannot be read.
    public static func runConfiguration(_ arguments: Arguments,
                                        storage: [String: String] = DatasetRunConfiguration.storageValues()) throws -> DatasetRunConfiguration {
        let digests = try arguments.labelMaps.map { try FileDigest.sha256Hex(of: $0) }
        let table = try LabelTable.named(arguments.labelTable)
        let tableText = table.tissues.keys.sorted().map { "\($0):\(table.tissues[$0]!.rawValue)" }.joined(separator: ",")
        var values = [
            "command": "phantom", "from_labels": digests.joined(separator: " "), "label_table": tableText,
            "unknown_labels": arguments.unknownLabels?.rawValue ?? "refuse", "cases": String(arguments.casesPerMap),
            "seed": String(arguments.seed), "domain_randomised": String(arguments.domainRandomised),
        ]
        if let settings = arguments.settings { values["phantom_settings_yaml"] = settings.yaml }
        return DatasetRunConfiguration(values, storage: storage)
    }

    /// Case names: `case000`, `case001`, … over all label maps (map n / N).
    public var caseIDs: [String] {
        let count = phantoms.count * casesPerMap
        let digits = max(3, String(count - 1).count)
        return (0..<count).map { n in
            let s = String(n)
            return "case" + String(repeating: "0", count: digits - s.count) + s
        }
    }

    /// Makes case `index`: the label map and the five images, with provenance.
    /// - Throws: `MedSynthError` from rendering or encoding.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let phantom = phantoms[index / casesPerMap]
        let map = phantom.labelMap
        let rendered = try phantom.makeCase(seed: seed, index: index)
        var transforms: [[String: Any]] = [[
            "name": "from_labels", "label_map_sha256": map.digest, "label_table": map.table.name,
            "grid": map.overlaysLabelMap ? "label_map" : "ras",
        ]]
        var volumes = rendered.volumes
        if let domainRandomisation {
            let classes = DomainRandomisation.classes(labelMap: map, rendered: rendered.labels)
            let stream = SeededGenerator(seed: seed).split(UInt64(index)).split(SeedStream.domainRandomisation)
            let spacing = map.outputAffine.columnLengthsMM
            volumes = [rendered.labels]
            for (n, slot) in Self.slots.enumerated() {
                var g = stream.split(UInt64(n))
                let p = domainRandomisation.draw(slot: slot.rawValue, classes: classes.names, using: &g)
                let image = DomainRandomisation.render(p, classIndex: classes.index, shape: map.outputShape, spacingMM: spacing)
                volumes.append(Volume(shape: map.outputShape, voxels: image, affine: map.outputAffine, modality: slot, unit: .arbitrary))
                let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(p))
                transforms.append(["name": "domain_randomisation", "parameters": json])
            }
        }
        let transformsJSON = String(decoding: try JSONSerialization.data(withJSONObject: transforms, options: [.sortedKeys]), as: UTF8.self)
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index,
            phantomParametersJSON: try ProvenanceJSON.string(PhantomProvenance(parameters: rendered.parameters,
                                                                               settings: phantom.phantom.settings)),
            lesionsJSON: "[]", transformsJSON: transformsJSON)
        return DatasetCase(id: caseIDs[index], volumes: volumes, provenance: provenance)
    }

    /// The label maps a `--from-labels` argument names: the NIfTI file itself, or each line of a text manifest
    /// (`.txt`, `.list`: one NIfTI path per line, relative to the manifest's folder unless absolute; blank lines
    /// and lines starting with '#' are skipped).
    /// - Throws: `MedSynthError` naming the manifest and line for a missing file, or an empty manifest.
    public static func labelMaps(from path: String) throws -> [URL] {
        let url = URL(fileURLWithPath: path)
        guard ["txt", "list"].contains(url.pathExtension.lowercased()) else { return [url] }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw MedSynthError(FileManager.default.fileExists(atPath: url.path) ? .unreadable : .notFound, url.path,
                                "cannot read the label-map manifest; expected a text file with one NIfTI path per line")
        }
        var maps: [URL] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let map = line.hasPrefix("/") ? URL(fileURLWithPath: line) : url.deletingLastPathComponent().appendingPathComponent(line)
            guard FileManager.default.fileExists(atPath: map.path) else {
                throw MedSynthError(.notFound, "\(url.path):\(n + 1)", "names '\(line)', which does not exist; expected a NIfTI label map")
            }
            maps.append(map)
        }
        guard !maps.isEmpty else { throw MedSynthError(.invalidArgument, url.path, "lists no label map; expected one NIfTI path per line") }
        return maps
    }
}

extension SeedStream {
    /// Domain randomisation of a `--from-labels` case (split of the case stream, then one split per image).
    public static let domainRandomisation: UInt64 = 0x6472   // "dr"
}

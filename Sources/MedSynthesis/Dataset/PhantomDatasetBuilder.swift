import MedCore
import MedIO

/// Makes the cases of a `medsynth phantom` dataset: head-phantom cases, optionally with lesions, with their
/// provenance (the drawn parameters with the phantom's settings, `PhantomProvenance`, so a case can be rendered
/// again). Case n is a pure function of (settings, seed, n), so resumed runs equal uninterrupted ones.
public struct PhantomDatasetBuilder: Sendable {
    /// The phantom.
    public let phantom: HeadPhantom
    /// Lesions, or nil for none.
    public let lesions: PhantomLesionInserter?
    /// The dataset seed.
    public let seed: UInt64
    /// The number of cases.
    public let caseCount: Int
    /// The command line recorded in every case's provenance.
    public let commandLine: String

    /// Creates a builder.
    /// - Parameters:
    ///   - phantom: the phantom (its settings fix the grid).
    ///   - lesionSettings: lesion settings, or nil for cases without lesions.
    ///   - seed: the dataset seed (at most `Int64.max`: provenance stores it as int64).
    ///   - caseCount: the number of cases (≥ 1).
    ///   - commandLine: what provenance records as `command_line`.
    /// - Throws: `MedSynthError(.invalidArgument)` for a seed above `Int64.max`, a count below 1 or invalid settings.
    public init(phantom: HeadPhantom, lesionSettings: LesionSettings?, seed: UInt64, caseCount: Int, commandLine: String) throws {
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        guard caseCount >= 1 else { throw MedSynthError(.invalidArgument, "--cases", "is \(caseCount); expected at least 1") }
        self.phantom = phantom
        self.lesions = try lesionSettings.map { try PhantomLesionInserter(phantom: phantom, settings: $0) }
        self.seed = seed
        self.caseCount = caseCount
        self.commandLine = commandLine
    }

    /// Case names: `case000`, `case001`, … (more digits when there are more than 1000 cases).
    public var caseIDs: [String] {
        let digits = max(3, String(caseCount - 1).count)
        return (0..<caseCount).map { n in
            let s = String(n)
            return "case" + String(repeating: "0", count: digits - s.count) + s
        }
    }

    /// Makes case `index`: the label map and CT, T1, T2, FLAIR, PET, with provenance.
    /// - Throws: `MedSynthError` from rendering or encoding.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let rendered: HeadPhantomCase
        var records: [LesionRecord] = []
        if let lesions {
            let c = try lesions.makeCase(seed: seed, index: index)
            rendered = c.phantomCase
            records = c.lesions
        } else {
            rendered = try phantom.makeCase(seed: seed, index: index)
        }
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index,
            phantomParametersJSON: try ProvenanceJSON.string(PhantomProvenance(parameters: rendered.parameters, settings: phantom.settings)),
            lesionsJSON: try ProvenanceJSON.string(records), transformsJSON: "[]")
        return DatasetCase(id: caseIDs[index], volumes: rendered.volumes, provenance: provenance)
    }
}

extension PhantomDatasetBuilder {
    /// What decides a `medsynth phantom` dataset's content: the builder is made from it and signs it
    /// (`runConfiguration`), so the command, the built-in data of training runs and `medsynth validate` agree on
    /// the file either writes and the other resumes.
    public struct Arguments: Sendable {
        /// Cases to generate (≥ 1).
        public var cases: Int
        /// The grid (the default field of view, spacing = field of view / extents).
        public var shape: VolumeShape
        /// The dataset seed.
        public var seed: UInt64
        /// Up to this many lesions per case (1…K drawn), 0 for none.
        public var lesions: Int
        /// Lesions carry sub-regions (core, oedema, …); a `lesionType` decides this itself.
        public var subRegions = false
        /// The median lesion radius in mm; nil for the default (6 mm, or the type's median).
        public var lesionRadiusMM: Double? = nil
        /// A named lesion type (`--lesion-type`), nil for the generic lesion model.
        public var lesionType: LesionType? = nil
        /// A phantom settings file's text and its path (for messages), nil for the defaults. Its content, not its
        /// path, is part of the signature: another file, or an edited one, is another dataset.
        public var settings: (yaml: String, path: String)? = nil

        public init(cases: Int, shape: VolumeShape, seed: UInt64, lesions: Int) {
            (self.cases, self.shape, self.seed, self.lesions) = (cases, shape, seed, lesions)
        }

        /// The lesion settings these arguments describe (count 1…`lesions`). The phantom renders each lesion part with uniform
        /// properties (`PhantomInclusion`), so a type's heterogeneity is not drawn here.
        public var lesionSettings: LesionSettings {
            var s = LesionSettings()
            if let type = lesionType {
                type.apply(to: &s)
                s.heterogeneityAmplitude = 0
            } else {
                s.subRegions = subRegions
            }
            s.countRange = 1...max(1, lesions)
            if let r = lesionRadiusMM { s.setRadiusMedian(r) }
            return s
        }
    }

    /// The builder of `arguments`.
    /// - Throws: `MedSynthError(.invalidArgument)` for invalid settings (naming the option or the settings file).
    public init(_ arguments: Arguments, commandLine: String) throws {
        var base = HeadPhantomSettings()
        if let settings = arguments.settings {
            base = try HeadPhantomSettings.overriding(withYAML: settings.yaml, source: settings.path)
        }
        var lesionSettings: LesionSettings? = nil
        if arguments.lesions > 0 {
            lesionSettings = arguments.lesionSettings
        }
        try self.init(phantom: try HeadPhantom(settings: base.withShape(arguments.shape)), lesionSettings: lesionSettings,
                      seed: arguments.seed, caseCount: arguments.cases, commandLine: commandLine)
    }

    /// The run configuration (and so the signature) of the dataset `arguments` describe, stored as `storage` says
    /// (`DatasetRunConfiguration.storageValues`).
    public static func runConfiguration(_ arguments: Arguments,
                                        storage: [String: String] = DatasetRunConfiguration.storageValues()) -> DatasetRunConfiguration {
        let shape = arguments.shape
        var values = [
            "command": "phantom", "cases": String(arguments.cases), "shape": "\(shape.depth) \(shape.height) \(shape.width)",
            "seed": String(arguments.seed), "lesions": String(arguments.lesions), "sub_regions": String(arguments.subRegions),
            "lesion_radius_mm": String(arguments.lesionSettings.radiusMedianMM),
        ]
        // Only typed runs carry the key, so untyped datasets keep their signature.
        if let type = arguments.lesionType {
            values["lesion_type"] = type.rawValue
            values["sub_regions"] = String(type.settings.subRegions)
        }
        if let settings = arguments.settings { values["phantom_settings_yaml"] = settings.yaml }
        return DatasetRunConfiguration(values, storage: storage)
    }

    /// The builder and run configuration of `medsynth phantom --cases N --shape D H W --seed S --lesions K` with
    /// every other option at its default: the built-in phantom data that training runs and `medsynth validate`
    /// generate.
    /// - Throws: `MedSynthError(.invalidArgument)` for invalid settings (naming the option).
    /// - Parameter lesionType: a named lesion type (`--lesion-type`), nil for the generic lesion model.
    public static func builtIn(cases: Int, shape: VolumeShape, seed: UInt64, lesions: Int, lesionType: LesionType? = nil,
                               commandLine: String) throws -> (builder: PhantomDatasetBuilder, configuration: DatasetRunConfiguration) {
        var arguments = Arguments(cases: cases, shape: shape, seed: seed, lesions: lesions)
        arguments.lesionType = lesionType
        return (try PhantomDatasetBuilder(arguments, commandLine: commandLine), runConfiguration(arguments))
    }
}

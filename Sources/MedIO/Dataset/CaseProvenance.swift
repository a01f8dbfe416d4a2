import MedCore

/// The provenance attributes of a case group (`/cases/<id>`), as docs/DATASET_FORMAT.md lists them.
///
/// JSON-valued fields hold compact JSON text (h5py: `json.loads(group.attrs["lesions"])`).
public struct CaseProvenance: Sendable, Equatable, Codable {
    /// `medsynth_version`: the MedSynth version that wrote the case.
    public var medsynthVersion: String
    /// `command_line`: the command that wrote it, arguments quoted for a POSIX shell.
    public var commandLine: String
    /// `seed`: the run's seed (int64 in the file).
    public var seed: Int
    /// `case_index`: the case's position in the run (0-based).
    public var caseIndex: Int
    /// `source_case_id`: the case this one was derived from (lesioned, augmented), "" for an original case.
    public var sourceCaseID: String
    /// `phantom_parameters`: JSON of the drawn phantom parameters, "null" when the case is not a phantom.
    public var phantomParametersJSON: String
    /// `lesions`: JSON array of per-lesion metadata, "[]" when there are none.
    public var lesionsJSON: String
    /// `transforms`: JSON array of the transforms applied, "[]" when there are none.
    public var transformsJSON: String
    /// `import` (only on cases made by `medsynth import`): JSON of where each modality came from (format, size,
    /// resampling) and the de-identification applied (DICOM PS3.15 codes); never a path, UID, date or name.
    public var importJSON: String?

    /// The attribute names, in the order of the fields above.
    public static let attributeNames = ["medsynth_version", "command_line", "seed", "case_index", "source_case_id",
                                        "phantom_parameters", "lesions", "transforms"]

    /// Creates a provenance record.
    public init(medsynthVersion: String = MedSynthVersion.string, commandLine: String, seed: Int, caseIndex: Int,
                sourceCaseID: String = "", phantomParametersJSON: String = "null", lesionsJSON: String = "[]",
                transformsJSON: String = "[]", importJSON: String? = nil) {
        self.medsynthVersion = medsynthVersion
        self.commandLine = commandLine
        self.seed = seed
        self.caseIndex = caseIndex
        self.sourceCaseID = sourceCaseID
        self.phantomParametersJSON = phantomParametersJSON
        self.lesionsJSON = lesionsJSON
        self.transformsJSON = transformsJSON
        self.importJSON = importJSON
    }

    /// Writes the attributes onto `group`.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file.
    func write(to group: HDF5Group) throws {
        let a = group.attributes
        try a.set("medsynth_version", medsynthVersion)
        try a.set("command_line", commandLine)
        try a.set("seed", seed)
        try a.set("case_index", caseIndex)
        try a.set("source_case_id", sourceCaseID)
        try a.set("phantom_parameters", phantomParametersJSON)
        try a.set("lesions", lesionsJSON)
        try a.set("transforms", transformsJSON)
        if let importJSON { try a.set("import", importJSON) }
    }

    /// Reads the attributes of a case group; nil when the group has none of them (a plain volume file).
    /// - Throws: `MedSynthError(.corrupt)` naming the file when some are present and others missing or mistyped.
    static func read(from group: HDF5Group) throws -> CaseProvenance? {
        let a = group.attributes
        guard try a.contains("case_index") else { return nil }
        func required<T>(_ name: String, _ get: (String) throws -> T?) throws -> T {
            do {
                guard let v = try get(name) else {
                    throw MedSynthError(.corrupt, group.fileName, "case group '\(group.path)' has no '\(name)' attribute")
                }
                return v
            } catch let e as MedSynthError where e.kind == .mismatch {
                throw MedSynthError(.corrupt, group.fileName, e.message)
            }
        }
        return CaseProvenance(
            medsynthVersion: try required("medsynth_version", a.string), commandLine: try required("command_line", a.string),
            seed: try required("seed", a.int), caseIndex: try required("case_index", a.int),
            sourceCaseID: try required("source_case_id", a.string),
            phantomParametersJSON: try required("phantom_parameters", a.string),
            lesionsJSON: try required("lesions", a.string), transformsJSON: try required("transforms", a.string),
            importJSON: try a.contains("import") ? try required("import", a.string) : nil)
    }

    /// A command line as one string, each argument quoted for a POSIX shell where it needs it.
    public static func quotedCommandLine(_ arguments: [String]) -> String {
        arguments.map { arg in
            let safe = !arg.isEmpty && arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
            return safe ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

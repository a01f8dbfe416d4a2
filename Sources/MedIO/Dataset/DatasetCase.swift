import MedCore

/// One case of a MedSynth dataset as the writer receives it: co-registered volumes (one per modality, the label
/// map among them) and the provenance that goes onto the case group.
public struct DatasetCase: Sendable, Equatable {
    /// The case name under `/cases/` (`case000`, or the source case's id).
    public var id: String
    /// The volumes; each becomes `/cases/<id>/<modality>`. Modalities must not repeat.
    public var volumes: [Volume]
    /// Where the case came from.
    public var provenance: CaseProvenance

    /// Creates a case.
    /// - Parameters:
    ///   - id: the case name (a valid HDF5 link name: not empty, no "/", not "." or "..", no leading ".").
    ///   - volumes: one volume per modality.
    ///   - provenance: the attributes of the case group.
    public init(id: String, volumes: [Volume], provenance: CaseProvenance) {
        self.id = id
        self.volumes = volumes
        self.provenance = provenance
    }

    /// Checks the id and that no modality repeats.
    /// - Parameter file: the dataset file, for the error message.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the file, the case and the problem.
    public func validate(file: String) throws {
        if id.isEmpty || id.contains("/") || id.hasPrefix(".") || id.contains("\0") {
            throw MedSynthError(.invalidArgument, file,
                                "case id '\(id)' cannot be a group name; use letters, digits, '-', '_' or '.' (not first)")
        }
        guard !volumes.isEmpty else { throw MedSynthError(.invalidArgument, file, "case '\(id)' has no volumes") }
        var seen = Set<String>()
        for v in volumes where !seen.insert(HDF5VolumeStore.datasetName(for: v.modality)).inserted {
            throw MedSynthError(.invalidArgument, file, "case '\(id)' has two \(v.modality.rawValue) volumes")
        }
    }
}

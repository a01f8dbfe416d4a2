/// MedSynth's tag in a NIfTI header's 80-character `descrip` field, which records what the voxels mean:
///
///     MedSynth 0.1.0 modality=CT unit=HU
///
/// Reading looks for the leading word "MedSynth" and `key=value` words after it; other words are ignored, so
/// the tag can grow. A file without the tag is of unknown modality and arbitrary unit.
struct NIfTIDescripTag: Equatable {
    /// The first word of a tagged `descrip`.
    static let marker = "MedSynth"

    /// The modality.
    var modality: Modality
    /// The unit of the voxel values.
    var unit: IntensityUnit

    /// The `descrip` text for this tag (well under 80 characters).
    func text(version: String) -> String {
        "\(NIfTIDescripTag.marker) \(version) modality=\(modality.rawValue) unit=\(unit.rawValue)"
    }

    /// Parses a `descrip` field; nil when it carries no MedSynth tag or names no known modality.
    init?(descrip: String) {
        let words = descrip.split(separator: " ")
        guard words.first == Substring(NIfTIDescripTag.marker) else { return nil }
        var values: [String: String] = [:]
        for w in words.dropFirst() {
            let parts = w.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let m = values["modality"].flatMap({ Modality(contrastName: $0) }) else { return nil }
        modality = m
        unit = values["unit"].flatMap(IntensityUnit.init(name:)) ?? m.defaultUnit
    }

    /// A tag for the given modality and unit.
    init(modality: Modality, unit: IntensityUnit) {
        self.modality = modality
        self.unit = unit
    }
}

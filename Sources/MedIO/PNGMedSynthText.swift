import MedCore

/// The JSON MedSynth stores in a PNG text chunk with keyword `PNGFile.textKeyword`, so that a PNG it wrote
/// reads back in physical units:
///
///     {"medsynth_version": "0.1.0", "window": {"lower": -1024, "upper": 3071},
///      "modality": "CT", "unit": "HU", "spacing_mm": [0.7, 0.7], "bit_depth": 16}
///
/// `window` maps pixels to physical values (see `IntensityWindow`); `spacing_mm` is [column spacing, row
/// spacing]. Every field but `window` is optional when reading.
struct PNGMedSynthText: Codable, Equatable {
    /// MedSynth version that wrote the file.
    var medsynthVersion: String?
    /// Pixel ↔ physical mapping.
    var window: IntensityWindow
    /// Modality name (`Modality.rawValue`).
    var modality: String?
    /// Unit name (`IntensityUnit.rawValue`).
    var unit: String?
    /// [x (column), y (row)] pixel spacing in millimetres.
    var spacingMM: [Double]?
    /// Bit depth the file was written with (informational; the PNG header is authoritative).
    var bitDepth: Int?

    enum CodingKeys: String, CodingKey {
        case medsynthVersion = "medsynth_version"
        case window, modality, unit
        case spacingMM = "spacing_mm"
        case bitDepth = "bit_depth"
    }

    /// The spacing when it holds two finite, positive numbers.
    var validSpacingMM: (x: Double, y: Double)? {
        guard let s = spacingMM, s.count == 2, s.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        return (s[0], s[1])
    }
}

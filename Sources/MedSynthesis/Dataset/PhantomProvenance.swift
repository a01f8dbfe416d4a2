import Foundation
import MedCore

/// What a phantom case's `phantom_parameters` attribute holds: the drawn `HeadPhantomCaseParameters` (their keys
/// at the top level of the JSON object, as always) and, under `phantomSettings`, the `HeadPhantomSettings` they
/// were drawn and rendered with. Settings and parameters together determine the case, so `medsynth lesions` can
/// render it again with lesions inside (`LesionDatasetBuilder`, method `phantom`).
///
/// Datasets written before the settings were recorded have no `phantomSettings` key; they decode with `settings`
/// nil (and can still be given lesions by blending).
public struct PhantomProvenance: Codable, Sendable, Equatable {
    /// The drawn case parameters.
    public var parameters: HeadPhantomCaseParameters
    /// The phantom's settings (grid, variation, tissue table, acquisition), nil when not recorded.
    public var settings: HeadPhantomSettings?

    /// Creates a record.
    public init(parameters: HeadPhantomCaseParameters, settings: HeadPhantomSettings?) {
        self.parameters = parameters
        self.settings = settings
    }

    private enum CodingKeys: String, CodingKey { case phantomSettings }

    public init(from decoder: Decoder) throws {
        parameters = try HeadPhantomCaseParameters(from: decoder)
        settings = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(HeadPhantomSettings.self, forKey: .phantomSettings)
    }

    public func encode(to encoder: Encoder) throws {
        // The parameters' keys and `phantomSettings` share one JSON object.
        try parameters.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(settings, forKey: .phantomSettings)
    }

    /// Parses a `phantom_parameters` attribute: nil for `null` (not a phantom case).
    /// - Throws: `MedSynthError(.corrupt)` naming `subject` when the JSON is not a phantom record.
    public static func parse(_ json: String, subject: String) throws -> PhantomProvenance? {
        if json.trimmingCharacters(in: .whitespacesAndNewlines) == "null" { return nil }
        do {
            return try JSONDecoder().decode(PhantomProvenance.self, from: Data(json.utf8))
        } catch {
            throw MedSynthError(.corrupt, subject, "phantom_parameters is not a phantom record (\(error)); expected the JSON that `medsynth phantom` writes")
        }
    }
}

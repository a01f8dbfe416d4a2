import MedCore
import MedIO

/// A seeded augmentation, split the MONAI way: `draw` picks every random value first and returns them as a
/// Codable record; `apply` then uses only that record, identically on every image and the label map of a case.
/// So a case can be re-augmented exactly from its provenance, and all modalities see the same geometry.
///
/// Spatial transforms move images (linear interpolation) and labels (nearest neighbour) alike; intensity
/// transforms change images only, optionally restricted to some modalities, and never the label map.
public protocol AugmentationTransform: Sendable {
    /// The YAML/Codable settings: ranges and options, validated by `init(settings:)`.
    associatedtype Settings: TransformSettings
    /// The drawn values: everything `apply` needs, recorded in the provenance.
    associatedtype Parameters: AugmentationParameterValue, Equatable

    /// The name used in YAML (`transform: affine`) and in records.
    static var name: String { get }
    /// The validated settings.
    var settings: Settings { get }

    /// Creates the transform.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first setting out of range and its value.
    init(settings: Settings) throws

    /// Draws the parameters for one case.
    /// - Parameters:
    ///   - generator: the seeded stream; the draw is a pure function of its state, the settings and `geometry`.
    ///   - geometry: the case's grid (for physical units and extents).
    func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters

    /// Applies drawn parameters to a case (by default through `apply(_:in:)`).
    /// - Throws: `MedSynthError` when the parameters do not fit the case (a record replayed on another grid).
    func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase

    /// Applies drawn parameters inside a pipeline's workspace, changing the arrays the workspace owns in place
    /// where the kernel allows it.
    /// - Throws: as `apply(_:to:)`.
    func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws
}

extension AugmentationTransform {
    /// `apply(_:in:)` on a workspace made for the case: every transform works in a workspace, so a transform on
    /// its own and the same transform in a pipeline give the same voxels.
    public func apply(_ parameters: Parameters, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        try AugmentationWorkspace.applying(to: augmentationCase) { try apply(parameters, in: &$0) }
    }
}

extension AugmentationTransform {
    /// Draws and applies in one call.
    public func callAsFunction(_ augmentationCase: AugmentationCase, using generator: inout SeededGenerator) throws
        -> (AugmentationCase, Parameters) {
        let p = draw(using: &generator, geometry: augmentationCase.geometry)
        return (try apply(p, to: augmentationCase), p)
    }
}

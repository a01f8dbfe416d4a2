import MedCore

/// One entry of a pipeline: a transform with the probability that it runs, type-erased so a pipeline can hold
/// different transforms in order.
public struct AugmentationStep: Sendable {
    /// The transform's name (`AugmentationTransform.name`).
    public let name: String
    /// The probability p that the step runs for a case, in [0, 1].
    public let probability: Double
    /// The transform's settings as JSON (for the record of the pipeline that ran).
    public let settingsJSON: String
    private let drawBody: @Sendable (inout SeededGenerator, AugmentationGeometry) -> any AugmentationParameterValue
    private let applyBody: @Sendable (any AugmentationParameterValue, inout AugmentationWorkspace) throws -> Void

    /// Wraps a transform.
    /// - Parameters:
    ///   - transform: the transform.
    ///   - probability: p in [0, 1].
    /// - Throws: `MedSynthError(.invalidArgument)` for p outside [0, 1].
    public init<T: AugmentationTransform>(_ transform: T, probability: Double = 1) throws {
        try SettingsCheck.value(probability, within: 0...1, "probability")
        name = T.name
        self.probability = probability
        settingsJSON = (try? PrettyJSON.string(transform.settings)) ?? "{}"
        drawBody = { generator, geometry in transform.draw(using: &generator, geometry: geometry) }
        applyBody = { parameters, workspace in
            guard let p = parameters as? T.Parameters else {
                throw MedSynthError(.mismatch, T.name, "recorded parameters of type \(type(of: parameters)) do not belong to '\(T.name)'")
            }
            try transform.apply(p, in: &workspace)
        }
    }

    /// Draws this step's parameters.
    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> any AugmentationParameterValue {
        drawBody(&generator, geometry)
    }

    /// Applies recorded parameters.
    /// - Throws: `MedSynthError(.mismatch)` when they belong to another transform; the transform's own errors.
    public func apply(_ parameters: any AugmentationParameterValue, to augmentationCase: AugmentationCase) throws -> AugmentationCase {
        try AugmentationWorkspace.applying(to: augmentationCase) { try applyBody(parameters, &$0) }
    }

    /// Applies recorded parameters inside a workspace (in place where the workspace owns the arrays).
    /// - Throws: as `apply(_:to:)`.
    public func apply(_ parameters: any AugmentationParameterValue, in workspace: inout AugmentationWorkspace) throws {
        try applyBody(parameters, &workspace)
    }
}

/// What a transform's `Parameters` is: Codable, Sendable, and comparable through its JSON form.
public protocol AugmentationParameterValue: Codable, Sendable {}

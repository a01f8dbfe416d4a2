import Foundation
import MedCore

/// What a pipeline did to one case: the steps that ran, in order, with their drawn parameters. It goes into a
/// dataset's provenance, and `AugmentationPipeline.replay` re-applies it exactly.
public struct AugmentationRecord: Codable, Sendable, Equatable {
    /// The steps that ran (skipped steps are absent).
    public var applied: [AppliedAugmentation]

    /// Creates a record.
    public init(applied: [AppliedAugmentation] = []) { self.applied = applied }

    /// The names of the transforms that ran, in order.
    public var transformNames: [String] { applied.map(\.transform) }
}

/// One step that ran: its position in the pipeline, the transform's name and its drawn parameters.
///
/// JSON: `{"step": 2, "transform": "affine", "parameters": {...}}`; decoding looks the transform up in
/// `AugmentationRegistry` to read the parameters with their own type.
public struct AppliedAugmentation: Codable, Sendable, Equatable {
    /// The index of the step in the pipeline's list.
    public var step: Int
    /// The transform's name.
    public var transform: String
    /// The drawn parameters (the transform's `Parameters` type).
    public var parameters: any AugmentationParameterValue

    /// Creates an entry.
    public init(step: Int, transform: String, parameters: any AugmentationParameterValue) {
        self.step = step
        self.transform = transform
        self.parameters = parameters
    }

    private enum CodingKeys: String, CodingKey { case step, transform, parameters }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        step = try c.decode(Int.self, forKey: .step)
        transform = try c.decode(String.self, forKey: .transform)
        guard let type = AugmentationRegistry.transform(named: transform) else {
            throw MedSynthError(.invalidArgument, "transform", "is '\(transform)'; expected one of: \(AugmentationRegistry.names.joined(separator: ", "))")
        }
        func decodeParameters<T: AugmentationTransform>(_: T.Type) throws -> any AugmentationParameterValue {
            try c.decode(T.Parameters.self, forKey: .parameters)
        }
        parameters = try decodeParameters(type)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(step, forKey: .step)
        try c.encode(transform, forKey: .transform)
        try c.encode(parameters, forKey: .parameters)
    }

    /// Equal when step, name and the parameters' JSON agree.
    public static func == (a: AppliedAugmentation, b: AppliedAugmentation) -> Bool {
        guard a.step == b.step, a.transform == b.transform else { return false }
        return (try? PrettyJSON.data(a.parameters)) == (try? PrettyJSON.data(b.parameters))
    }
}

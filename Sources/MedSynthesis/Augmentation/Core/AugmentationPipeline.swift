import Foundation
import MedCore
import Yams

/// An ordered list of augmentation steps, each run with its probability, usually read from YAML:
///
/// ```yaml
/// transforms:
///   - transform: affine        # a name from AugmentationRegistry
///     probability: 0.8         # p, default 1
///     rotationDegrees: [-10, 10]   # the transform's settings; missing keys take their defaults
/// ```
///
/// ```swift
/// let pipeline = try AugmentationPipeline(contentsOf: URL(fileURLWithPath: "Configs/augment-default.yaml"))
/// var generator = SeededGenerator(seed: 42).split(UInt64(caseIndex))
/// let result = try pipeline.apply(to: AugmentationCase(phantomCase: c), using: &generator)
/// // result.augmentationCase, result.record (Codable: what ran, with the drawn parameters)
/// ```
/// Streams: step n draws from `generator.split(n)`: first one uniform for the probability, then its parameters,
/// so editing one step never changes what the other steps draw. `generator` itself is advanced by one draw.
public struct AugmentationPipeline: Sendable {
    /// The keys of a YAML entry that are not the transform's settings.
    public static let entryKeys = ["transform", "probability"]

    /// The steps, in order.
    public let steps: [AugmentationStep]

    /// Arrays released by earlier runs, reused by later ones (shared by copies of the pipeline).
    public let recycler = VoxelArrayRecycler()

    /// Creates a pipeline from steps.
    public init(steps: [AugmentationStep]) { self.steps = steps }

    /// Parses a pipeline from YAML text.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the entry and key for an unknown transform, an
    ///   unknown setting, a value of the wrong type or out of range; and for YAML syntax errors.
    public init(yaml: String) throws {
        let file: PipelineFile
        do {
            file = try YAMLDecoder().decode(PipelineFile.self, from: yaml)
        } catch let error as MedSynthError {
            throw error
        } catch let error as DecodingError {
            throw AugmentationPipeline.describe(error)
        } catch {
            throw MedSynthError(.invalidArgument, "augmentation YAML", "cannot be parsed: \(error)")
        }
        steps = file.transforms.map(\.step)
    }

    /// Reads a pipeline from a YAML file.
    /// - Throws: `MedSynthError(.unreadable)` when the file cannot be read; the errors of `init(yaml:)` with the
    ///   path prefixed.
    public init(contentsOf url: URL) throws {
        let text = try Self.text(of: url)
        do { try self.init(yaml: text) } catch let e as MedSynthError { throw Self.located(e, in: url) }
    }

    /// The pipeline in a YAML file, and the file's text (a dataset's run configuration records the text).
    /// - Throws: `MedSynthError` naming the file: `.unreadable`, or the pipeline's errors.
    public static func read(_ url: URL) throws -> (pipeline: AugmentationPipeline, yaml: String) {
        let text = try text(of: url)
        do { return (try AugmentationPipeline(yaml: text), text) } catch let e as MedSynthError { throw located(e, in: url) }
    }

    private static func text(of url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw MedSynthError(.unreadable, url.path, "cannot read the augmentation pipeline: \(error.localizedDescription)")
        }
    }

    /// `error` with the file's path before its subject.
    private static func located(_ error: MedSynthError, in url: URL) -> MedSynthError {
        MedSynthError(error.kind, "\(url.path): \(error.subject ?? "")", error.message)
    }

    /// Runs the pipeline on a case.
    /// - Parameters:
    ///   - augmentationCase: the case (not modified).
    ///   - generator: the case's stream (advanced by one draw).
    /// - Returns: the augmented case and the record of the steps that ran.
    /// - Throws: a transform's `MedSynthError`.
    public func apply(to augmentationCase: AugmentationCase, using generator: inout SeededGenerator) throws -> AugmentationResult {
        var workspace = AugmentationWorkspace(augmentationCase, recycler: recycler)
        defer { workspace.recycleSpares() }
        let record = try run(in: &workspace, using: &generator)
        return AugmentationResult(augmentationCase: workspace.augmentationCase, record: record)
    }

    /// Runs the pipeline on a case in place: its arrays are changed where nothing else holds them (the first
    /// step writes new arrays only for volumes that are shared), which saves allocating and first touching a
    /// new array per volume. The same voxels as `apply(to:using:)`.
    /// - Parameters:
    ///   - augmentationCase: the case, replaced by the augmented one.
    ///   - generator: the case's stream (advanced by one draw).
    /// - Returns: the record of the steps that ran.
    /// - Throws: a transform's `MedSynthError`; the case is then left as the failing step found it.
    public func applyInPlace(to augmentationCase: inout AugmentationCase, using generator: inout SeededGenerator) throws -> AugmentationRecord {
        var workspace = AugmentationWorkspace(taking: &augmentationCase, recycler: recycler)
        defer { workspace.finish(into: &augmentationCase) }
        return try run(in: &workspace, using: &generator)
    }

    /// Draws and applies every step in `workspace`.
    private func run(in workspace: inout AugmentationWorkspace, using generator: inout SeededGenerator) throws -> AugmentationRecord {
        let root = generator.split(0)
        _ = generator.next()
        var record = AugmentationRecord()
        for (n, step) in steps.enumerated() {
            var stream = root.split(UInt64(n))
            guard stream.nextUnitDouble() < step.probability else { continue }
            let parameters = step.draw(using: &stream, geometry: workspace.geometry)
            try step.apply(parameters, in: &workspace)
            record.applied.append(AppliedAugmentation(step: n, transform: step.name, parameters: parameters))
        }
        return record
    }

    /// Re-applies a record to a case: the same result as the run that wrote it, without drawing.
    /// - Throws: `MedSynthError(.mismatch)` when the record names a step this pipeline does not have (another
    ///   pipeline's record).
    public func replay(_ record: AugmentationRecord, on augmentationCase: AugmentationCase) throws -> AugmentationCase {
        var workspace = AugmentationWorkspace(augmentationCase, recycler: recycler)
        defer { workspace.recycleSpares() }
        for entry in record.applied {
            guard steps.indices.contains(entry.step), steps[entry.step].name == entry.transform else {
                throw MedSynthError(.mismatch, "record", "step \(entry.step) is '\(entry.transform)', which this pipeline does not have at that position")
            }
            try steps[entry.step].apply(entry.parameters, in: &workspace)
        }
        return workspace.augmentationCase
    }

    /// A `DecodingError` as a one-line message naming the YAML path.
    /// - Parameter droppingPrefix: leading coding-path keys to leave out (the entry's own location).
    static func describe(_ error: DecodingError, droppingPrefix: Int = 0) -> MedSynthError {
        func path(_ keys: [CodingKey]) -> String {
            keys.dropFirst(droppingPrefix).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            return MedSynthError(.invalidArgument, path(context.codingPath), "has the wrong type; expected \(type) (\(context.debugDescription))")
        case let .keyNotFound(key, context):
            return MedSynthError(.invalidArgument, path(context.codingPath + [key]), "is missing")
        case let .dataCorrupted(context):
            // Yams wraps errors thrown while decoding (our MedSynthErrors included) as dataCorrupted.
            if let inner = context.underlyingError as? MedSynthError { return inner }
            if let inner = context.underlyingError as? DecodingError { return describe(inner, droppingPrefix: droppingPrefix) }
            if let inner = context.underlyingError, context.codingPath.isEmpty {
                return MedSynthError(.invalidArgument, "augmentation YAML", "is not valid YAML: \(inner)")
            }
            return MedSynthError(.invalidArgument, path(context.codingPath).isEmpty ? "augmentation YAML" : path(context.codingPath),
                                 "is invalid: \(context.debugDescription)")
        @unknown default:
            return MedSynthError(.invalidArgument, "augmentation YAML", "\(error)")
        }
    }
}

/// The output of `AugmentationPipeline.apply`.
public struct AugmentationResult: Sendable {
    /// The augmented case.
    public var augmentationCase: AugmentationCase
    /// What ran, with the drawn parameters.
    public var record: AugmentationRecord
}

/// The YAML document: `transforms` (required) and an optional free-text `description`.
private struct PipelineFile: Decodable {
    var transforms: [PipelineEntry]

    init(from decoder: Decoder) throws {
        let r = try StrictKeyReader(decoder, what: "'pipeline'")
        let _: String? = try r.optional("description")
        guard let list: [PipelineEntry] = try r.optional("transforms") else {
            throw MedSynthError(.invalidArgument, "transforms", "is missing; expected a list of steps")
        }
        try r.finish()
        transforms = list
    }
}

/// One YAML entry, decoded into a step: reads `transform`, then lets that transform's settings read the rest.
private struct PipelineEntry: Decodable {
    var step: AugmentationStep

    init(from decoder: Decoder) throws {
        let location = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined()
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        guard let name = try c.decodeIfPresent(String.self, forKey: AnyCodingKey("transform")) else {
            throw MedSynthError(.invalidArgument, "\(location).transform",
                                "is missing; expected one of: \(AugmentationRegistry.names.joined(separator: ", "))")
        }
        guard let type = AugmentationRegistry.transform(named: name) else {
            throw MedSynthError(.invalidArgument, "\(location).transform",
                                "is '\(name)'; expected one of: \(AugmentationRegistry.names.joined(separator: ", "))")
        }
        let probability = try c.decodeIfPresent(Double.self, forKey: AnyCodingKey("probability")) ?? 1
        func build<T: AugmentationTransform>(_: T.Type) throws -> AugmentationStep {
            try AugmentationStep(T(settings: T.Settings.decodingWithDefaults(from: decoder, transform: T.name,
                                                                             alsoAllowed: AugmentationPipeline.entryKeys)),
                                 probability: probability)
        }
        do {
            step = try build(type)
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, "\(location) (\(name)).\(e.subject ?? "")", e.message)
        } catch let e as DecodingError {
            let inner = AugmentationPipeline.describe(e, droppingPrefix: decoder.codingPath.count)
            throw MedSynthError(inner.kind, "\(location) (\(name)).\(inner.subject ?? "")", inner.message)
        }
    }
}

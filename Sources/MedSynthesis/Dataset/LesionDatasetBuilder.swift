import Foundation
import MedCore
import MedIO

/// Makes the cases of a `medsynth lesions` dataset: every case of a MedSynth dataset with lesions added inside
/// the voxels whose label is allowed, its label map updated and its source recorded. Case n draws from
/// `SeededGenerator(seed: seed).split(n)`.
///
/// How lesions are added (`Method`):
/// - `phantom`: the case is rendered again from its provenance (`PhantomProvenance`: drawn parameters and
///   phantom settings) with the lesions as `PhantomInclusion`s, so partial volume, bias field, PET blur and noise
///   apply to them as to tissue — exactly as `medsynth phantom --lesions` makes them. Lesions the source already
///   has (phantom inclusions) are rendered again where they were. Possible for phantom cases that were not
///   augmented, whose lesions are all phantom inclusions, and whose allowed labels are brain tissues that include
///   white matter (8, the host the appearances refer to). The re-rendered label map must equal the stored one
///   outside the new lesions' boxes, which catches a case made by a MedSynth version that rendered differently.
/// - `blend`: lesions are blended into the stored images (`VolumeLesionInserter`), for any case.
/// - `auto` (the default): `phantom` where possible, else `blend`.
public struct LesionDatasetBuilder: Sendable {
    /// How lesions are put into a case.
    public enum Method: String, Sendable, CaseIterable, Codable {
        /// Render through the phantom where the case allows it, else blend.
        case auto
        /// Render through the phantom; a case that does not allow it is an error.
        case phantom
        /// Blend into the stored images.
        case blend
    }

    /// The source dataset.
    public let source: URL
    /// Its case ids, in order.
    public let caseIDs: [String]
    /// The lesion settings (count, shape, size, sub-regions, appearance).
    public let settings: LesionSettings
    /// The blending inserter.
    public let inserter: VolumeLesionInserter
    /// Labels of the source label maps where lesions may go.
    public let allowedLabels: Set<Int>
    /// The seed.
    public let seed: UInt64
    /// Lesions per case, or nil to draw from the settings.
    public let perCase: Int?
    /// How lesions are added.
    public let method: Method
    /// The command line recorded in provenance.
    public let commandLine: String
    /// A placement mask on the cases' grid (`--mask`): lesions go where it is non-zero *and* the label is allowed;
    /// values in 0…1 are fractions. Such lesions are blended (the phantom cannot render a mask it never drew).
    public let placementMask: Volume?

    /// Creates a builder.
    /// - Throws: `MedSynthError` when the source cannot be listed, has no cases, or the settings are invalid.
    public init(source: URL, settings: LesionSettings, allowedLabels: Set<Int>, seed: UInt64, perCase: Int?,
                method: Method = .auto, commandLine: String, placementMask: Volume? = nil) throws {
        if placementMask != nil, method == .phantom {
            throw MedSynthError(.invalidArgument, "--mask", "places lesions by blending; --method phantom renders them where the phantom's tissues allow (use --method blend or auto with --mask)")
        }
        self.placementMask = placementMask
        guard seed <= UInt64(Int64.max) else {
            throw MedSynthError(.invalidArgument, "--seed", "is \(seed); expected at most \(Int64.max) (stored as int64)")
        }
        self.source = source
        caseIDs = try MedSynthDataset.caseIDs(in: source)
        guard !caseIDs.isEmpty else { throw MedSynthError(.invalidArgument, source.path, "has no cases under /cases") }
        self.settings = settings
        inserter = try VolumeLesionInserter(settings: settings)
        self.allowedLabels = allowedLabels
        self.seed = seed
        self.perCase = perCase
        self.method = method
        self.commandLine = commandLine
    }

    /// Makes case `index`: the source case with lesions.
    /// - Throws: `MedSynthError` naming the source when the case has no label map or no allowed voxel, or (method
    ///   `phantom`) cannot be rendered again, saying why.
    public func makeCase(_ index: Int) throws -> DatasetCase {
        let id = caseIDs[index]
        let stored = try MedSynthDataset.readCase(id, in: source)
        guard let labels = stored.volume(.label) else {
            throw MedSynthError(.invalidArgument, source.path, "case '\(id)' has no label map (/cases/\(id)/label); it is needed to place lesions")
        }
        // The new lesions are appended to the source's own list, and keep clear of those lesions' boxes.
        let lesions = Self.lesionObjects(stored.provenance?.lesionsJSON)
        let stream = SeededGenerator(seed: seed).split(UInt64(index))
        var made: (volumes: [Volume], lesions: [LesionRecord])?
        do {
            if method != .blend && placementMask == nil {
                switch phantomPlan(stored, labels: labels) {
                case .success(let plan): made = try renderThroughPhantom(plan, stored: stored, labels: labels, stream: stream)
                case .failure(let reason):
                    if method == .phantom {
                        throw MedSynthError(.invalidArgument, "--method phantom", "the case cannot be rendered again through the phantom: \(reason.message); use --method blend or auto")
                    }
                }
                if made == nil, method == .phantom {
                    throw MedSynthError(.invalidArgument, "--method phantom", "rendered again through the phantom, the case's label map differs from the stored one outside the new lesions (made by another MedSynth version?); use --method blend or auto")
                }
            }
            if made == nil {
                let oldBoxes = lesions.compactMap { ($0 as? [String: Any]).flatMap { Self.box(from: $0["box"]) } }
                let images = stored.volumes.filter { $0.modality != .label }
                var mask = VolumeLesionMask.fromLabels(labels, allowed: allowedLabels)
                if let user = placementMask {
                    guard user.shape == labels.shape, user.affine.isClose(to: labels.affine, tolerance: 1e-2) else {
                        throw MedSynthError(.mismatch, "--mask", "has shape \(user.shape) and affine \(user.affine); case '\(id)' has \(labels.shape) and \(labels.affine)")
                    }
                    for n in mask.voxels.indices { mask.voxels[n] *= min(1, max(0, user.voxels[n].isNaN ? 0 : user.voxels[n])) }
                }
                let result = try inserter.insert(into: images, labels: labels, mask: mask, using: stream, count: perCase,
                                                 avoiding: oldBoxes)
                made = (stored.volumes.map { v in v.modality == .label ? result.labels : result.images.first { $0.modality == v.modality }! },
                        result.lesions)
            }
        } catch let e as MedSynthError {
            throw MedSynthError(e.kind, source.path, "case '\(id)': \(e.subject.map { "\($0): " } ?? "")\(e.message)")
        }
        // Indices continue the source's list.
        let renumbered = made!.lesions.enumerated().map { n, record -> LesionRecord in
            var r = record
            r.index = lesions.count + n
            return r
        }
        let added = try JSONSerialization.jsonObject(with: Data(try ProvenanceJSON.string(renumbered).utf8)) as? [Any] ?? []
        let lesionsData = try JSONSerialization.data(withJSONObject: lesions + added, options: [.sortedKeys, .withoutEscapingSlashes])
        let provenance = CaseProvenance(
            commandLine: commandLine, seed: Int(seed), caseIndex: index, sourceCaseID: id,
            phantomParametersJSON: stored.provenance?.phantomParametersJSON ?? "null",
            lesionsJSON: String(decoding: lesionsData, as: UTF8.self),
            transformsJSON: stored.provenance?.transformsJSON ?? "[]")
        return DatasetCase(id: id, volumes: made!.volumes, provenance: provenance)
    }

    /// The records of a case's `lesions` provenance attribute as JSON objects, kept as read (so keys this version
    /// does not know survive a rewrite); [] when there is none or it is not a JSON array.
    public static func lesionObjects(_ json: String?) -> [Any] {
        guard let json, let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] else { return [] }
        return list
    }

    /// A `LesionBox` from its JSON object in a lesion record.
    static func box(from value: Any?) -> LesionBox? {
        guard let object = value as? [String: Any],
              let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
        return try? JSONDecoder().decode(LesionBox.self, from: data)
    }
}

extension LesionDatasetBuilder {
    /// The run configuration (and so the signature) of this builder's dataset: the source and its cases, the seed,
    /// the lesions per case (or the settings' count range), the allowed labels, the method, sub-regions, the median
    /// radius, the lesion type (`lesion_type`, only when one is set), the visibility rule (`lesion_visibility`: datasets written before it was measured are refused, naming
    /// it) and, with a placement mask, its path and a hash of its voxels (another mask is another dataset),
    /// stored as `storage` says.
    /// - Parameter maskPath: where `placementMask` was read from.
    public func runConfiguration(maskPath: String? = nil,
                                 storage: [String: String] = DatasetRunConfiguration.storageValues()) -> DatasetRunConfiguration {
        var values = [
            "command": "lesions", "input": source.standardizedFileURL.path, "seed": String(seed),
            "allowed_labels": allowedLabels.sorted().map(String.init).joined(separator: ","),
            "method": method.rawValue, "sub_regions": String(settings.subRegions),
            "lesion_radius_mm": String(settings.radiusMedianMM), "input_cases": caseIDs.joined(separator: ","),
            "lesion_visibility": settings.visibility.signature,
        ]
        // Only typed runs carry the key, so untyped datasets keep their signature.
        if let type = settings.type { values["lesion_type"] = type.rawValue }
        if let perCase {
            values["per_case"] = String(perCase)
        } else {
            values["lesions"] = "\(settings.countRange.lowerBound)...\(settings.countRange.upperBound)"
        }
        if let placementMask {
            if let maskPath { values["mask"] = URL(fileURLWithPath: maskPath).standardizedFileURL.path }
            values["mask_voxels"] = Self.voxelHash(placementMask.voxels)
        }
        return DatasetRunConfiguration(values, storage: storage)
    }

    /// `fnv1a64:` and the FNV-1a hash of the voxels' float32 bit patterns (little-endian), in order.
    static func voxelHash(_ voxels: [Float]) -> String {
        var hash = FNV1a64()
        voxels.map(\.bitPattern.littleEndian).withUnsafeBytes { hash.add($0) }
        return hash.signature
    }
}

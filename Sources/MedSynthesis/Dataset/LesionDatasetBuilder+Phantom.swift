import Foundation
import MedCore
import MedIO

/// Rendering a stored phantom case again with lesions (`LesionDatasetBuilder.Method.phantom`).
extension LesionDatasetBuilder {
    /// What re-rendering a case needs: its phantom record and its earlier lesions.
    struct PhantomPlan {
        var provenance: PhantomProvenance
        var settings: HeadPhantomSettings
        var existing: [LesionRecord]
        var tissues: [Tissue]
    }

    /// Why a case cannot be rendered again.
    struct NotRenderable: Error {
        var message: String
    }

    /// The plan for `stored`, or why there is none.
    func phantomPlan(_ stored: MedSynthDataset.StoredCase, labels: Volume) -> Result<PhantomPlan, NotRenderable> {
        guard let p = stored.provenance else { return .failure(NotRenderable(message: "it has no provenance")) }
        let record: PhantomProvenance?
        do { record = try PhantomProvenance.parse(p.phantomParametersJSON, subject: source.path) } catch {
            return .failure(NotRenderable(message: "its phantom_parameters cannot be read"))
        }
        guard let record else { return .failure(NotRenderable(message: "it is not a phantom case (phantom_parameters is null)")) }
        guard let settings = record.settings else {
            return .failure(NotRenderable(message: "its provenance does not record the phantom settings (written before MedSynth recorded them)"))
        }
        guard (try? JSONSerialization.jsonObject(with: Data(p.transformsJSON.utf8)) as? [Any])?.isEmpty ?? false else {
            return .failure(NotRenderable(message: "it was augmented (its transforms are not empty), so the phantom no longer describes its geometry"))
        }
        guard settings.shape == labels.shape, settings.affine.isClose(to: labels.affine, tolerance: 1e-4) else {
            return .failure(NotRenderable(message: "its grid \(labels.shape) differs from the recorded phantom grid \(settings.shape)"))
        }
        guard let existing = try? JSONDecoder().decode([LesionRecord].self, from: Data(p.lesionsJSON.utf8)) else {
            return .failure(NotRenderable(message: "its lesion records cannot be read"))
        }
        if let other = existing.first(where: { $0.method != "phantom_inclusion" || $0.parameters == nil }) {
            return .failure(NotRenderable(message: "it has a '\(other.method)' lesion, which the phantom cannot render"))
        }
        // The default tissues in their default order (so the fractions sum as `medsynth phantom` sums them), others after.
        let defaults = LesionSettings().allowedTissues
        let tissues = defaults.filter { allowedLabels.contains($0.rawValue) }
            + allowedLabels.sorted().compactMap { Tissue(rawValue: $0) }.filter { !defaults.contains($0) }
        guard tissues.count == allowedLabels.count, !tissues.contains(.lesion), tissues.contains(.whiteMatter) else {
            return .failure(NotRenderable(message: "--allowed-labels \(allowedLabels.sorted()) must be tissue labels 0…9 including white matter (8), where phantom lesions are centred"))
        }
        for volume in stored.volumes where volume.modality == .unknown {
            return .failure(NotRenderable(message: "it holds a volume of unknown modality, which the phantom does not render"))
        }
        return .success(PhantomPlan(provenance: record, settings: settings, existing: existing, tissues: tissues))
    }

    /// The case rendered with its earlier and new lesions, volumes in the stored order; nil when the rendered label
    /// map differs from the stored one outside the new lesions' boxes.
    func renderThroughPhantom(_ plan: PhantomPlan, stored: MedSynthDataset.StoredCase, labels: Volume,
                              stream: SeededGenerator) throws -> (volumes: [Volume], lesions: [LesionRecord])? {
        var lesionSettings = settings
        lesionSettings.allowedTissues = plan.tissues
        lesionSettings.hostTissue = .whiteMatter
        // The phantom renders each lesion part with uniform properties (`PhantomInclusion`): no heterogeneity.
        lesionSettings.heterogeneityAmplitude = 0
        let inserter = try PhantomLesionInserter(phantom: try HeadPhantom(settings: plan.settings), settings: lesionSettings)
        let result = try inserter.render(plan.provenance.parameters, lesionStream: stream, count: perCase, existing: plan.existing)
        var inNewBox = [Bool](repeating: false, count: labels.voxels.count)
        for record in result.lesions { record.box.forEachVoxel(on: labels.shape) { _, g, _, _, _ in inNewBox[g] = true } }
        let rendered = result.phantomCase.labels.voxels
        for g in rendered.indices where !inNewBox[g] && rendered[g] != labels.voxels[g] { return nil }
        return (stored.volumes.map { result.phantomCase[$0.modality]! }, result.lesions)
    }
}

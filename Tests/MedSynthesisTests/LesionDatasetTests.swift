import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// `medsynth lesions` on a dataset, in-process: phantom provenance with the settings, rendering a phantom case
/// again with lesions, and the fallback to blending. HDF5 files are opened inside `HDF5TestGate.exclusive`.
@Suite struct LesionDatasetTests {
    /// A small phantom dataset (two cases without lesions, or with them), written once per call into `folder`.
    static func writePhantomDataset(_ url: URL, lesions: Bool) throws -> PhantomDatasetBuilder {
        var settings = HeadPhantomSettings().withShape(VolumeShape(depth: 24, height: 48, width: 48))
        settings.directionTableResolution = 32
        var lesionSettings = LesionSettings()
        lesionSettings.countRange = 1...1
        lesionSettings.radiusMedianMM = 9
        let builder = try PhantomDatasetBuilder(phantom: try HeadPhantom(settings: settings), lesionSettings: lesions ? lesionSettings : nil,
                                                seed: 5, caseCount: 2, commandLine: "test")
        let writer = try MedSynthDatasetWriter(url: url, configuration: DatasetRunConfiguration(["t": "1"]), plannedCaseCount: 2,
                                               overwrite: true, syncsToDisk: false)
        for n in 0..<2 { try writer.write(try builder.makeCase(n)) }
        try writer.close()
        return builder
    }

    static func lesionSettings(radius: Double = 9) -> LesionSettings {
        var s = LesionSettings()
        s.countRange = 1...1
        s.radiusMedianMM = radius
        return s
    }

    /// Phantom cases record their settings next to the drawn parameters, and `lesions --method phantom` renders
    /// the case again with the new lesion inside — the same volumes as `PhantomLesionInserter` makes directly,
    /// the earlier lesion rendered where it was, and nothing else changed.
    @Test func phantomCasesRecordSettingsAndRenderAgainWithLesions() throws {
        try HDF5TestGate.exclusive {
            let dir = try Fixtures.temporaryFolder("lesion-dataset")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("p.h5")
            let phantom = try Self.writePhantomDataset(url, lesions: true)
            let stored = try MedSynthDataset.readCase("case001", in: url)
            let record = try #require(try PhantomProvenance.parse(stored.provenance!.phantomParametersJSON, subject: url.path))
            #expect(record.settings == phantom.phantom.settings)
            #expect(record.parameters == phantom.phantom.drawParameters(seed: 5, index: 1))
            // The old reader's view (drawn parameters only) still decodes the same JSON.
            let plain = try JSONDecoder().decode(HeadPhantomCaseParameters.self, from: Data(stored.provenance!.phantomParametersJSON.utf8))
            #expect(plain == record.parameters)

            let builder = try LesionDatasetBuilder(source: url, settings: Self.lesionSettings(), allowedLabels: [7, 8, 9], seed: 3,
                                                   perCase: 1, method: .phantom, commandLine: "test")
            let made = try builder.makeCase(1)
            let lesions = try JSONDecoder().decode([LesionRecord].self, from: Data(made.provenance.lesionsJSON.utf8))
            let before = try JSONDecoder().decode([LesionRecord].self, from: Data(stored.provenance!.lesionsJSON.utf8))
            #expect(lesions.count == before.count + 1 && lesions.last?.method == "phantom_inclusion" && lesions.last?.index == before.count)
            #expect(Array(lesions.prefix(before.count)) == before)

            // Exactly what the inserter renders from the recorded parameters and the case's stream.
            let direct = try PhantomLesionInserter(phantom: phantom.phantom, settings: Self.lesionSettings())
                .render(record.parameters, lesionStream: SeededGenerator(seed: 3).split(1), count: 1, existing: before)
            for v in made.volumes { #expect(v == direct.phantomCase[v.modality]!, "\(v.modality)") }

            // Outside the new lesion's box the label map is the stored one; inside it there are new lesion voxels.
            let labels = made.volumes.first { $0.modality == .label }!, old = stored.volume(.label)!
            var inBox = [Bool](repeating: false, count: labels.voxels.count)
            lesions.last!.box.forEachVoxel(on: labels.shape) { _, g, _, _, _ in inBox[g] = true }
            #expect(labels.voxels.indices.allSatisfy { inBox[$0] || labels.voxels[$0] == old.voxels[$0] })
            #expect(labels.voxels.indices.contains { inBox[$0] && labels.voxels[$0] >= 10 && old.voxels[$0] < 10 })
        }
    }

    /// `auto` blends where the phantom cannot render the case (settings not recorded: an older dataset), and
    /// `phantom` then refuses, saying why; blending is the same as `--method blend`.
    @Test func autoFallsBackToBlendingAndPhantomExplains() throws {
        try HDF5TestGate.exclusive {
            let dir = try Fixtures.temporaryFolder("lesion-dataset-old")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("p.h5"), old = dir.appendingPathComponent("old.h5")
            _ = try Self.writePhantomDataset(url, lesions: false)
            // The same cases as a dataset written before the settings were recorded.
            let writer = try MedSynthDatasetWriter(url: old, configuration: DatasetRunConfiguration(["t": "2"]), plannedCaseCount: 2,
                                                   overwrite: true, syncsToDisk: false)
            for id in try MedSynthDataset.caseIDs(in: url) {
                let c = try MedSynthDataset.readCase(id, in: url)
                var p = c.provenance!
                p.phantomParametersJSON = try ProvenanceJSON.string(try PhantomProvenance.parse(p.phantomParametersJSON, subject: "")!.parameters)
                try writer.write(DatasetCase(id: id, volumes: c.volumes, provenance: p))
            }
            try writer.close()
            func builder(_ method: LesionDatasetBuilder.Method) throws -> LesionDatasetBuilder {
                try LesionDatasetBuilder(source: old, settings: Self.lesionSettings(), allowedLabels: [7, 8, 9], seed: 3, perCase: 1,
                                         method: method, commandLine: "test")
            }
            let auto = try builder(.auto).makeCase(0)
            #expect(auto.provenance.lesionsJSON.contains("\"volume_blend\""))
            #expect(auto.volumes == (try builder(.blend).makeCase(0)).volumes)
            do {
                _ = try builder(.phantom).makeCase(0)
                Issue.record("expected an error")
            } catch let e as MedSynthError {
                #expect(e.description.contains("does not record the phantom settings") && e.description.contains("--method blend"), "\(e)")
            }
            // With the settings recorded, auto renders through the phantom.
            let rendered = try LesionDatasetBuilder(source: url, settings: Self.lesionSettings(), allowedLabels: [7, 8, 9], seed: 3,
                                                    perCase: 1, method: .auto, commandLine: "test").makeCase(0)
            #expect(rendered.provenance.lesionsJSON.contains("\"phantom_inclusion\""))
        }
    }
}

import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// Lesions rendered into head-phantom cases through `PhantomInclusion`, and CarveMix transplants between cases.
@Suite struct LesionPhantomTests {
    @Test func phantomMetadataEqualsACountOverTheLabelMap() {
        for c in [LesionFixture.phantomCase, LesionFixture.phantomSubRegionCase] {
            #expect(!c.lesions.isEmpty)
            LesionModelTests.checkMetadata(c.phantomCase.labels, c.lesions)
        }
    }

    @Test func phantomLesionsLieInTheAllowedTissues() throws {
        let inserter = LesionFixture.phantomInserter()
        let c = LesionFixture.phantomCase
        let model = try inserter.phantom.anatomyModel(for: c.phantomCase.parameters)
        let allowed = inserter.model.settings.allowedTissues
        let s = c.phantomCase.labels.shape
        for k in 0..<s.depth {
            for j in 0..<s.height {
                for i in 0..<s.width where c.phantomCase.labels[k, j, i] >= 10 {
                    let f = model.tissueFractions(k: k, j: j, i: i)
                    let inside = allowed.reduce(0.0) { $0 + f[$1.rawValue] }
                    #expect(inside > 0, "lesion voxel (\(k), \(j), \(i)) has no brain tissue")
                }
            }
        }
        for record in c.lesions {
            let centre = record.parameters!.centerVoxel
            #expect(model.dominantTissue(k: centre[0], j: centre[1], i: centre[2]) == .whiteMatter)
        }
    }

    /// Where a lesion replaces its host (voxels that are white matter in the lesion-free render), the rendered change
    /// has the configured direction in every image; the recorded CT contrast is the inserted change over all of the
    /// lesion's voxels (mean with − without, HU), not a difference from the surroundings.
    /// PET is checked on the same case rendered without the PSF: blurred, a lesion's PET change on its white-matter
    /// voxels also carries the uptake it removed from grey matter next to it.
    @Test func phantomContrastFollowsTheConfiguredDirection() throws {
        var sharpSettings = LesionFixture.phantomSettings
        sharpSettings.pet.psfFWHMMM = 0
        let sharpPhantom = try HeadPhantom(settings: sharpSettings)
        let sharp = try PhantomLesionInserter(phantom: sharpPhantom, settings: LesionFixture.phantomInserter().model.settings)
            .makeCase(seed: 31, index: 0)
        let sharpPlain = try sharpPhantom.render(sharp.phantomCase.parameters)
        #expect(sharp.phantomCase.labels == LesionFixture.phantomCase.phantomCase.labels)
        let c = LesionFixture.phantomCase
        let plain = try LesionFixture.phantom.render(c.phantomCase.parameters)
        let with = [c.phantomCase.ct, c.phantomCase.t1, c.phantomCase.t2, c.phantomCase.flair, c.phantomCase.pet]
        let without = [plain.ct, plain.t1, plain.t2, plain.flair, plain.pet]
        for record in c.lesions where record.voxelCount >= 20 {
            var inHost: [Int] = [], all: [Int] = []
            record.box.forEachVoxel(on: plain.labels.shape) { _, g, _, _, _ in
                guard c.phantomCase.labels.voxels[g] >= 10 else { return }
                all.append(g)
                if plain.labels.voxels[g] == Tissue.whiteMatter.label { inHost.append(g) }
            }
            try #require(inHost.count >= 10, "lesion \(record.index) replaces \(inHost.count) white-matter voxels")
            func change(_ n: Int, _ voxels: [Int]) -> Double {
                voxels.reduce(0.0) { $0 + Double(with[n].voxels[$1] - without[n].voxels[$1]) } / Double(voxels.count)
            }
            #expect(change(0, inHost) < 0, "CT")
            #expect(change(1, inHost) < 0, "T1")
            #expect(change(2, inHost) > 0, "T2")
            #expect(change(3, inHost) > 0, "FLAIR")
            let petChange = inHost.reduce(0.0) { $0 + Double(sharp.phantomCase.pet.voxels[$1] - sharpPlain.pet.voxels[$1]) }
            #expect(petChange > 0, "PET (no PSF)")
            #expect(abs(try #require(record.contrast["CT"]) - change(0, all)) < 1e-3, "\(record.contrast)")
            #expect(abs(try #require(record.visibility?["CT"]).insertedChange - change(0, all)) < 1e-3)
        }
        // Hyperdense and PET-cold when configured so.
        var s = LesionFixture.settings(count: 2, radius: 7)
        s.wholeAppearance.ctDeltaHU = 50...70
        s.wholeAppearance.suvRatio = 0.2...0.4
        let hot = try PhantomLesionInserter(phantom: LesionFixture.phantom, settings: s).makeCase(seed: 31, index: 0)
        for record in hot.lesions where record.voxelCount >= 20 {
            #expect(try #require(record.contrast["CT"]) > 10, "\(record.contrast)")
            #expect(try #require(record.contrast["PET"]) < 0, "\(record.contrast)")
        }
    }

    @Test func phantomSubRegionsAreLabelled() throws {
        let c = LesionFixture.phantomSubRegionCase
        let labels = Set(c.phantomCase.labels.voxels.filter { $0 >= 10 })
        #expect(labels.isSubset(of: [11, 12, 13]) && labels.contains(12) && labels.contains(13), "\(labels)")
        for record in c.lesions {
            #expect(record.labels.allSatisfy { (11...13).contains($0) })
            #expect(record.parameters?.subRegions == true)
        }
    }

    @Test func phantomLesionsAreDeterministicAndLeaveTheRestAlone() throws {
        let again = try LesionFixture.phantomInserter().makeCase(seed: 31, index: 0)
        #expect(again.phantomCase.volumes == LesionFixture.phantomCase.phantomCase.volumes)
        #expect(again.lesions == LesionFixture.phantomCase.lesions)
        // Far from every lesion box the lesioned case equals the plain one (the PET blur reaches a few mm only).
        let plain = try LesionFixture.phantom.makeCase(seed: 31, index: 0)
        let lesioned = LesionFixture.phantomCase.phantomCase
        let boxes = LesionFixture.phantomCase.lesions.map(\.box)
        let s = plain.labels.shape
        var compared = 0
        for k in 0..<s.depth {
            for j in 0..<s.height {
                for i in 0..<s.width {
                    let near = boxes.contains { k >= $0.originK - 4 && k < $0.originK + $0.shape.depth + 4
                        && j >= $0.originJ - 8 && j < $0.originJ + $0.shape.height + 8
                        && i >= $0.originI - 8 && i < $0.originI + $0.shape.width + 8 }
                    guard !near else { continue }
                    let n = plain.labels.index(k: k, j: j, i: i)
                    compared += 1
                    if plain.labels.voxels[n] != lesioned.labels.voxels[n] || plain.t1.voxels[n] != lesioned.t1.voxels[n]
                        || plain.ct.voxels[n] != lesioned.ct.voxels[n] {
                        Issue.record("voxel (\(k), \(j), \(i)) changed far from every lesion")
                        return
                    }
                }
            }
        }
        #expect(compared > s.voxelCount / 2)
    }

    @Test func carveMixKeepsTheLabelAlignedWithThePastedIntensities() throws {
        // Donor: a phantom case with a lesion; recipient: another case of the same grid.
        let donor = LesionFixture.phantomCase.phantomCase
        let recipient = try LesionFixture.phantom.makeCase(seed: 40, index: 3)
        let source = LabelledCase(images: [donor.ct, donor.t1, donor.t2, donor.flair, donor.pet], labels: donor.labels)
        let target = LabelledCase(images: [recipient.ct, recipient.t1, recipient.t2, recipient.flair, recipient.pet],
                                  labels: recipient.labels)
        for preferSame in [true, false] {
            var settings = CarveMixSettings()
            settings.preferSameLocation = preferSame
            settings.minimumInsideFraction = 0.6
            var g = SeededGenerator(seed: 8)
            let (result, record) = try CarveMix.transplant(from: source, into: target, sourceCaseID: "case000",
                                                           settings: settings, using: &g)
            let shift = try #require(record.offsetVoxels)
            #expect(record.sourceCaseID == "case000" && record.method == "carvemix")
            let s = donor.labels.shape
            var lesionVoxels = 0
            for k in 0..<s.depth {
                for j in 0..<s.height {
                    for i in 0..<s.width where donor.labels[k, j, i] >= 10 {
                        lesionVoxels += 1
                        let t = (k + shift[0], j + shift[1], i + shift[2])
                        #expect(result.labels[t.0, t.1, t.2] == donor.labels[k, j, i])
                        for (pasted, original) in zip(result.images, source.images) {
                            #expect(pasted[t.0, t.1, t.2] == original[k, j, i], "\(pasted.modality) at \(t)")
                        }
                    }
                }
            }
            #expect(record.voxelCount == lesionVoxels)
            #expect(result.labels.voxels.filter { $0 >= 10 }.count == lesionVoxels)
            LesionModelTests.checkMetadata(result.labels, [record])
            if !preferSame { #expect(shift != [0, 0, 0]) }
        }
    }

    @Test func carveMixRefusesCasesThatDoNotFit() throws {
        let donor = LesionFixture.phantomCase.phantomCase
        let plain = try LesionFixture.phantom.makeCase(seed: 31, index: 0)
        var g = SeededGenerator(seed: 1)
        // No lesion in the donor.
        #expect(throws: MedSynthError.self) {
            try CarveMix.transplant(from: LabelledCase(images: [plain.ct], labels: plain.labels),
                                    into: LabelledCase(images: [plain.ct], labels: plain.labels), sourceCaseID: "x", using: &g)
        }
        // Another grid.
        let other = try HeadPhantom(settings: HeadPhantomSettings().withShape(VolumeShape(depth: 16, height: 32, width: 32))).makeCase(seed: 1, index: 0)
        #expect(throws: MedSynthError.self) {
            try CarveMix.transplant(from: LabelledCase(images: [donor.ct], labels: donor.labels),
                                    into: LabelledCase(images: [other.ct], labels: other.labels), sourceCaseID: "x", using: &g)
        }
    }
}

import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// `--lesion-type` on `medsynth lesions` and `medsynth phantom`.
@Suite struct LesionTypeCommandTests {
    /// A CT-only plaque is near isodense: dropped as invisible with the reason, or kept with --allow-invisible.
    @Test func ctOnlyPlaquesAreDroppedAndTheSummarySaysWhy() throws {
        let scratch = try Fixtures.temporaryFolder("lesion-type-plaque")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let grid = VolumeShape(depth: 32, height: 48, width: 48)
        let affine = Affine(spacingMM: SIMD3(1, 1, 1))
        var g = SeededGenerator(seed: 3)
        let ct = Volume(shape: grid, voxels: (0..<grid.voxelCount).map { _ in Float(30 + 8 * g.nextNormal()) }, affine: affine, modality: .ct)
        var mask = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in 4..<28 { for j in 4..<44 { for i in 4..<44 { mask[k, j, i] = 1 } } }
        let input = scratch.appendingPathComponent("ct.nii.gz"), maskURL = scratch.appendingPathComponent("mask.nii.gz")
        try VolumeIO.write(ct, to: input)
        try VolumeIO.write(mask, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let base = ["lesions", "--in", input.path, "--mask", maskURL.path, "--modality", "CT", "--per-case", "2", "--seed", "4",
                    "--lesion-type", "ms-plaque"]
        let r = try CommandRunner.run(base + ["--out", scratch.appendingPathComponent("a.nii.gz").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("0 lesion(s)") && r.stdout.contains("dropped (plaque, drawn lesion 0): CNR CT")
                && r.stdout.contains("in every image after 8 redraw(s)"), "\(r.stdout)")
        let kept = try CommandRunner.run(base + ["--out", scratch.appendingPathComponent("b.nii.gz").path, "--allow-invisible"])
        #expect(kept.status == 0 && kept.stdout.contains("(plaque): ") && kept.stdout.contains("kept although invisible (allowInvisible): CNR CT"),
                "\(kept.stdout) \(kept.stderr)")
        // A haemorrhage is visible on CT and its record says what it is.
        let haem = try CommandRunner.run(["lesions", "--in", input.path, "--mask", maskURL.path, "--modality", "CT", "--per-case", "1",
                                          "--seed", "4", "--lesion-type", "hemorrhage", "--lesion-radius", "5",
                                          "--out", scratch.appendingPathComponent("c.nii.gz").path, "--json"])
        #expect(haem.status == 0, "\(haem.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(haem.stdout.utf8)) as? [String: Any])
        let lesion = try #require((json["lesions"] as? [[String: Any]])?.first, "\(haem.stdout)")
        let parameters = try #require(lesion["parameters"] as? [String: Any])
        #expect(parameters["type"] as? String == "haemorrhage" && parameters["heterogeneity"] is [String: Any], "\(parameters)")
        let change = try #require(((lesion["visibility"] as? [String: Any])?["CT"] as? [String: Any])?["insertedChange"] as? Double)
        #expect(change > 10, "haemorrhage CT change \(change) HU")
    }

    @Test(arguments: [["lesions", "--in", "x.nii.gz", "--mask", "m.nii.gz", "--out", "y.nii.gz", "--lesion-type", "tumour"],
                      ["phantom", "--cases", "1", "--lesions", "1", "--lesion-type", "tumour", "--out", "p.h5"]])
    func unknownTypesAreRefusedListingTheValidNames(arguments: [String]) throws {
        let r = try CommandRunner.run(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains("'tumour' is not a lesion type") && r.stderr.contains("glioma, metastasis, haemorrhage, infarct, plaque"),
                "\(r.stderr)")
    }

    @Test func aTypeSetsItsOwnParts() throws {
        let r = try CommandRunner.run(["phantom", "--cases", "1", "--lesions", "1", "--lesion-type", "glioma", "--sub-regions", "--out", "p.h5"])
        #expect(r.status != 0 && r.stderr.contains("leave out --sub-regions"), "\(r.stderr)")
        let none = try CommandRunner.run(["phantom", "--cases", "1", "--lesion-type", "infarct", "--out", "p.h5"])
        #expect(none.status != 0 && none.stderr.contains("--lesion-type needs --lesions K"), "\(none.stderr)")
    }

    /// `medsynth phantom --lesion-type`: records carry the type, the run signs it, and a resume without the type is
    /// refused naming the key.
    @Test func phantomRecordsAndSignsTheType() throws {
        let scratch = try Fixtures.temporaryFolder("lesion-type-phantom")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("p.h5").path
        let base = ["phantom", "--cases", "1", "--shape", "32", "64", "64", "--seed", "3", "--lesions", "2", "--out", out]
        let r = try CommandRunner.run(base + ["--lesion-type", "infarct"])
        #expect(r.status == 0, "\(r.stderr)")
        let stored = try MedSynthDataset.readCase("case000", in: URL(fileURLWithPath: out))
        let lesions = try #require(try JSONSerialization.jsonObject(with: Data((stored.provenance?.lesionsJSON ?? "[]").utf8)) as? [[String: Any]])
        #expect(!lesions.isEmpty && lesions.allSatisfy { ($0["parameters"] as? [String: Any])?["type"] as? String == "infarct" }, "\(lesions)")
        let untyped = try CommandRunner.run(base)
        #expect(untyped.status != 0 && untyped.stderr.contains("lesion_type"), "\(untyped.stderr)")
    }
}

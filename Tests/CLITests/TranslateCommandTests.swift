import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// `medsynth translate` end to end, through the binary, on NIfTI, PNG and MedSynth-dataset inputs. The
/// checkpoint is a tiny freshly initialised CycleGAN (ngf 4, one residual block; CT ↔ T1) written by
/// `medsynth bench translate --prepare-only`. NIfTI and PNG files are made and read here; HDF5 files are opened
/// in-process only inside `HDF5TestGate.exclusive`.
@Suite struct TranslateCommandTests {
    /// A folder with a tiny CT → T1 CycleGAN checkpoint; returns (folder, checkpoint path).
    static func prepare(_ label: String) throws -> (folder: URL, checkpoint: String) {
        let folder = try Fixtures.temporaryFolder("translate-\(label)")
        let r = try CommandRunner.run(["bench", "translate", "--prepare-only", "--dir", folder.path, "--size", "16",
                                       "--depth", "8", "--ngf", "4", "--blocks", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return (folder, try #require(json["checkpoint"] as? String))
    }

    /// A seeded CT in HU with an oblique affine.
    static func ctVolume(depth: Int, height: Int, width: Int, seed: UInt64 = 4) -> Volume {
        var g = SeededGenerator(seed: seed)
        let voxels = (0..<(depth * height * width)).map { _ in Float(g.uniform(-1000, 1500).rounded()) }
        let affine = Affine(rowMajor: [0.7, 0.1, 0, -80, -0.05, 0.8, 0.2, -95, 0, -0.1, 2.0, 25, 0, 0, 0, 1])
        return Volume(shape: VolumeShape(depth: depth, height: height, width: width), voxels: voxels, affine: affine, modality: .ct)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    /// No temporary or partial files are left in `folder`.
    static func expectNoPartialFiles(in folder: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.contains { $0.contains(AtomicFile.temporaryMarker) }, "\(names)")
    }

    @Test func helpShowsExamples() throws {
        let r = try CommandRunner.run(["translate", "--help"])
        #expect(r.status == 0 && r.stdout.contains("Examples:") && r.stdout.contains("medsynth translate --checkpoint"), "\(r.stdout)")
    }

    @Test(arguments: [1, 2])
    func niftiKeepsShapeAffineAndVersion(version: Int) throws {
        let (folder, checkpoint) = try Self.prepare("nifti\(version)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("ct_odd.nii.gz"), output = folder.appendingPathComponent("t1.nii.gz")
        // 13 × 10 slices: padded to 16 × 12 for the generator and cropped back.
        try NIfTIFile.write(Self.ctVolume(depth: 5, height: 13, width: 10), to: input, dataType: .int16, version: version)
        let r = try CommandRunner.run(["translate", "--checkpoint", checkpoint, "--in", input.path, "--out", output.path,
                                       "--batch", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try Self.json(r.stdout)
        #expect(summary["input"] as? String == input.path && summary["output"] as? String == output.path)
        #expect(summary["direction"] as? String == "AtoB" && summary["slices"] as? Int == 5)
        #expect(summary["inputModality"] as? String == "CT" && summary["outputModality"] as? String == "T1")
        #expect((summary["seconds"] as? Double ?? 0) > 0 && (summary["slicesPerSecond"] as? Double ?? 0) > 0)
        #expect(r.stderr.contains("translate: slices 2/5 (batch 1/3") && r.stderr.contains("slices 5/5"), "\(r.stderr)")

        let source = try NIfTIFile.read(input), result = try NIfTIFile.read(output)
        #expect(result.format == (version == 2 ? .nifti2 : .nifti1) && result.storedDataType == "float32")
        #expect(result.volume.shape == source.volume.shape && result.volume.affine == source.volume.affine)
        #expect(result.volume.modality == .t1 && result.volume.unit == .arbitrary)
        try Self.expectNoPartialFiles(in: folder)

        // The plain summary is one line on stdout.
        let plain = try CommandRunner.run(["translate", "--checkpoint", checkpoint, "--in", input.path, "--out", output.path])
        #expect(plain.status == 0 && plain.stdout.split(separator: "\n").count == 1
                && plain.stdout.contains("(CT) →") && plain.stdout.contains("5 slices"), "\(plain.stdout)")
        // Same input, same checkpoint: the same bytes.
        #expect((try NIfTIFile.read(output)).volume.voxels == result.volume.voxels)
    }

    @Test func pngSliceMatchesTheSameSliceAsNIfTI() throws {
        let (folder, checkpoint) = try Self.prepare("png")
        defer { try? FileManager.default.removeItem(at: folder) }
        var ct = Self.ctVolume(depth: 1, height: 16, width: 12)
        ct.affine = Affine(spacingMM: SIMD3(0.7, 0.8, 1))
        let png = folder.appendingPathComponent("ct.png")
        try PNGFile.write(ct, to: png, bitDepth: 16, window: .ctFull)
        // The same slice as NIfTI, with the values the PNG reads back as.
        let read = try PNGFile.read(png).volume
        #expect(read.modality == .ct && read.unit == .hounsfield)
        let nifti = folder.appendingPathComponent("ct.nii")
        try NIfTIFile.write(read, to: nifti)

        let outPNG = folder.appendingPathComponent("t1.png"), outNIfTI = folder.appendingPathComponent("t1.nii")
        for (input, output) in [(png, outPNG), (nifti, outNIfTI)] {
            let r = try CommandRunner.run(["translate", "--checkpoint", checkpoint, "--in", input.path, "--out", output.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let fromPNG = try PNGFile.read(outPNG), fromNIfTI = try NIfTIFile.read(outNIfTI)
        #expect(fromPNG.storedDataType == "uint16")
        #expect(fromPNG.volume.modality == .t1 && fromPNG.volume.unit == .arbitrary && fromPNG.volume.shape == read.shape)
        #expect(Approx.isClose(fromPNG.volume.spacingMM.x, 0.7) && Approx.isClose(fromPNG.volume.spacingMM.y, 0.8))
        // The PNG's window is the T1 output window (a few hundred units wide): the values agree to half a 16-bit
        // step of it, well under 0.05.
        let window = try #require(fromPNG.notes.first { $0.contains("MedSynth window") })
        let values = fromNIfTI.volume.voxels
        #expect(values.max()! > values.min()!, "the translated slice is constant")
        let difference = Approx.maxAbsDifference(fromPNG.volume.voxels, values)
        #expect(difference <= 0.05, "PNG vs NIfTI differ by \(difference) (\(window))")
    }

    @Test func datasetCasesAreTranslatedWithLabelsAndProvenance() throws {
        let (folder, checkpoint) = try Self.prepare("dataset")
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("phantom.h5"), output = folder.appendingPathComponent("t1.h5")
        let p = try CommandRunner.run(["phantom", "--cases", "2", "--shape", "8", "16", "16", "--seed", "3", "--out", source.path])
        #expect(p.status == 0, "\(p.stderr)")
        let arguments = ["translate", "--checkpoint", checkpoint, "--in", source.path, "--out", output.path, "--batch", "3", "--json"]
        let r = try CommandRunner.run(arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try Self.json(r.stdout)
        #expect(summary["slices"] as? Int == 16 && summary["cases"] as? Int == 2 && summary["casesWritten"] as? Int == 2)
        #expect(r.stderr.contains("translate: case000 written (1/2 cases"), "\(r.stderr)")

        let (input0, translated0, translated1, configuration) = try HDF5TestGate.exclusive {
            (try MedSynthDataset.readCase("case000", in: source), try MedSynthDataset.readCase("case000", in: output),
             try MedSynthDataset.readCase("case001", in: output), try MedSynthDataset.runConfiguration(of: output))
        }
        for c in [translated0, translated1] {
            #expect(c.volumes.map(\.modality) == [.t1, .label], "\(c.id): \(c.volumes.map(\.modality))")
        }
        let ct = try #require(input0.volume(.ct)), t1 = try #require(translated0.volume(.t1))
        #expect(t1.shape == ct.shape && t1.affine == ct.affine && t1.unit == .arbitrary)
        #expect(translated0.volume(.label) == input0.volume(.label))

        let provenance = try #require(translated0.provenance)
        #expect(provenance.sourceCaseID == "case000" && provenance.caseIndex == 0)
        #expect(provenance.phantomParametersJSON == input0.provenance?.phantomParametersJSON)
        let transforms = try #require(try JSONSerialization.jsonObject(with: Data(provenance.transformsJSON.utf8)) as? [[String: Any]])
        let entry = try #require(transforms.last)
        #expect(entry["transform"] as? String == "translate" && entry["step"] as? Int == 0)
        let parameters = try #require(entry["parameters"] as? [String: Any])
        #expect(parameters["checkpoint"] as? String == URL(fileURLWithPath: checkpoint).standardizedFileURL.path)
        #expect(parameters["direction"] as? String == "AtoB" && parameters["trainingStep"] as? Int == 1)
        #expect(parameters["network"] as? String == "G_A" && (parameters["checkpointWeights"] as? String)?.hasPrefix("fnv1a64:") == true)
        #expect(configuration?.values["direction"] == "AtoB" && configuration?.values["command"] == "translate")

        // The same CT as a NIfTI volume gives the same T1.
        let nifti = folder.appendingPathComponent("case000_ct.nii"), niftiOut = folder.appendingPathComponent("case000_t1.nii")
        try NIfTIFile.write(ct, to: nifti)
        let single = try CommandRunner.run(["translate", "--checkpoint", checkpoint, "--in", nifti.path, "--out", niftiOut.path,
                                            "--batch", "3"])
        #expect(single.status == 0, "\(single.stderr)")
        #expect(Approx.maxAbsDifference(try NIfTIFile.read(niftiOut).volume.voxels, t1.voxels) <= 1e-3)

        // Running again resumes (nothing left to do); other arguments are refused unless --overwrite.
        let again = try CommandRunner.run(arguments)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.json(again.stdout)["casesSkipped"] as? Int == 2)
        #expect(again.stderr.contains("resuming"), "\(again.stderr)")
        let other = try CommandRunner.run(arguments.filter { $0 != "--json" } + ["--seed", "5"])
        #expect(other.status == 1 && other.stderr.hasPrefix("medsynth: error: \(output.path): was started with different arguments")
                && other.stderr.contains("seed"), "\(other.stderr)")
        let overwritten = try CommandRunner.run(arguments + ["--seed", "5", "--overwrite"])
        #expect(overwritten.status == 0, "\(overwritten.stderr)")
        #expect(try Self.json(overwritten.stdout)["casesWritten"] as? Int == 2)
        try Self.expectNoPartialFiles(in: folder)
    }

    @Test func errorsAreOneLineAndLeaveNoOutput() throws {
        let (folder, checkpoint) = try Self.prepare("errors")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("ct.nii.gz")
        try NIfTIFile.write(Self.ctVolume(depth: 3, height: 8, width: 8), to: input)
        func fails(_ arguments: [String], output: URL, mentioning words: [String]) throws {
            let r = try CommandRunner.run(["translate"] + arguments + ["--out", output.path])
            #expect(r.status == 1 && !r.signaled, "\(arguments): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("medsynth: error: "), "\(r.stderr)")
            for word in words { #expect(r.stderr.contains(word), "\(arguments): '\(word)' not in \(r.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: output.path), "\(output.lastPathComponent) was written")
        }
        let nii = folder.appendingPathComponent("out.nii.gz")
        try fails(["--checkpoint", folder.appendingPathComponent("missing.h5").path, "--in", input.path], output: nii,
                  mentioning: ["missing.h5"])
        try fails(["--checkpoint", input.path, "--in", input.path], output: nii, mentioning: ["ct.nii.gz"])
        try fails(["--checkpoint", checkpoint, "--in", input.path], output: folder.appendingPathComponent("out.h5"),
                  mentioning: ["out.h5", ".nii"])
        try fails(["--checkpoint", checkpoint, "--in", input.path], output: folder.appendingPathComponent("out.png"),
                  mentioning: ["out.png", "one slice", "3"])
        try fails(["--checkpoint", checkpoint, "--in", input.path, "--direction", "BtoA"], output: nii,
                  mentioning: ["ct.nii.gz", "expected a T1 volume"])
        try fails(["--checkpoint", checkpoint, "--in", input.path, "--modality", "PET"], output: nii,
                  mentioning: ["records modality CT", "--modality"])
        let tiny = folder.appendingPathComponent("tiny.nii")
        try NIfTIFile.write(Self.ctVolume(depth: 1, height: 3, width: 3), to: tiny)
        try fails(["--checkpoint", checkpoint, "--in", tiny.path], output: nii, mentioning: ["tiny.nii", "3×3", "--padding edge"])
        try Self.expectNoPartialFiles(in: folder)

        // A file that does not record its modality is accepted once --modality says what it holds.
        var unknown = Self.ctVolume(depth: 1, height: 8, width: 8)
        (unknown.modality, unknown.unit) = (.unknown, .arbitrary)
        let plain = folder.appendingPathComponent("plain.nii")
        try NIfTIFile.write(unknown, to: plain)
        try fails(["--checkpoint", checkpoint, "--in", plain.path], output: nii, mentioning: ["plain.nii", "--modality CT"])
        let r = try CommandRunner.run(["translate", "--checkpoint", checkpoint, "--in", plain.path, "--modality", "CT", "--out", nii.path])
        #expect(r.status == 0, "\(r.stderr)")
    }
}

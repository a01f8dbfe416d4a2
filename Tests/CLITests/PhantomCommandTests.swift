import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// End-to-end tests of `medsynth phantom` and `medsynth lesions`. HDF5 files are inspected through the binary
/// (`medsynth info --json`), never opened in this process (the serialized HDF5 suite counts identifiers
/// process-wide); NIfTI files are read here.
@Suite struct PhantomCommandTests {
    /// The arguments that made Tests/Fixtures/dataset/h5py_check_output.txt (with `--out dataset.h5`), from
    /// `python3 scripts/check_dataset_h5py.py dataset.h5`.
    static let fixtureArguments = ["phantom", "--cases", "2", "--shape", "32", "64", "64", "--seed", "11", "--lesions", "2",
                                   "--sub-regions", "--lesion-radius", "10"]

    @Test(arguments: [["phantom", "--help"], ["lesions", "--help"]])
    func helpShowsExamples(arguments: [String]) throws {
        let r = try CommandRunner.run(arguments)
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples:") && r.stdout.contains("medsynth \(arguments[0]) --"), "\(r.stdout)")
    }

    /// `medsynth info --json`'s tree of an HDF5 file.
    static func tree(_ path: String) throws -> [[String: Any]] {
        let r = try CommandRunner.run(["info", path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require(json?["tree"] as? [[String: Any]])
    }

    /// The tree as the listing lines of scripts/check_dataset_h5py.py.
    static func listing(_ tree: [[String: Any]]) -> [String] {
        tree.map { node -> (String, String) in
            let path = node["path"] as? String ?? "?"
            let attrs = ((node["attributes"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }.sorted().joined(separator: ",")
            guard node["kind"] as? String == "dataset" else { return (path, "G \(path) attrs=\(attrs)") }
            let shape = (node["shape"] as? [Int] ?? []).map(String.init).joined(separator: ", ")
            let chunks = (node["chunkShape"] as? [Int]).map { "(" + $0.map(String.init).joined(separator: ", ") + ")" } ?? "none"
            let filters = (node["filters"] as? [String] ?? []).joined(separator: ",")
            return (path, "D \(path) \(node["elementType"] as? String ?? "?") (\(shape)) chunks=\(chunks) filters=\(filters.isEmpty ? "none" : filters) attrs=\(attrs)")
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The lines of `section` ("## listing", "## values", …) of a committed h5py check: up to the next "## " line.
    static func section(_ name: String, of fixture: String) throws -> [String] {
        let lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: name), "the fixture has no \(name) section")
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.endIndex
        return Array(lines[(start + 1)..<end])
    }

    /// The per-case values of the file a command wrote against the `## values` section of the committed h5py
    /// check (scripts/check_dataset_h5py.py: numpy float64 statistics of the stored float32 volumes, and the label
    /// maps' histograms), recomputed here from the file (read in-process under `HDF5TestGate`).
    ///
    /// Label histograms must match exactly, min and max as float32 (the script prints them with %.9g, which
    /// round-trips float32). Mean and std (population, two passes, as numpy) within 1e-9 relative: the sums run in
    /// another order here (sequential; numpy pairwise), which changes float64 results by about 1e-13 relative.
    /// One voxel of a 32 × 64 × 64 volume changed by 1 % of the mean already moves the mean by 7.6e-8 relative,
    /// so any real change of the data (another seed, transform or parameter) fails.
    static func expectValuesMatch(_ fixture: String, file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var expected: [String: [String: String]] = [:]
        for line in try section("## values", of: fixture) where !line.isEmpty {
            let parts = line.split(separator: " ").map(String.init)
            var fields: [String: String] = [:]
            if parts.count == 3, parts[1] == "counts" { fields["counts"] = parts[2] }
            for part in parts.dropFirst() where part.contains("=") {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                fields[kv[0]] = kv[1]
            }
            expected[parts[0]] = fields
        }
        #expect(!expected.isEmpty, "the fixture's ## values section is empty", sourceLocation: sourceLocation)
        let cases = try HDF5TestGate.exclusive {
            try MedSynthDataset.caseIDs(in: file).map { try MedSynthDataset.readCase($0, in: file) }
        }
        var seen = Set<String>()
        for stored in cases {
            for volume in stored.volumes {
                let key = "\(stored.id)/\(volume.modality.rawValue)"
                seen.insert(key)
                guard let want = expected[key] else {
                    Issue.record("\(key) is not in the fixture's ## values", sourceLocation: sourceLocation)
                    continue
                }
                if volume.modality == .label {
                    var counts: [Float: Int] = [:]
                    for v in volume.voxels { counts[v, default: 0] += 1 }
                    let got = counts.keys.sorted().map { "\(Int($0)):\(counts[$0]!)" }.joined(separator: ",")
                    #expect(counts.keys.allSatisfy { $0 == $0.rounded() }, "\(key): non-integer labels", sourceLocation: sourceLocation)
                    #expect(got == want["counts"], "\(key): label counts \(got), h5py \(want["counts"] ?? "none")", sourceLocation: sourceLocation)
                    continue
                }
                let v = volume.voxels
                let n = Double(v.count)
                let mean = v.reduce(0.0) { $0 + Double($1) } / n
                let std = (v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
                let got: [String: Double] = ["min": Double(v.min() ?? .nan), "max": Double(v.max() ?? .nan), "mean": mean, "std": std]
                for field in ["min", "max", "mean", "std"] {
                    let reference = try #require(want[field].flatMap(Double.init), "\(key): no \(field) in the fixture", sourceLocation: sourceLocation)
                    let ok = field == "min" || field == "max"
                        ? Float(reference) == Float(got[field]!)
                        : Approx.isClose(got[field]!, reference, rtol: 1e-9, atol: 0)
                    #expect(ok, "\(key) \(field): \(got[field]!) here, \(reference) by h5py", sourceLocation: sourceLocation)
                }
            }
        }
        #expect(seen == Set(expected.keys), "volumes in the file \(seen.sorted()), in the fixture \(expected.keys.sorted())",
                sourceLocation: sourceLocation)
    }

    /// `medsynth phantom` with the fixture's arguments writes the structure (## listing) and the values (## values:
    /// per-volume statistics and label histograms) that h5py read from the committed run.
    @Test func writerOutputMatchesTheCommittedH5pyCheck() throws {
        let scratch = try Fixtures.temporaryFolder("phantom-fixture")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let r = try CommandRunner.run(Self.fixtureArguments + ["--out", "dataset.h5"], in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        let fixture = try String(contentsOf: Fixtures.url("dataset/h5py_check_output.txt"), encoding: .utf8)
        let lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "## listing")), end = try #require(lines.firstIndex(of: "## cases"))
        let expected = Array(lines[(start + 1)..<end])
        let actual = Self.listing(try Self.tree(scratch.appendingPathComponent("dataset.h5").path))
        #expect(actual == expected, "\(actual.joined(separator: "\n"))")
        #expect(fixture.contains("0 failed"), "the committed h5py check reports failures")
        try Self.expectValuesMatch(fixture, file: scratch.appendingPathComponent("dataset.h5"))
    }

    /// `medsynth augment` of that dataset (scripts/make_dataset_h5py_fixtures.sh): the listing and the per-case
    /// values (## values) match the committed h5py check of the augmented file, whose checks include every lesion
    /// record's voxel count, volume and centroid against the augmented label map.
    @Test func augmentOutputMatchesTheCommittedH5pyCheck() throws {
        let scratch = try Fixtures.temporaryFolder("augment-fixture")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let made = try CommandRunner.run(Self.fixtureArguments + ["--out", "dataset.h5"], in: scratch)
        #expect(made.status == 0, "\(made.stderr)")
        let config = Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml").path
        let r = try CommandRunner.run(["augment", "--in", "dataset.h5", "--config", config, "--per-case", "3", "--seed", "2",
                                       "--out", "augmented.h5"], in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        let fixture = try String(contentsOf: Fixtures.url("dataset/h5py_check_output_augment.txt"), encoding: .utf8)
        let lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "## listing")), end = try #require(lines.firstIndex(of: "## cases"))
        let actual = Self.listing(try Self.tree(scratch.appendingPathComponent("augmented.h5").path))
        #expect(actual == Array(lines[(start + 1)..<end]), "\(actual.joined(separator: "\n"))")
        #expect(fixture.contains("6 cases of 6 planned") && fixture.contains(" 0 failed"), "the committed h5py check reports failures")
        try Self.expectValuesMatch(fixture, file: scratch.appendingPathComponent("augmented.h5"))
    }

    /// `--settings FILE` overrides phantom settings: the cases record them and their drawn acquisition, and the same
    /// output with an edited file is another run (refused without --overwrite).
    @Test func settingsFileChangesTheRecordedSettingsAndTheRun() throws {
        let scratch = try Fixtures.temporaryFolder("phantom-settings")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("acq.yaml")
        try "mr: {t1Weighted: {repetitionTimeMS: 450, echoTimeMS: 12}}\nacquisitionVariation: null\n".write(to: file, atomically: true, encoding: .utf8)
        let arguments = ["phantom", "--cases", "1", "--shape", "16", "32", "32", "--seed", "4", "--settings", file.path, "--out", "s.h5"]
        let r = try CommandRunner.run(arguments, in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        // The T1w image follows the file's TR and TE (info's statistics of the two runs' T1 differ; CT does not).
        let plain = try CommandRunner.run(Array(arguments.prefix(9)) + ["--out", "p.h5"], in: scratch)
        #expect(plain.status == 0, "\(plain.stderr)")
        func mean(_ file: String, _ modality: String) throws -> Double {
            let info = try CommandRunner.run(["info", scratch.appendingPathComponent(file).path, "--json"])
            let images = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["images"] as? [[String: Any]] ?? []
            return try #require(images.first { $0["dataset"] as? String == "/cases/case000/\(modality)" }?["mean"] as? Double)
        }
        #expect(try mean("s.h5", "T1") != mean("p.h5", "T1"))
        #expect(try mean("s.h5", "label") == mean("p.h5", "label"))
        try "mr: {t1Weighted: {repetitionTimeMS: 460, echoTimeMS: 12}}\n".write(to: file, atomically: true, encoding: .utf8)
        let again = try CommandRunner.run(arguments, in: scratch)
        #expect(again.status != 0 && again.stderr.contains("phantom_settings_yaml"), "\(again.stderr)")
        try "mr: {t1Weigthed: {}}\n".write(to: file, atomically: true, encoding: .utf8)
        let typo = try CommandRunner.run(arguments + ["--overwrite"], in: scratch)
        #expect(typo.status != 0 && typo.stderr.contains("mr.t1Weigthed") && typo.stderr.contains(file.path), "\(typo.stderr)")
    }

    @Test func resumingWithOtherArgumentsIsRefusedInOneLine() throws {
        let scratch = try Fixtures.temporaryFolder("phantom-refuse")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let base = ["phantom", "--cases", "2", "--shape", "8", "16", "16", "--out", "d.h5"]
        let first = try CommandRunner.run(base + ["--seed", "1", "--json"], in: scratch)
        #expect(first.status == 0, "\(first.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        #expect(json?["written"] as? Int == 2 && json?["skipped"] as? Int == 0 && json?["total"] as? Int == 2)

        let again = try CommandRunner.run(base + ["--seed", "1"], in: scratch)
        #expect(again.status == 0 && again.stdout.contains("(0 written now, 2 already present)"), "\(again.stdout)")
        #expect(again.stderr.contains("resuming"), "\(again.stderr)")

        let other = try CommandRunner.run(base + ["--seed", "2"], in: scratch)
        #expect(other.status == 1)
        #expect(other.stderr.hasPrefix("medsynth: error: ") && other.stderr.filter { $0 == "\n" }.count == 1, "\(other.stderr)")
        #expect(other.stderr.contains("seed: '1' in the file, '2' now") && other.stderr.contains("--overwrite"), "\(other.stderr)")

        let overwritten = try CommandRunner.run(base + ["--seed", "2", "--overwrite"], in: scratch)
        #expect(overwritten.status == 0 && overwritten.stdout.contains("(2 written now, 0 already present)"), "\(overwritten.stdout)")
    }

    @Test func badArgumentsAreRefused() throws {
        for arguments in [["phantom", "--cases", "0", "--out", "x.h5"], ["phantom", "--cases", "1", "--out", "x.nii"],
                          ["phantom", "--cases", "1", "--sub-regions", "--out", "x.h5"],
                          ["phantom", "--cases", "1", "--shape", "4", "4", "--out", "x.h5"]] {
            let r = try CommandRunner.run(arguments)
            #expect(r.status != 0, "\(arguments) was accepted")
        }
    }

    @Test func lesionsOnADatasetRecordTheSourceAndAddLabels() throws {
        let scratch = try Fixtures.temporaryFolder("lesions-dataset")
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(try CommandRunner.run(["phantom", "--cases", "2", "--shape", "32", "64", "64", "--seed", "3", "--out", "src.h5"], in: scratch).status == 0)
        let r = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "les.h5", "--per-case", "2", "--seed", "5",
                                       "--lesion-radius", "10"], in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        let tree = try Self.tree(scratch.appendingPathComponent("les.h5").path)
        let case0 = try #require(tree.first { $0["path"] as? String == "/cases/case000" })
        let attrs = Dictionary(uniqueKeysWithValues: ((case0["attributes"] as? [[String: Any]]) ?? []).map {
            ($0["name"] as! String, $0["value"] as! String)
        })
        #expect(attrs["source_case_id"] == "\"case000\"")
        #expect(attrs["lesions"]?.hasPrefix("\"[{") == true, "\(attrs["lesions"] ?? "")")
        // The label map now holds lesion labels: its maximum is 10.
        let info = try CommandRunner.run(["info", scratch.appendingPathComponent("les.h5").path, "--json"])
        let images = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["images"] as? [[String: Any]] ?? []
        let label = try #require(images.first { $0["dataset"] as? String == "/cases/case000/label" })
        #expect(label["max"] as? Double == 10)
        // Its input left alone, the output is resumable like any dataset.
        let again = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "les.h5", "--per-case", "2", "--seed", "5",
                                           "--lesion-radius", "10"], in: scratch)
        #expect(again.status == 0 && again.stdout.contains("(0 written now, 2 already present)"), "\(again.stdout)")
        // The summary counts the lesions the output holds beyond its input's, also for a resumed run.
        #expect(again.stdout.contains("lesions placed"), "\(again.stdout)")
        let json = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "les.h5", "--per-case", "2", "--seed", "5",
                                          "--lesion-radius", "10", "--json"], in: scratch)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["lesionsRequested"] as? Int == 4)
        let placed = try #require(report["lesionsPlaced"] as? Int)
        #expect(placed >= 2 && placed <= 4)   // case000 holds at least one new lesion, case001 too (both 32x64x64 heads)
        #expect(again.stdout.contains(placed == 4 ? "; 4 lesions placed" : "; \(placed) of 4 lesions placed"), "\(again.stdout)")
    }

    /// `--mask` on a dataset restricts every case's lesions to the mask (blended there); a mask on another grid is
    /// refused naming `--mask`, and a mask is part of the run's arguments.
    @Test func lesionsOnADatasetStayInsideTheMask() throws {
        let scratch = try Fixtures.temporaryFolder("lesions-dataset-mask")
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(try CommandRunner.run(["phantom", "--cases", "2", "--shape", "32", "64", "64", "--seed", "3", "--out", "src.h5"], in: scratch).status == 0)
        let info = try CommandRunner.run(["info", scratch.appendingPathComponent("src.h5").path, "--json", "--dataset", "/cases/case000/label"])
        let images = (try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["images"] as? [[String: Any]] ?? []
        let affine = Affine(rowMajor: try #require(images.first?["affine"] as? [Double]))
        // The mask: one block of the left hemisphere's white matter region.
        let grid = VolumeShape(depth: 32, height: 64, width: 64)
        let block = (k: 12..<22, j: 22..<42, i: 14..<30)
        var mask = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in block.k { for j in block.j { for i in block.i { mask.voxels[mask.index(k: k, j: j, i: i)] = 1 } } }
        let maskURL = scratch.appendingPathComponent("mask.nii.gz")
        try VolumeIO.write(mask, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let r = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "les.h5", "--mask", maskURL.path, "--per-case", "1",
                                       "--seed", "5", "--lesion-radius", "4", "--allowed-labels", "7,8,9", "--json"], in: scratch)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(report["lesionsPlaced"] as? Int == 2, "\(r.stdout)")
        for id in ["case000", "case001"] {
            let labelURL = scratch.appendingPathComponent("\(id)_label.nii.gz")
            let c = try CommandRunner.run(["convert", scratch.appendingPathComponent("les.h5").path, labelURL.path, "--dataset", "/cases/\(id)/label"])
            #expect(c.status == 0, "\(c.stderr)")
            let labels = try VolumeIO.read(labelURL).volume
            var sum = SIMD3<Double>(repeating: 0), count = 0.0
            for k in 0..<32 { for j in 0..<64 { for i in 0..<64 where labels.voxels[labels.index(k: k, j: j, i: i)] >= 9.5 {
                sum += SIMD3(Double(k), Double(j), Double(i)); count += 1
            } } }
            #expect(count > 0)
            let centre = sum / max(count, 1)
            #expect(block.k.contains(Int(centre.x)) && block.j.contains(Int(centre.y)) && block.i.contains(Int(centre.z)), "\(id): lesion centre \(centre)")
        }
        // Another mask is another run; a mask on another grid is refused.
        mask.voxels[mask.index(k: 12, j: 22, i: 14)] = 0
        try VolumeIO.write(mask, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let again = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "les.h5", "--mask", maskURL.path, "--per-case", "1",
                                           "--seed", "5", "--lesion-radius", "4", "--allowed-labels", "7,8,9"], in: scratch)
        #expect(again.status != 0 && again.stderr.contains("mask_voxels"), "\(again.stderr)")
        let small = Volume(shape: VolumeShape(depth: 16, height: 64, width: 64), filledWith: 1, affine: affine, modality: .label)
        try VolumeIO.write(small, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let wrong = try CommandRunner.run(["lesions", "--in", "src.h5", "--out", "other.h5", "--mask", maskURL.path], in: scratch)
        #expect(wrong.status != 0 && wrong.stderr.contains("--mask") && wrong.stderr.contains("16x64x64"), "\(wrong.stderr)")
    }

    @Test func lesionsOnAVolumeWriteTheImageAndItsLabelMap() throws {
        let scratch = try Fixtures.temporaryFolder("lesions-volume")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let grid = VolumeShape(depth: 36, height: 64, width: 64)
        let affine = Affine(spacingMM: SIMD3(1, 1, 2))
        var g = SeededGenerator(seed: 1)
        let flair = Volume(shape: grid, voxels: (0..<grid.voxelCount).map { _ in Float(500 + 10 * g.nextNormal()) }, affine: affine, modality: .unknown)
        var mask = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in 4..<32 { for j in 6..<58 { for i in 6..<58 { mask[k, j, i] = 1 } } }
        let input = scratch.appendingPathComponent("flair.nii.gz"), maskURL = scratch.appendingPathComponent("mask.nii.gz")
        try VolumeIO.write(flair, to: input)
        try VolumeIO.write(mask, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let out = scratch.appendingPathComponent("out.nii.gz")
        // The modality is needed: the NIfTI does not say.
        let missing = try CommandRunner.run(["lesions", "--in", input.path, "--mask", maskURL.path, "--out", out.path])
        #expect(missing.status == 1 && missing.stderr.contains("--modality"), "\(missing.stderr)")
        let r = try CommandRunner.run(["lesions", "--in", input.path, "--mask", maskURL.path, "--modality", "FLAIR",
                                       "--out", out.path, "--per-case", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let labels = try VolumeIO.read(scratch.appendingPathComponent("out_label.nii.gz")).volume
        let image = try VolumeIO.read(out).volume
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let lesions = try #require(json?["lesions"] as? [[String: Any]])
        #expect(lesions.count == 2)
        let lesionVoxels = labels.voxels.indices.filter { labels.voxels[$0] == 10 }
        #expect(lesions.reduce(0) { $0 + ($1["voxelCount"] as? Int ?? 0) } == lesionVoxels.count)
        #expect(abs(lesions.reduce(0.0) { $0 + ($1["volumeMM3"] as? Double ?? 0) } - Double(lesionVoxels.count) * 2) < 1e-6)
        #expect(lesionVoxels.allSatisfy { mask.voxels[$0] == 1 })
        let inside = lesionVoxels.map { Double(image.voxels[$0]) }.reduce(0, +) / Double(lesionVoxels.count)
        #expect(inside > 560, "FLAIR inside the lesions \(inside), host 500")   // FLAIR hyperintense
    }

    /// A lesion below --minimum-cnr in every image is dropped and the summary says why; --allow-invisible keeps it
    /// and says so; the JSON records the inserted change, σ and CNR per image.
    @Test func lesionsBelowTheVisibilityThresholdAreDroppedOrKeptAndSaid() throws {
        let scratch = try Fixtures.temporaryFolder("lesions-visibility")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let grid = VolumeShape(depth: 32, height: 48, width: 48)
        let affine = Affine(spacingMM: SIMD3(1, 1, 1))
        var g = SeededGenerator(seed: 2)
        let t1 = Volume(shape: grid, voxels: (0..<grid.voxelCount).map { _ in Float(184 + 8 * g.nextNormal()) }, affine: affine, modality: .t1)
        var mask = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in 4..<28 { for j in 4..<44 { for i in 4..<44 { mask[k, j, i] = 1 } } }
        let input = scratch.appendingPathComponent("t1.nii.gz"), maskURL = scratch.appendingPathComponent("mask.nii.gz")
        try VolumeIO.write(t1, to: input)
        try VolumeIO.write(mask, to: maskURL, options: VolumeWriteOptions(niftiDataType: .uint8))
        let base = ["lesions", "--in", input.path, "--mask", maskURL.path, "--modality", "T1", "--per-case", "2", "--seed", "4"]
        // Default threshold: every lesion visible, its record says by how much.
        let r = try CommandRunner.run(base + ["--out", scratch.appendingPathComponent("a.nii.gz").path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lesions = try #require(json["lesions"] as? [[String: Any]])
        #expect(!lesions.isEmpty && (json["dropped"] as? [Any])?.isEmpty == true, "\(r.stdout)")
        for l in lesions {
            let v = try #require((l["visibility"] as? [String: Any])?["T1"] as? [String: Any], "\(l)")
            let cnr = try #require(v["cnr"] as? Double), change = try #require(v["insertedChange"] as? Double)
            let sigma = try #require(v["noiseSigma"] as? Double)
            #expect(cnr >= 1 && v["visible"] as? Bool == true && abs(abs(change) / sigma - cnr) < 1e-9, "\(v)")
            #expect(abs(sigma / 8 - 1) < 0.15, "estimated σ \(sigma), made with 8")
        }
        // A threshold no lesion reaches: all dropped, with the values.
        let strict = try CommandRunner.run(base + ["--out", scratch.appendingPathComponent("b.nii.gz").path, "--minimum-cnr", "1000"])
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(strict.stdout.contains("0 lesion(s)") && strict.stdout.contains("dropped (drawn lesion 0): CNR T1")
                && strict.stdout.contains("< 1000 in every image after 8 redraw(s)"), "\(strict.stdout)")
        let none = try VolumeIO.read(scratch.appendingPathComponent("b_label.nii.gz")).volume
        #expect(!none.voxels.contains { $0 >= 10 })
        // --allow-invisible keeps them, labelled only where the image changed, and says so.
        let out = scratch.appendingPathComponent("c.nii.gz")
        let kept = try CommandRunner.run(base + ["--out", out.path, "--minimum-cnr", "1000", "--allow-invisible"])
        #expect(kept.status == 0 && kept.stdout.contains("kept although invisible (allowInvisible): CNR T1"), "\(kept.stdout) \(kept.stderr)")
        let labels = try VolumeIO.read(scratch.appendingPathComponent("c_label.nii.gz")).volume
        let image = try VolumeIO.read(out).volume
        let labelled = labels.voxels.indices.filter { labels.voxels[$0] >= 10 }
        #expect(!labelled.isEmpty && labelled.allSatisfy { image.voxels[$0] != t1.voxels[$0] })
    }
}

import Foundation
import MedCore
import MedIO
import MedTensor
import MedTestSupport
import Testing
@testable import MedTraining

/// Small MedSynth-layout datasets written in the test, whose voxel values say where they are:
/// CT(k, j, i) = −1000 + (k·H + j)·W + i HU (inside −1024…2000, so the default CT window inverts it exactly) and
/// T1 = 2·CT + 3000, so a decoded pixel names its slice, row and column, and A and B of a pair must agree.
/// Labels are 8 in a box on the inner slices and 0 on the first and last slice (which must never be drawn).
enum SliceFixture {
    static let (depth, height, width) = (6, 24, 20)

    static func ct(_ k: Int, _ j: Int, _ i: Int) -> Float { Float(-1000 + (k * height + j) * width + i) }

    /// The (slice, row, column) a CT value encodes.
    static func position(ofCT value: Float) -> (k: Int, j: Int, i: Int) {
        let index = Int((value + 1000).rounded())
        return (index / (height * width), (index / width) % height, index % width)
    }

    static func volumes(shapeT1: VolumeShape? = nil, withLabels: Bool = true) -> [Volume] {
        let shape = VolumeShape(depth: depth, height: height, width: width)
        var ct = Volume(shape: shape, modality: .ct)
        var labels = Volume(shape: shape, modality: .label)
        for k in 0..<depth { for j in 0..<height { for i in 0..<width {
            ct[k, j, i] = Self.ct(k, j, i)
            if k > 0 && k < depth - 1 && (4..<20).contains(j) && (3..<17).contains(i) { labels[k, j, i] = 8 }
        } } }
        let t1: Volume
        if let s = shapeT1 {
            t1 = Volume(shape: s, voxels: (0..<s.voxelCount).map { Float($0) }, modality: .t1)
        } else {
            t1 = Volume(shape: shape, voxels: ct.voxels.map { 2 * $0 + 3000 }, modality: .t1)
        }
        return withLabels ? [ct, t1, labels] : [ct, t1]
    }

    /// Writes `cases` (id → volumes) to `name` in `folder`, and `sources` as `source_case_id` attributes.
    static func write(_ cases: [(String, [Volume])], to folder: URL, name: String,
                      sources: [String: String] = [:]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try HDF5VolumeStore.write(cases.flatMap { id, vs in vs.map { (caseID: id, volume: $0) } }, to: url)
        if !sources.isEmpty {
            let file = try HDF5File.open(url, writable: true)
            for (id, source) in sources {
                try file.root.group("/cases/\(id)").attributes.set("source_case_id", source)
            }
            try file.close()
        }
        return url
    }

    /// Two files: case000…case002, and case003, case004 plus case000_aug0 (an augmented copy of case000).
    static func standardFiles(in folder: URL) throws -> [URL] {
        [try write((0..<3).map { (String(format: "case%03d", $0), volumes()) }, to: folder, name: "one.h5"),
         try write([("case003", volumes()), ("case004", volumes()), ("case000_aug0", volumes())], to: folder,
                   name: "two.h5", sources: ["case000_aug0": "case000"])]
    }

    /// Paired CT → T1 options for the fixture: T1's window is its full range, so nothing is clipped.
    static func options(_ pairing: SlicePairing = .paired) -> SliceDatasetOptions {
        var o = SliceDatasetOptions(modalityA: .ct, modalityB: .t1, pairing: pairing)
        o.normalizationB = .percentiles(lower: 0, upper: 100)
        o.validationFraction = 0.4
        o.cropSize = 8
        o.batchSize = 3
        return o
    }

    /// Runs `body` with the fixture files, inside the HDF5 test gate; removes the folder afterwards.
    static func withFiles<T>(_ body: (URL, [URL]) throws -> T) throws -> T {
        let folder = try Fixtures.temporaryFolder("slicedata")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try HDF5TestGate.exclusive { try body(folder, try standardFiles(in: folder)) }
    }
}

@Suite struct SliceDatasetTests {
    /// Checks that every pixel of image n of `tensor` is the recorded crop of its slice: the CT value decodes
    /// to (slice, originRow + r, originColumn + c or its mirror), and T1 images decode through T1 = 2·CT + 3000.
    private func expectMatchesRecord(_ tensor: Tensor, _ samples: [SliceSample], mapping: (SliceSample) -> IntensityMapping,
                                     isT1: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let values = tensor.scalars
        for (n, s) in samples.enumerated() {
            let m = mapping(s)
            var bad = 0
            for r in 0..<s.height { for c in 0..<s.width {
                var v = m.physical(values[(n * s.height + r) * s.width + c])
                if isT1 { v = (v - 3000) / 2 }
                let p = SliceFixture.position(ofCT: v)
                let column = s.originColumn + (s.flipped ? s.width - 1 - c : c)
                if p.k != s.slice || p.j != s.originRow + r || p.i != column { bad += 1 }
            } }
            #expect(bad == 0, "\(bad) pixels of \(s) are not where the record says", sourceLocation: sourceLocation)
        }
    }

    @Test func splitIsByCaseSourceDisjointAndSeeded() throws {
        try SliceFixture.withFiles { _, files in
            let data = try SliceDataset(files: files, options: SliceFixture.options(), generator: SeededGenerator(seed: 1))
            let training = Set(data.trainingCases.map(\.caseID)), validation = Set(data.validationCases.map(\.caseID))
            #expect(training.isDisjoint(with: validation))
            #expect(training.union(validation) == ["case000", "case001", "case002", "case003", "case004", "case000_aug0"])
            // 5 source groups × 0.4 = 2 held out; the augmented copy sits with its original.
            let heldGroups = validation.map { $0 == "case000_aug0" ? "case000" : $0 }
            #expect(Set(heldGroups).count == 2)
            #expect(training.contains("case000") == training.contains("case000_aug0"))

            // Held-out cases never reach training batches; validation holds only them.
            var drawn = Set<String>()
            for _ in 0..<60 { for s in data.nextBatch().samplesA { drawn.insert(s.caseID) } }
            #expect(drawn == training)
            let validated = Set(data.validationBatches(batchSize: 4).flatMap { $0.samples.map(\.caseID) })
            #expect(validated == validation)

            // The split depends on splitSeed only (not the sampling generator), and some seed moves it.
            let other = try SliceDataset(files: files, options: SliceFixture.options(), generator: SeededGenerator(seed: 99))
            #expect(Set(other.validationCases.map(\.caseID)) == validation)
            var splits = Set<Set<String>>()
            for seed in 0..<8 as Range<UInt64> {
                var o = SliceFixture.options()
                o.splitSeed = seed
                splits.insert(Set(try SliceDataset(files: files, options: o, generator: SeededGenerator(seed: 1))
                    .validationCases.map(\.caseID)))
            }
            #expect(splits.count > 1)
            // The file order does not change the split.
            let reversed = try SliceDataset(files: files.reversed(), options: SliceFixture.options(), generator: SeededGenerator(seed: 1))
            #expect(Set(reversed.validationCases.map(\.caseID)) == validation)
        }
    }

    @Test func sameGeneratorSameBytesAndResumeContinuesExactly() throws {
        try SliceFixture.withFiles { _, files in
            for pairing in SlicePairing.allCases {
                let options = SliceFixture.options(pairing)
                let first = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 5))
                let second = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 5))
                let third = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 6))
                var differs = false
                var saved: SliceSamplerState? = nil
                var after: [(a: [Float], b: [Float])] = []
                // 40 batches of 3 from 12–16 training slices: several passes, so epoch changes are covered.
                for step in 0..<40 {
                    if step == 17 { saved = first.samplerState }
                    let x = first.nextBatch(), y = second.nextBatch(), z = third.nextBatch()
                    // Computed outside #expect: with Swift 6.3.1 in release, `#expect(p && q && r)` here made the
                    // next line's `differs = differs || …` evaluate to false although its right side was true.
                    let same = x.a.scalars == y.a.scalars && x.b.scalars == y.b.scalars && x.samplesA == y.samplesA
                    #expect(same)
                    if x.a.scalars != z.a.scalars { differs = true }
                    if step >= 17 { after.append((x.a.scalars, x.b.scalars)) }
                }
                #expect(differs)
                // A fresh dataset restored from the state (through JSON, as a checkpoint stores it) draws the same.
                let json = try JSONEncoder().encode(saved!)
                let resumed = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 5))
                try resumed.restore(try JSONDecoder().decode(SliceSamplerState.self, from: json))
                for expected in after {
                    let x = resumed.nextBatch()
                    #expect(x.a.scalars == expected.a && x.b.scalars == expected.b)
                }
                #expect(resumed.samplerState == first.samplerState)
                // Draws are per sample, so a state also resumes under another batch size: 3 batches of 1 equal
                // the next batch of 3.
                var single = options
                single.batchSize = 1
                let one = try SliceDataset(files: files, options: single, generator: SeededGenerator(seed: 5))
                try one.restore(first.samplerState)
                let three = first.nextBatch()
                let ones = (0..<3).map { _ in one.nextBatch() }
                #expect(ones.flatMap(\.a.scalars) == three.a.scalars && ones.flatMap(\.b.scalars) == three.b.scalars)
                #expect(ones.flatMap(\.samplesB) == three.samplesB)
            }
        }
    }

    @Test func pairedCropAndFlipAreIdenticalOnBothImages() throws {
        try SliceFixture.withFiles { _, files in
            let data = try SliceDataset(files: files, options: SliceFixture.options(), generator: SeededGenerator(seed: 2))
            var flips = 0, origins = Set<[Int]>(), slices = Set<Int>()
            for _ in 0..<40 {
                let batch = data.nextBatch()
                #expect(batch.a.shape == [3, 1, 8, 8] && batch.b.shape == [3, 1, 8, 8])
                #expect(batch.samplesA == batch.samplesB)
                #expect(batch.paired.realB.scalars == batch.b.scalars && batch.unpaired.realA.scalars == batch.a.scalars)
                let mappingA = { (s: SliceSample) in data.mapping(.a, fileIndex: s.fileIndex, caseID: s.caseID)! }
                let mappingB = { (s: SliceSample) in data.mapping(.b, fileIndex: s.fileIndex, caseID: s.caseID)! }
                expectMatchesRecord(batch.a, batch.samplesA, mapping: mappingA, isT1: false)
                expectMatchesRecord(batch.b, batch.samplesB, mapping: mappingB, isT1: true)
                for s in batch.samplesA {
                    flips += s.flipped ? 1 : 0
                    origins.insert([s.originRow, s.originColumn])
                    slices.insert(s.slice)
                    #expect((0...16).contains(s.originRow) && (0...12).contains(s.originColumn))
                }
            }
            #expect(flips > 20 && flips < 100)        // about half of 120
            #expect(origins.count > 30)
            #expect(slices == [1, 2, 3, 4])           // slices 0 and 5 have no foreground
            #expect(data.trainingSliceCountA == 4 * data.trainingCases.count)
        }
    }

    @Test func unpairedDrawsAreIndependentButEachImageMatchesItsRecord() throws {
        try SliceFixture.withFiles { _, files in
            let data = try SliceDataset(files: files, options: SliceFixture.options(.unpaired), generator: SeededGenerator(seed: 4))
            var different = 0
            for _ in 0..<20 {
                let batch = data.nextBatch()
                different += zip(batch.samplesA, batch.samplesB).filter { $0 != $1 }.count
                expectMatchesRecord(batch.a, batch.samplesA,
                                    mapping: { data.mapping(.a, fileIndex: $0.fileIndex, caseID: $0.caseID)! }, isT1: false)
                expectMatchesRecord(batch.b, batch.samplesB,
                                    mapping: { data.mapping(.b, fileIndex: $0.fileIndex, caseID: $0.caseID)! }, isT1: true)
            }
            #expect(different > 50)
            // A whole pass visits every training slice once.
            var single = SliceFixture.options(.unpaired)
            single.batchSize = 1
            let fresh = try SliceDataset(files: files, options: single, generator: SeededGenerator(seed: 4))
            var seen: [String] = []
            for _ in 0..<fresh.trainingSliceCountB { seen += fresh.nextBatch().samplesB.map { "\($0.caseID)/\($0.slice)" } }
            #expect(seen.count == fresh.trainingSliceCountB && Set(seen).count == seen.count)
        }
    }

    @Test func validationIsDeterministicWithMappingsBackToPhysicalUnits() throws {
        try SliceFixture.withFiles { _, files in
            var options = SliceFixture.options()
            options.validationCrop = .center
            let data = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 1))
            let pass1 = Array(data.validationBatches(batchSize: 3)), pass2 = Array(data.validationBatches(batchSize: 3))
            #expect(pass1.count == pass2.count && zip(pass1, pass2).allSatisfy { $0.a.scalars == $1.a.scalars && $0.samples == $1.samples })
            let samples = pass1.flatMap(\.samples)
            #expect(samples.count == data.validationSliceCount && samples.count == 4 * data.validationCases.count)
            for batch in pass1 {
                for (n, s) in batch.samples.enumerated() {
                    #expect(!s.flipped && s.height == 8 && s.width == 8 && s.originRow == 8 && s.originColumn == 6)
                    #expect(batch.mappingsA[n] == data.mapping(.a, fileIndex: s.fileIndex, caseID: s.caseID))
                    #expect(batch.mappingsB[n] == data.mapping(.b, fileIndex: s.fileIndex, caseID: s.caseID))
                }
                expectMatchesRecord(batch.a, batch.samples, mapping: { _ in batch.mappingsA[0] }, isT1: false)
                expectMatchesRecord(batch.b, batch.samples, mapping: { s in batch.mappingsB[batch.samples.firstIndex(of: s)!] }, isT1: true)
                // Network-output-shaped tensors map back to HU through the batch's mapping.
                let hu = batch.mappingsA[0].volume(fromNormalized: batch.a)
                #expect(hu.unit == .hounsfield && hu.shape.depth == batch.samples.count)
                #expect(SliceFixture.position(ofCT: hu.voxels[0]).k == batch.samples[0].slice)
            }
            // Full-size slices, and a fixed evenly spaced subset.
            options.validationCrop = .full
            options.validationSlices = 3
            let subset = try SliceDataset(files: files, options: options, generator: SeededGenerator(seed: 1))
            func key(_ s: SliceSample) -> String { "\(s.fileIndex)/\(s.caseID)/\(s.slice)" }
            let all = samples.map(key)
            let picked = Array(subset.validationBatches()).flatMap(\.samples)
            #expect(picked.count == 3 && picked.allSatisfy { $0.height == 24 && $0.width == 20 && $0.originRow == 0 })
            #expect(picked.map(key) == [all[0], all[all.count / 3], all[2 * all.count / 3]])
            // CT's typical mapping is the fixed window; T1's is the median of the training windows.
            #expect(data.typicalMapping(.a) == IntensityNormalization.standard(for: .ct).fixedMapping(modality: .ct))
            #expect(data.typicalMapping(.b).lowerValue == 1000 && data.typicalMapping(.b).unit == .arbitrary)
            #expect(data.cachedByteCount == 6 * 2 * SliceFixture.depth * SliceFixture.height * SliceFixture.width * 4)
        }
    }

    @Test func optionsDecodeWithDefaultsAndRejectUnknownKeys() throws {
        func decode(_ json: String) throws -> SliceDatasetOptions {
            try JSONDecoder().decode(SliceDatasetOptions.self, from: Data(json.utf8))
        }
        let o = try decode(#"{"modalityA": "ct", "modalityB": "flair", "pairing": "unpaired", "cropSize": 128, "normalizationB": {"method": "zScore"}}"#)
        #expect(o.modalityA == .ct && o.modalityB == .flair && o.pairing == .unpaired && o.cropSize == 128)
        #expect(o.resolvedNormalizationA == .ctWindow(lowerHU: -1024, upperHU: 2000) && o.resolvedNormalizationB == .zScore(clipSigma: 3))
        #expect(o.batchSize == 1 && o.validationFraction == 0.2 && o.randomFlip && o.foregroundSource == .labels)
        #expect(try JSONDecoder().decode(SliceDatasetOptions.self, from: JSONEncoder().encode(o)) == o)
        #expect(try decode("{}") == SliceDatasetOptions())
        #expect(try JSONDecoder().decode(SliceDatasetOptions.self, from: JSONEncoder().encode(SliceDatasetOptions())) == SliceDatasetOptions())
        #expect(try decode(#"{"cropSize": 0, "validationSlices": 0, "normalizationA": {"method": "standard"}}"#) == SliceDatasetOptions())
        expectDataError(.invalidArgument, mentioning: ["cropSise", "is not a setting of the data options", "cropSize"]) {
            _ = try decode(#"{"cropSise": 128}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["modalityB", "'MRI'", "CT, T1, T2, FLAIR, PET"]) {
            _ = try decode(#"{"modalityB": "MRI"}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["modalityB", "same as modalityA"]) {
            _ = try decode(#"{"modalityA": "T1", "modalityB": "t1"}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["validationFraction", "1.5"]) { _ = try decode(#"{"validationFraction": 1.5}"#) }
        expectDataError(.invalidArgument, mentioning: ["batchSize", "0"]) { _ = try decode(#"{"batchSize": 0}"#) }
        expectDataError(.invalidArgument, mentioning: ["normalizationB: is suvScaling", "maxSUV > 0"]) {
            _ = try decode(#"{"modalityB": "PET", "normalizationB": {"method": "suvScaling", "maxSUV": -1}}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["normalizationA.upperHu: is not a setting of a normalization"]) {
            _ = try decode(#"{"normalizationA": {"method": "ctWindow", "upperHu": 3071}}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["normalizationA.clipSigma: is 2.0", "method 'standard' does not use it"]) {
            _ = try decode(#"{"normalizationA": {"method": "standard", "clipSigma": 2}}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["cropSize", "-4", "0 (nil) for whole slices"]) { _ = try decode(#"{"cropSize": -4}"#) }
    }

    /// A run configuration with the data options as a section, as the trainers' configs hold them.
    private struct DataRunConfig: RunConfiguration, Equatable {
        var name = "run"
        var data = SliceDatasetOptions()
        func validate() throws {}
    }

    @Test func optionsLoadAsAConfigSection() throws {
        let yaml = """
        data:
          modalityB: PET
          pairing: unpaired
          cropSize: 128
          normalizationB:
            method: suvScaling
            maxSUV: 20
        """
        let r = try ConfigLoader.load(DataRunConfig.self, yaml: yaml, source: "run.yaml", overrides: ["data.batchSize=4"])
        var expected = SliceDatasetOptions(modalityA: .ct, modalityB: .pet, pairing: .unpaired)
        expected.cropSize = 128
        expected.normalizationB = .suvScaling(maxSUV: 20)
        expected.batchSize = 4
        #expect(r.value.data == expected)
        #expect(r.nonDefaults.map(\.key) == ["data.modalityB", "data.pairing", "data.normalizationB.method",
                                             "data.normalizationB.maxSUV", "data.cropSize", "data.batchSize"])
        #expect(try ConfigLoader.load(DataRunConfig.self, yaml: r.yaml, source: "saved.yaml").value == r.value)
        #expect(try ConfigLoader.load(DataRunConfig.self, yaml: "", source: "x").value.data == SliceDatasetOptions())
        // Unknown keys are refused by the loader; bad values by the options, with their dotted path.
        expectDataError(.invalidArgument, mentioning: ["data.cropSise", "did you mean 'data.cropSize'"]) {
            _ = try ConfigLoader.load(DataRunConfig.self, yaml: "data:\n  cropSise: 3\n", source: "run.yaml")
        }
        expectDataError(.invalidArgument, mentioning: ["data.batchSize", "at least 1"]) {
            _ = try ConfigLoader.load(DataRunConfig.self, yaml: "data:\n  batchSize: 0\n", source: "run.yaml")
        }
        expectDataError(.invalidArgument, mentioning: ["data.normalizationA.lowerHU", "method 'zScore' does not use it"]) {
            _ = try ConfigLoader.load(DataRunConfig.self, yaml: "data:\n  normalizationA: {method: zScore, lowerHU: -500}\n",
                                      source: "run.yaml")
        }
    }

    @Test func errorsNameTheFileTheCaseAndWhatIsThere() throws {
        let folder = try Fixtures.temporaryFolder("slicedata-errors")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HDF5TestGate.exclusive {
            let files = try SliceFixture.standardFiles(in: folder)
            let gen = SeededGenerator(seed: 1)
            // A modality no case has.
            var pet = SliceFixture.options()
            pet.modalityB = .pet
            pet.normalizationB = nil
            expectDataError(.notFound, mentioning: [files[0].path, "case 'case000'", "'PET'", "modalityB", "modalities present: CT, T1, label"]) {
                _ = try SliceDataset(files: files, options: pet, generator: gen)
            }
            // Label foreground without labels.
            let noLabels = try SliceFixture.write([("a", SliceFixture.volumes(withLabels: false)), ("b", SliceFixture.volumes(withLabels: false))],
                                                  to: folder, name: "nolabels.h5")
            expectDataError(.notFound, mentioning: [noLabels.path, "'label'", "foregroundSource", "modalities present: CT, T1"]) {
                _ = try SliceDataset(files: [noLabels], options: SliceFixture.options(), generator: gen)
            }
            var intensity = SliceFixture.options()
            intensity.foregroundSource = .intensity
            let byIntensity = try SliceDataset(files: [noLabels], options: intensity, generator: gen)
            #expect(byIntensity.trainingSliceCountA == 6)    // every CT slice is above −0.9 everywhere but air
            // Paired volumes of different shapes.
            let mismatched = try SliceFixture.write(
                [("m0", SliceFixture.volumes(shapeT1: VolumeShape(depth: 6, height: 12, width: 20))), ("m1", SliceFixture.volumes())],
                to: folder, name: "mismatch.h5")
            expectDataError(.mismatch, mentioning: [mismatched.path, "case 'm0'", "CT is 6x24x20 but T1 is 6x12x20", "co-registered"]) {
                _ = try SliceDataset(files: [mismatched], options: SliceFixture.options(), generator: gen)
            }
            // Too few cases for a split.
            let single = try SliceFixture.write([("only", SliceFixture.volumes())], to: folder, name: "single.h5")
            expectDataError(.invalidArgument, mentioning: ["validationFraction", single.path, "1 source case (only)", "at least 2"]) {
                _ = try SliceDataset(files: [single], options: SliceFixture.options(), generator: gen)
            }
            var noSplit = SliceFixture.options()
            noSplit.validationFraction = 0
            #expect(try SliceDataset(files: [single], options: noSplit, generator: gen).validationSliceCount == 0)
            // A crop larger than the slices; a CT window on MR; a file listed twice; a state for other data.
            var big = SliceFixture.options()
            big.cropSize = 32
            expectDataError(.invalidArgument, mentioning: ["cropSize", "32", "24x20", "case '"]) {
                _ = try SliceDataset(files: files, options: big, generator: gen)
            }
            var wrongUnit = SliceFixture.options()
            wrongUnit.normalizationB = .ctWindow(lowerHU: -1000, upperHU: 1000)
            expectDataError(.mismatch, mentioning: [files[0].path, "T1", "arbitrary", "HU"]) {
                _ = try SliceDataset(files: files, options: wrongUnit, generator: gen)
            }
            expectDataError(.invalidArgument, mentioning: ["listed twice"]) {
                _ = try SliceDataset(files: [files[0], files[0]], options: SliceFixture.options(), generator: gen)
            }
            let data = try SliceDataset(files: files, options: SliceFixture.options(), generator: gen)
            expectDataError(.mismatch, mentioning: ["sampler state", "signature"]) { try data.restore(byIntensity.samplerState) }
            // Too much filtering.
            var strict = SliceFixture.options()
            strict.minimumForegroundFraction = 0.9
            expectDataError(.invalidArgument, mentioning: ["minimumForegroundFraction", "0.9", "CT training slice"]) {
                _ = try SliceDataset(files: files, options: strict, generator: gen)
            }
            expectDataError(.notFound, mentioning: [folder.appendingPathComponent("missing.h5").path]) {
                _ = try SliceDataset(files: [folder.appendingPathComponent("missing.h5")], options: SliceFixture.options(), generator: gen)
            }
        }
    }

    @Test func labelMapsTravelWithTheBatchesWhenAskedFor() throws {
        let folder = try Fixtures.temporaryFolder("slicelabels")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HDF5TestGate.exclusive {
            var volumes = SliceFixture.volumes()
            // A label pattern without mirror symmetry, so a label crop flipped unlike A's would show.
            func label(_ k: Int, _ j: Int, _ i: Int) -> Float { Float((3 * j + 7 * i + k) % 14) }
            for k in 0..<SliceFixture.depth { for j in 0..<SliceFixture.height { for i in 0..<SliceFixture.width {
                volumes[2][k, j, i] = label(k, j, i)
            } } }
            let file = try SliceFixture.write((0..<3).map { (String(format: "case%03d", $0), volumes) }, to: folder, name: "labels.h5")
            var options = SliceFixture.options()
            options.validationFraction = 0.34
            let plain = try SliceDataset(files: [file], options: options, generator: SeededGenerator(seed: 2))
            let carrying = try SliceDataset(files: [file], options: options, generator: SeededGenerator(seed: 2),
                                            labelMapsRequiredBy: "test")
            #expect(!plain.carriesLabelMaps && carrying.carriesLabelMaps)
            #expect(carrying.cachedByteCount > plain.cachedByteCount)
            var flipped = 0
            for _ in 0..<12 {
                let (p, c) = (plain.nextBatch(), carrying.nextBatch())
                #expect(p.labels == nil)
                // Carrying label maps changes no draw.
                #expect(c.samplesA == p.samplesA && c.a.scalars == p.a.scalars && c.b.scalars == p.b.scalars)
                let labels = try #require(c.labels)
                #expect(labels.shape == c.a.shape && c.paired.labels?.scalars == labels.scalars)
                let (a, l) = (c.a.scalars, labels.scalars)
                for (n, s) in c.samplesA.enumerated() {
                    if s.flipped { flipped += 1 }
                    let m = try #require(carrying.mapping(.a, fileIndex: s.fileIndex, caseID: s.caseID))
                    var bad = 0
                    for r in 0..<s.height { for x in 0..<s.width {
                        let index = (n * s.height + r) * s.width + x
                        let p = SliceFixture.position(ofCT: m.physical(a[index]))
                        if l[index] != label(p.k, p.j, p.i) { bad += 1 }
                    } }
                    #expect(bad == 0, "\(bad) label pixels of \(s) are not those of the A pixel beside them")
                }
            }
            #expect(flipped > 0)
            #expect(carrying.samplerState == plain.samplerState)
        }
    }

    @Test func aRequiredLabelMapThatIsMissingIsNamedWithTheFileAndTheSetting() throws {
        let folder = try Fixtures.temporaryFolder("slicenolabels")
        defer { try? FileManager.default.removeItem(at: folder) }
        try HDF5TestGate.exclusive {
            let file = try SliceFixture.write((0..<3).map { (String(format: "case%03d", $0), SliceFixture.volumes(withLabels: false)) },
                                              to: folder, name: "nolabels.h5")
            var options = SliceFixture.options()
            options.foregroundSource = .intensity
            _ = try SliceDataset(files: [file], options: options, generator: SeededGenerator(seed: 1))   // loads without the need
            do {
                _ = try SliceDataset(files: [file], options: options, generator: SeededGenerator(seed: 1),
                                     labelMapsRequiredBy: "network.lesionL1Weight = 20.0")
                Issue.record("a dataset without label maps must be refused when they are required")
            } catch let e as MedSynthError {
                #expect(e.kind == .notFound && e.subject == file.path)
                #expect(e.message.contains("network.lesionL1Weight = 20.0") && e.message.contains("'label'") && e.message.contains("case000"),
                        "\(e.message)")
            }
        }
    }
}

import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport
import CHDF5

extension HDF5Tests {
    /// The MedSynth dataset writer: layout, provenance, resume, refusal, and what a kill leaves behind. Kills are
    /// done to the `medsynth phantom` binary (a separate process); the files are then read here, inside the
    /// serialized HDF5 suite.
    @Suite struct DatasetWriterTests {
        static func volume(_ modality: Modality, _ seed: Float) -> Volume {
            let shape = VolumeShape(depth: 3, height: 4, width: 5)
            return Volume(shape: shape, voxels: (0..<60).map { Float($0) * seed - 7 },
                          affine: Affine(spacingMM: SIMD3(0.5, 0.75, 2), originMM: SIMD3(1, 2, 3)), modality: modality)
        }

        static func makeCase(_ id: String, index: Int) -> DatasetCase {
            DatasetCase(id: id, volumes: [volume(.label, 0), volume(.ct, 1.5), volume(.t1, 0.25)],
                        provenance: CaseProvenance(commandLine: "medsynth test 'a b'", seed: 42, caseIndex: index,
                                                   sourceCaseID: index == 1 ? "src" : "", phantomParametersJSON: "{\"x\":1}",
                                                   lesionsJSON: "[{\"index\":0}]", transformsJSON: "[]"))
        }

        static let configuration = DatasetRunConfiguration(["command": "test", "seed": "1", "cases": "2"])

        @Test func writesTheVolumeLayoutWithProvenance() throws {
            let dir = try HDF5TestSupport.folder("dataset")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("d.h5")
            let writer = try MedSynthDatasetWriter(url: url, configuration: Self.configuration, plannedCaseCount: 2, overwrite: false)
            #expect(writer.resumedCaseIDs.isEmpty)
            let cases = [Self.makeCase("case000", index: 0), Self.makeCase("case001", index: 1)]
            for c in cases { try writer.write(c) }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["already holds case 'case000'"]) { try writer.write(cases[0]) }
            try writer.close()
            #expect(HDF5TestSupport.contents(dir) == ["d.h5"])

            #expect(try MedSynthDataset.caseIDs(in: url) == ["case000", "case001"])
            for c in cases {
                let stored = try MedSynthDataset.readCase(c.id, in: url)
                #expect(stored.provenance == c.provenance)
                #expect(stored.volumes.map(\.modality) == [.ct, .t1, .label])   // dataset-name order
                for v in c.volumes { #expect(stored.volume(v.modality) == v) }
            }
            #expect(try MedSynthDataset.runConfiguration(of: url) == Self.configuration)

            // The same dataset layout as HDF5VolumeStore writes: chunks, filters, attributes.
            let plain = dir.appendingPathComponent("plain.h5")
            try HDF5VolumeStore.write([(caseID: "case000", volume: Self.volume(.ct, 1.5))], to: plain)
            let a = try HDF5File.open(url), b = try HDF5File.open(plain)
            let ours = try a.root.dataset("cases/case000/CT"), theirs = try b.root.dataset("cases/case000/CT")
            #expect(ours.chunkShape == theirs.chunkShape && ours.filters == theirs.filters && ours.elementType == theirs.elementType)
            #expect(try ours.attributeNames() == theirs.attributeNames())
            #expect(try ours.read(as: Float.self) == theirs.read(as: Float.self))
            #expect(try a.root.attributes.string("format") == "medsynth-dataset")
            #expect(try a.root.attributes.int("format_version") == 1)
            #expect(try a.root.attributes.int("case_count") == 2)
            #expect(try a.root.attributes.string("run_signature") == Self.configuration.signature)
            #expect(try a.root.group("cases/case001").attributeNames() == CaseProvenance.attributeNames.sorted())
        }

        @Test func parallelSliceCompressionDecodesBitExactThroughHDF5Filters() throws {
            let dir = try HDF5TestSupport.folder("dataset-chunks")
            defer { try? FileManager.default.removeItem(at: dir) }
            // More slices than one compression batch, awkward values, a slice of noise and a constant one.
            let shape = VolumeShape(depth: 3 * Parallel.workerCount * SliceChunkCompressor.slicesPerWorkerAndBatch + 1, height: 7, width: 9)
            var g = SeededGenerator(seed: 3)
            var voxels = (0..<shape.voxelCount).map { _ in Float(g.nextNormal() * 1000) }
            voxels[0] = .nan; voxels[1] = -.infinity; voxels[2] = -0.0; voxels[3] = .leastNonzeroMagnitude
            for n in 0..<shape.sliceCount { voxels[shape.sliceCount + n] = 42 }
            let volume = Volume(shape: shape, voxels: voxels, modality: .pet)
            for level in [nil, 0, 1, 9] as [Int?] {
                for strategy in DeflateStrategy.allCases where level != nil || strategy == .runLength {
                    let name = "\(level.map(String.init) ?? "none")-\(strategy.rawValue)"
                    let url = dir.appendingPathComponent("l\(name).h5")
                    let w = try MedSynthDatasetWriter(url: url, configuration: Self.configuration, plannedCaseCount: 1,
                                                      overwrite: false, deflateLevel: level, deflateStrategy: strategy,
                                                      syncsToDisk: strategy == .standard)
                    try w.write(DatasetCase(id: "c", volumes: [volume], provenance: CaseProvenance(commandLine: "", seed: 0, caseIndex: 0)))
                    try w.close()
                    let back = try MedSynthDataset.readCase("c", in: url).volumes[0]
                    #expect(back.voxels.map(\.bitPattern) == voxels.map(\.bitPattern), "\(name)")
                    let ds = try HDF5File.open(url).root.dataset("cases/c/PET")
                    #expect(ds.filters == (level.map { ["shuffle", "deflate(\($0))"] } ?? []))
                }
            }
        }

        /// With the standard strategy every chunk is byte for byte what HDF5's own shuffle + deflate filters write
        /// (`HDF5VolumeStore` goes through them); run-length chunks are other, smaller-than-raw bytes.
        @Test func standardStrategyChunksEqualHDF5FilterOutput() throws {
            let dir = try HDF5TestSupport.folder("dataset-standard")
            defer { try? FileManager.default.removeItem(at: dir) }
            let shape = VolumeShape(depth: 5, height: 24, width: 32)
            var g = SeededGenerator(seed: 9)
            // A smooth ramp with noise inside a disc, constant background: like a phantom slice.
            let voxels = (0..<shape.voxelCount).map { n -> Float in
                let i = n % 32, j = (n / 32) % 24
                let inside = (i - 16) * (i - 16) + (j - 12) * (j - 12) < 100
                return inside ? Float(400 + 3 * i) + Float(g.nextNormal() * 5) : -1000
            }
            let volume = Volume(shape: shape, voxels: voxels, modality: .ct)
            let plain = dir.appendingPathComponent("plain.h5")
            try HDF5VolumeStore.write([(caseID: "c", volume: volume)], to: plain, deflateLevel: 4)
            for strategy in DeflateStrategy.allCases {
                let url = dir.appendingPathComponent("\(strategy.rawValue).h5")
                let w = try MedSynthDatasetWriter(url: url, configuration: Self.configuration, plannedCaseCount: 1, overwrite: false,
                                                  deflateLevel: 4, deflateStrategy: strategy)
                try w.write(DatasetCase(id: "c", volumes: [volume], provenance: CaseProvenance(commandLine: "", seed: 0, caseIndex: 0)))
                try w.close()
                let ours = try HDF5File.open(url).root.dataset("cases/c/CT"), theirs = try HDF5File.open(plain).root.dataset("cases/c/CT")
                var total = 0
                for k in 0..<shape.depth {
                    let a = try Self.rawChunk(ours, slice: k), b = try Self.rawChunk(theirs, slice: k)
                    total += a.count
                    if strategy == .standard { #expect(a == b, "slice \(k)") }
                }
                #expect(total < shape.voxelCount * 4, "\(strategy)")
            }
        }

        /// The stored (filtered) bytes of chunk `slice` of a dataset chunked per slice.
        static func rawChunk(_ ds: HDF5Dataset, slice k: Int) throws -> [UInt8] {
            let offset: [hsize_t] = [hsize_t(k), 0, 0]
            var size: hsize_t = 0
            #expect(H5Dget_chunk_storage_size(ds.handle.id, offset, &size) >= 0)
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var mask: UInt32 = 0
            #expect(bytes.withUnsafeMutableBytes { H5Dread_chunk(ds.handle.id, ms_h5p_default(), offset, &mask, $0.baseAddress) } >= 0)
            #expect(mask == 0)
            return bytes
        }

        /// The write benchmark writes every case per run, reports positive times and the file's compression.
        @Test func writeBenchmarkReportsThroughputAndRatio() throws {
            let dir = try HDF5TestSupport.folder("dataset-bench")
            defer { try? FileManager.default.removeItem(at: dir) }
            let modes = [DatasetWriteBenchmark.Mode(deflateLevel: nil), DatasetWriteBenchmark.Mode(deflateLevel: 4, syncsToDisk: false)]
            #expect(modes.map(\.name) == ["uncompressed", "rle-4-nosync"])
            let results = try DatasetWriteBenchmark.run(cases: [Self.makeCase("case000", index: 0), Self.makeCase("case001", index: 1)],
                                                        modes: modes, repetitions: 2, folder: dir)
            #expect(results.count == 2 && results.allSatisfy { $0.seconds.count == 2 && $0.megabytesPerSecond > 0 && $0.rawBytes == 2 * 3 * 240 })
            #expect(results[0].fileBytes > results[0].rawBytes && results[1].compressionRatio > 0)
            #expect(HDF5TestSupport.contents(dir).isEmpty)
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["repetitions"]) {
                _ = try DatasetWriteBenchmark.run(cases: [], modes: modes, repetitions: 0, folder: dir)
            }
        }

        @Test func resumesWithTheSameArgumentsAndRefusesOthers() throws {
            let dir = try HDF5TestSupport.folder("dataset-resume")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("d.h5")
            do {
                let w = try MedSynthDatasetWriter(url: url, configuration: Self.configuration, plannedCaseCount: 2, overwrite: false)
                try w.write(Self.makeCase("case000", index: 0))
                try w.close()
            }
            do {
                let w = try MedSynthDatasetWriter(url: url, configuration: Self.configuration, plannedCaseCount: 2, overwrite: false)
                #expect(w.resumedCaseIDs == ["case000"] && w.contains("case000") && !w.contains("case001"))
                var made: [Int] = []
                let summary = try w.writeMissing(caseIDs: ["case000", "case001"], make: { Self.makeCase("case00\($0)", index: $0) },
                                                 progress: { made.append($0.completed) })
                #expect(summary.written == 1 && summary.skipped == 1 && summary.total == 2 && made == [2])
                try w.close()
            }
            #expect(try MedSynthDataset.caseIDs(in: url) == ["case000", "case001"])
            // Other arguments: refused, naming what differs.
            let other = DatasetRunConfiguration(["command": "test", "seed": "2", "cases": "2"])
            HDF5TestSupport.expectError(.mismatch, mentioning: [url.path, "seed: '1' in the file, '2' now", "--overwrite"]) {
                _ = try MedSynthDatasetWriter(url: url, configuration: other, plannedCaseCount: 2, overwrite: false)
            }
            // --overwrite starts again.
            do {
                let w = try MedSynthDatasetWriter(url: url, configuration: other, plannedCaseCount: 2, overwrite: true)
                #expect(w.resumedCaseIDs.isEmpty)
                try w.close()
            }
            #expect(try MedSynthDataset.caseIDs(in: url).isEmpty)
            // A volume file without a run signature, and a damaged file, are not resumed.
            let plain = dir.appendingPathComponent("plain.h5")
            try HDF5VolumeStore.write([(caseID: "a", volume: Self.volume(.ct, 1))], to: plain)
            HDF5TestSupport.expectError(.unsupported, mentioning: ["not a resumable MedSynth dataset"]) {
                _ = try MedSynthDatasetWriter(url: plain, configuration: other, plannedCaseCount: 1, overwrite: false)
            }
            let junk = dir.appendingPathComponent("junk.h5")
            try Data(repeating: 7, count: 300).write(to: junk)
            HDF5TestSupport.expectError(.corrupt, mentioning: ["cannot resume", "--overwrite"]) {
                _ = try MedSynthDatasetWriter(url: junk, configuration: other, plannedCaseCount: 1, overwrite: false)
            }
        }

        // MARK: - Kills

        static let phantomArguments = ["phantom", "--cases", "5", "--shape", "16", "32", "32", "--seed", "9", "--lesions", "2"]

        /// Runs `medsynth` with extra environment; returns its exit status and whether a signal ended it.
        static func run(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> (Int32, Bool) {
            let process = Process()
            process.executableURL = try #require(CommandRunner.executable)
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
        }

        /// Every dataset's values and every attribute except `command_line`, by path.
        static func contents(_ url: URL) throws -> [String: String] {
            let file = try HDF5File.open(url)
            var out: [String: String] = [:]
            for node in try file.root.descendants() {
                switch node.kind {
                case .dataset:
                    let ds = try file.root.dataset(node.path)
                    out[node.path] = try ds.read(as: Float.self).map { String($0.bitPattern) }.joined(separator: ",")
                    for name in try ds.attributeNames() { out[node.path + "@" + name] = try ds.attributes.value(name).map { "\($0)" } }
                case .group:
                    let g = try file.root.group(node.path)
                    for name in try g.attributeNames() where name != "command_line" {
                        out[node.path + "@" + name] = "\(try g.attributes.value(name) ?? .string(""))"
                    }
                case .other: out[node.path] = "other"
                }
            }
            return out
        }

        /// Lesions' JSON is compared whole (attribute descriptions elide long strings).
        static func lesionJSON(_ url: URL) throws -> [String] {
            try MedSynthDataset.caseIDs(in: url).map { try MedSynthDataset.readCase($0, in: url).provenance?.lesionsJSON ?? "" }
        }

        @Test(arguments: ["written", "flushed", "linked"])
        func killAtACommitStepLeavesTheCommittedCasesAndResumes(stage: String) throws {
            let dir = try HDF5TestSupport.folder("dataset-kill")
            defer { try? FileManager.default.removeItem(at: dir) }
            let reference = try Self.run(Self.phantomArguments + ["--out", "ref.h5"], in: dir)
            #expect(reference == (0, false))
            let killed = try Self.run(Self.phantomArguments + ["--out", "d.h5"], in: dir,
                                      environment: ["MEDSYNTH_FAULT_INJECTION": "case002:\(stage)"])
            #expect(killed.1, "the fault injection did not kill the run")
            let url = dir.appendingPathComponent("d.h5"), ref = dir.appendingPathComponent("ref.h5")
            // The file opens, holds exactly the committed cases, and they read back whole.
            #expect(try MedSynthDataset.caseIDs(in: url) == ["case000", "case001"])
            for id in ["case000", "case001"] {
                let a = try MedSynthDataset.readCase(id, in: url), b = try MedSynthDataset.readCase(id, in: ref)
                #expect(a.volumes == b.volumes)
            }
            let resumed = try Self.run(Self.phantomArguments + ["--out", "d.h5"], in: dir)
            #expect(resumed == (0, false))
            #expect(try Self.contents(url) == Self.contents(ref))
            #expect(try Self.lesionJSON(url) == Self.lesionJSON(ref))
        }

        /// `augment` and `lesions` commit the same way: killed after linking their second case, they leave the
        /// committed cases, and resuming gives what an uninterrupted run gives (volumes, attributes, lesion JSON).
        @Test(arguments: ["augment", "lesions"])
        func derivedDatasetsResumeAfterAKill(command: String) throws {
            let dir = try HDF5TestSupport.folder("dataset-kill-\(command)")
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(try Self.run(Self.phantomArguments + ["--out", "src.h5"], in: dir) == (0, false))
            let config = Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml").path
            let arguments = command == "augment"
                ? ["augment", "--in", "src.h5", "--config", config, "--per-case", "2", "--seed", "6"]
                : ["lesions", "--in", "src.h5", "--per-case", "1", "--seed", "6", "--method", "blend"]
            let second = command == "augment" ? "case000_aug1" : "case001"
            #expect(try Self.run(arguments + ["--out", "ref.h5"], in: dir) == (0, false))
            let killed = try Self.run(arguments + ["--out", "d.h5"], in: dir, environment: ["MEDSYNTH_FAULT_INJECTION": "\(second):linked"])
            #expect(killed.1, "the fault injection did not kill the run")
            let url = dir.appendingPathComponent("d.h5"), ref = dir.appendingPathComponent("ref.h5")
            #expect(try MedSynthDataset.caseIDs(in: url).count == 1)
            #expect(try Self.run(arguments + ["--out", "d.h5"], in: dir) == (0, false))
            #expect(try MedSynthDataset.caseIDs(in: url) == MedSynthDataset.caseIDs(in: ref))
            #expect(try Self.contents(url) == Self.contents(ref))
            #expect(try Self.lesionJSON(url) == Self.lesionJSON(ref))
        }

        @Test func sigkillMidRunThenResumeEqualsAnUninterruptedRun() throws {
            let dir = try HDF5TestSupport.folder("dataset-sigkill")
            defer { try? FileManager.default.removeItem(at: dir) }
            let arguments = ["phantom", "--cases", "6", "--shape", "24", "48", "48", "--seed", "4", "--lesions", "2", "--sub-regions"]
            #expect(try Self.run(arguments + ["--out", "ref.h5"], in: dir) == (0, false))
            // Start a run, wait until it reports its second case (plain progress lines on a pipe), kill it.
            let process = Process()
            process.executableURL = try #require(CommandRunner.executable)
            process.arguments = arguments + ["--out", "d.h5"]
            process.currentDirectoryURL = dir
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var seen = ""
            let deadline = Date().addingTimeInterval(120)
            while !seen.contains("case001 written") && Date() < deadline {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(seen.contains("case001 written"), "progress: \(seen)")
            let url = dir.appendingPathComponent("d.h5"), ref = dir.appendingPathComponent("ref.h5")
            let present = try MedSynthDataset.caseIDs(in: url)
            #expect(present.count >= 2 && present.count < 6, "\(present)")
            for id in present { #expect(try MedSynthDataset.readCase(id, in: url).volumes == MedSynthDataset.readCase(id, in: ref).volumes) }
            #expect(try Self.run(arguments + ["--out", "d.h5"], in: dir) == (0, false))
            #expect(try Self.contents(url) == Self.contents(ref))
            #expect(try Self.lesionJSON(url) == Self.lesionJSON(ref))
        }

        @Test func sameArgumentsGiveByteIdenticalFiles() throws {
            let a = try HDF5TestSupport.folder("dataset-a"), b = try HDF5TestSupport.folder("dataset-b")
            defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
            for folder in [a, b] {
                #expect(try Self.run(Self.phantomArguments + ["--sub-regions", "--out", "d.h5"], in: folder) == (0, false))
            }
            // No timestamps and the same (relative) command line: the files are equal byte for byte.
            let da = try Data(contentsOf: a.appendingPathComponent("d.h5")), db = try Data(contentsOf: b.appendingPathComponent("d.h5"))
            #expect(da == db)
            #expect(try MedSynthDataset.caseIDs(in: a.appendingPathComponent("d.h5")).count == 5)
        }
    }
}

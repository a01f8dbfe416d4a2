import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Domain-randomised copies of a dataset's cases: the label map kept, images drawn per label, reproducible from
/// the seed, written and read back as a dataset; bad arguments and sources are errors naming them. HDF5 files are
/// opened inside `HDF5TestGate.exclusive`.
@Suite struct DomainRandomisedCopiesBuilderTests {
    static let shape = VolumeShape(depth: 4, height: 24, width: 24)
    static let labelValues: [Float] = [0, 2, 7, 41]

    /// Label map of case `n`: background 0, and bands of labels 2, 7 and 41 (shifted per case).
    static func labelMap(_ n: Int) -> Volume {
        var voxels = [Float](repeating: 0, count: shape.voxelCount)
        for k in 0..<shape.depth {
            for j in 0..<shape.height {
                for i in 2..<(shape.width - 2) {
                    voxels[(k * shape.height + j) * shape.width + i] = labelValues[1 + (i + j + n) / 8 % 3]
                }
            }
        }
        return Volume(shape: shape, voxels: voxels, affine: Affine(spacingMM: SIMD3(1, 1.2, 2.5), originMM: SIMD3(-10, -12, 4)),
                      modality: .label)
    }

    /// Writes a two-case source dataset (label map and a FLAIR each; case 1's provenance carries a lesion record)
    /// and optionally extra cases.
    static func writeSource(_ url: URL, extra: [DatasetCase] = [], count: Int = 2) throws {
        let writer = try MedSynthDatasetWriter(url: url, configuration: DatasetRunConfiguration(["t": "dr"]),
                                               plannedCaseCount: count + extra.count, overwrite: true, syncsToDisk: false)
        for n in 0..<count {
            let labels = labelMap(n)
            let flair = Volume(shape: shape, voxels: labels.voxels.map { $0 * 10 + 5 }, affine: labels.affine, modality: .flair)
            try writer.write(DatasetCase(id: "src\(n)", volumes: [labels, flair],
                                         provenance: CaseProvenance(commandLine: "fixture", seed: 1, caseIndex: n,
                                                                    lesionsJSON: n == 1 ? "[{\"labels\":[10]}]" : "[]",
                                                                    transformsJSON: n == 1 ? "[{\"name\":\"flip\"}]" : "[]")))
        }
        for c in extra { try writer.write(c) }
        try writer.close()
    }

    /// Runs `body` with a source dataset in a fresh folder.
    static func withSource<T>(extra: [DatasetCase] = [], count: Int = 2, _ body: (URL) throws -> T) throws -> T {
        try HDF5TestGate.exclusive {
            let dir = try Fixtures.temporaryFolder("dr-copies")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("source.h5")
            try writeSource(url, extra: extra, count: count)
            return try body(url)
        }
    }

    static func meanPerLabel(_ image: Volume, labels: Volume) -> [Float: Double] {
        var sums: [Float: (Double, Int)] = [:]
        for (v, l) in zip(image.voxels, labels.voxels) { sums[l, default: (0, 0)].0 += Double(v); sums[l, default: (0, 0)].1 += 1 }
        return sums.mapValues { $0.0 / Double($0.1) }
    }

    /// Every copy keeps the source's label map exactly; each slot holds a unit-less image in 0…1 on the same grid;
    /// the per-label means differ between copies; provenance names the source and records the draws.
    @Test func copiesKeepTheLabelMapAndDrawNewImages() throws {
        try Self.withSource { url in
            let builder = try DomainRandomisedCopiesBuilder(source: url, perCase: 2, modalities: [.flair, .t1], seed: 9, commandLine: "test")
            #expect(builder.caseIDs == ["src0_dr0", "src0_dr1", "src1_dr0", "src1_dr1"])
            var means: [[Float: Double]] = []
            for index in 0..<4 {
                let made = try builder.makeCase(index)
                let source = try MedSynthDataset.readCase("src\(index / 2)", in: url)
                let sourceLabels = try #require(source.volume(.label))
                #expect(made.id == builder.caseIDs[index])
                #expect(made.volumes.map(\.modality) == [.label, .flair, .t1])
                let labels = made.volumes[0]
                #expect(labels.voxels == sourceLabels.voxels && labels.shape == sourceLabels.shape)
                #expect(labels.affine == sourceLabels.affine && labels.unit == .label)
                for image in made.volumes.dropFirst() {
                    #expect(image.shape == Self.shape && image.affine == labels.affine && image.unit == .arbitrary)
                    #expect(image.voxels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
                }
                #expect(made.volumes[1].voxels != made.volumes[2].voxels)
                means.append(Self.meanPerLabel(made.volumes[1], labels: labels))
                #expect(made.provenance.sourceCaseID == "src\(index / 2)" && made.provenance.caseIndex == index && made.provenance.seed == 9)
                let transforms = try #require(try JSONSerialization.jsonObject(with: Data(made.provenance.transformsJSON.utf8)) as? [[String: Any]])
                let records = transforms.filter { $0["name"] as? String == "domain_randomisation" }
                #expect(records.count == 2 && transforms.count == (index / 2 == 1 ? 3 : 2))
                let first = try #require(records.first?["parameters"] as? [String: Any])
                #expect(first["slot"] as? String == "FLAIR")
                #expect(first["classes"] as? [String] == ["label 0", "label 2", "label 7", "label 41"])
                #expect((first["means"] as? [Double])?.count == 4)
                #expect(made.provenance.lesionsJSON == (index / 2 == 1 ? "[{\"labels\":[10]}]" : "[]"))
            }
            // Two copies of one case: other means per label.
            for l in Self.labelValues {
                #expect(abs((means[0][l] ?? 0) - (means[1][l] ?? 0)) > 1e-4, "label \(l)")
            }
        }
    }

    /// With no noise, blur, bias or gamma spread, each label is one constant value in the image: the image is the
    /// drawn mean of its label over the largest one.
    @Test func eachLabelIsConstantWithoutNoise() throws {
        var flat = DomainRandomisation()
        flat.standardDeviation = 0...0
        flat.resolutionMM = 0.5...0.5
        flat.biasStrength = 0...0
        flat.gammaLogStd = 0
        try Self.withSource { url in
            let made = try DomainRandomisedCopiesBuilder(source: url, perCase: 1, modalities: [.flair], seed: 2,
                                                         randomisation: flat, commandLine: "test").makeCase(0)
            let labels = made.volumes[0], image = made.volumes[1]
            let transforms = try #require(try JSONSerialization.jsonObject(with: Data(made.provenance.transformsJSON.utf8)) as? [[String: Any]])
            let drawn = try #require((transforms.last?["parameters"] as? [String: Any])?["means"] as? [Double])
            let peak = drawn.max() ?? 1
            for (c, l) in Self.labelValues.enumerated() {
                let values = zip(image.voxels, labels.voxels).filter { $0.1 == l }.map(\.0)
                #expect(!values.isEmpty)
                #expect(values.allSatisfy { abs(Double($0) - drawn[c] / peak) < 1e-5 }, "label \(l)")
            }
        }
    }

    /// The seed decides the bytes: the same seed (another builder) gives identical cases, another seed other
    /// images over the same label map. The copies write as a dataset and read back unchanged.
    @Test func sameSeedSameBytesAndTheCopiesWrite() throws {
        try Self.withSource { url in
            func build(_ seed: UInt64) throws -> DomainRandomisedCopiesBuilder {
                try DomainRandomisedCopiesBuilder(source: url, perCase: 2, modalities: [.flair], seed: seed, commandLine: "test")
            }
            let a = try build(3), b = try build(3), c = try build(4)
            for index in [0, 3] {
                let x = try a.makeCase(index), y = try b.makeCase(index), z = try c.makeCase(index)
                #expect(x == y)
                #expect(x.volumes[1].voxels.map(\.bitPattern) == y.volumes[1].voxels.map(\.bitPattern))
                #expect(z.volumes[0].voxels == x.volumes[0].voxels)
                #expect(z.volumes[1].voxels != x.volumes[1].voxels)
            }
            #expect(a.runConfiguration().signature == b.runConfiguration().signature)
            #expect(a.runConfiguration().signature != c.runConfiguration().signature)
            let out = url.deletingLastPathComponent().appendingPathComponent("copies.h5")
            let writer = try MedSynthDatasetWriter(url: out, configuration: a.runConfiguration(), plannedCaseCount: a.caseIDs.count,
                                                   overwrite: true, syncsToDisk: false)
            for n in a.caseIDs.indices { try writer.write(try a.makeCase(n)) }
            try writer.close()
            #expect(try MedSynthDataset.caseIDs(in: out) == a.caseIDs)
            let back = try MedSynthDataset.readCase("src1_dr1", in: out)
            let made = try a.makeCase(3)
            #expect(back.volume(.flair)?.voxels == made.volumes[1].voxels && back.volume(.label)?.voxels == made.volumes[0].voxels)
            #expect(back.provenance == made.provenance)
        }
    }

    /// Bad arguments and sources: `MedSynthError` naming the argument or the file.
    @Test func badArgumentsAreErrors() throws {
        func expectError(_ subject: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("expected an error naming \(subject)")
            } catch let e as MedSynthError {
                #expect(e.subject?.contains(subject) == true, "\(e)")
            } catch {
                Issue.record("expected a MedSynthError, got \(error)")
            }
        }
        let flairOnly = DatasetCase(id: "nolabels", volumes: [Volume(shape: Self.shape, filledWith: 3, modality: .flair)],
                                    provenance: CaseProvenance(commandLine: "fixture", seed: 1, caseIndex: 2))
        var fractional = Self.labelMap(0)
        fractional.voxels[100] = 2.5
        let fractionalCase = DatasetCase(id: "fractional", volumes: [fractional],
                                         provenance: CaseProvenance(commandLine: "fixture", seed: 1, caseIndex: 3))
        try Self.withSource(extra: [flairOnly, fractionalCase]) { url in
            func make(perCase: Int = 1, modalities: [Modality] = [.flair], seed: UInt64 = 1,
                      randomisation: DomainRandomisation = DomainRandomisation()) throws -> DomainRandomisedCopiesBuilder {
                try DomainRandomisedCopiesBuilder(source: url, perCase: perCase, modalities: modalities, seed: seed,
                                                  randomisation: randomisation, commandLine: "test")
            }
            expectError("--per-case") { _ = try make(perCase: 0) }
            expectError("--seed") { _ = try make(seed: UInt64(Int64.max) + 1) }
            expectError("--modalities") { _ = try make(modalities: []) }
            expectError("--modalities") { _ = try make(modalities: [.label]) }
            expectError("--modalities") { _ = try make(modalities: [.flair, .t1, .flair]) }
            var negative = DomainRandomisation()
            negative.mean = -5...10
            expectError("domainRandomisation.mean") { _ = try make(randomisation: negative) }
            let builder = try make()
            #expect(builder.sourceCaseIDs == ["fractional", "nolabels", "src0", "src1"])
            expectError(url.path) { _ = try builder.makeCase(1) }   // no label map
            expectError(url.path) { _ = try builder.makeCase(0) }   // a label 2.5
            let missing = url.deletingLastPathComponent().appendingPathComponent("missing.h5")
            expectError(missing.path) { _ = try DomainRandomisedCopiesBuilder(source: missing, perCase: 1, modalities: [.flair], seed: 1, commandLine: "t") }
            let garbage = url.deletingLastPathComponent().appendingPathComponent("garbage.h5")
            try Data("not an HDF5 file".utf8).write(to: garbage)
            expectError(garbage.path) { _ = try DomainRandomisedCopiesBuilder(source: garbage, perCase: 1, modalities: [.flair], seed: 1, commandLine: "t") }
        }
        try Self.withSource(count: 0) { url in
            expectError(url.path) { _ = try DomainRandomisedCopiesBuilder(source: url, perCase: 1, modalities: [.flair], seed: 1, commandLine: "t") }
        }
    }
}

import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    /// `medsynth lesions --carvemix` and `--method` end to end: the binary writes the datasets, which are read
    /// back here (attribute values are longer than `medsynth info` prints). These run inside the serialized HDF5
    /// suite, like the writer's kill tests, because they both start `medsynth` and open HDF5 files in-process.
    @Suite struct LesionsCommandTests {
        /// The provenance of case `id` of `file` in `dir`.
        static func provenance(_ dir: URL, _ file: String, _ id: String) throws -> CaseProvenance {
            try HDF5TestGate.exclusive { try #require(try MedSynthDataset.readProvenance(id, in: dir.appendingPathComponent(file))) }
        }

        /// The largest label of case `id` of `file` in `dir`.
        static func maxLabel(_ dir: URL, _ file: String, _ id: String) throws -> Float {
            try HDF5TestGate.exclusive {
                try #require(try MedSynthDataset.readCase(id, in: dir.appendingPathComponent(file)).volume(.label)?.voxels.max())
            }
        }

        @Test func carveMixTransplantsDonorLesionsDeterministically() throws {
            let dir = try Fixtures.temporaryFolder("lesions-carvemix")
            defer { try? FileManager.default.removeItem(at: dir) }
            func run(_ args: [String]) throws -> CommandRunner.Result {
                let r = try CommandRunner.run(args, in: dir)
                #expect(r.status == 0, "\(args): \(r.stderr)")
                return r
            }
            _ = try run(["phantom", "--cases", "2", "--shape", "24", "48", "48", "--seed", "11", "--lesions", "1",
                         "--lesion-radius", "12", "--out", "donors.h5"])
            _ = try run(["phantom", "--cases", "2", "--shape", "24", "48", "48", "--seed", "3", "--out", "healthy.h5"])
            for name in ["a.h5", "b.h5"] {
                _ = try run(["lesions", "--in", "healthy.h5", "--carvemix", "donors.h5", "--per-case", "1", "--seed", "4",
                             "--out", name, "--json"])
            }
            var transplanted = 0
            for id in ["case000", "case001"] {
                var a = try Self.provenance(dir, "a.h5", id), b = try Self.provenance(dir, "b.h5", id)
                a.commandLine = ""
                b.commandLine = ""
                #expect(a == b && a.sourceCaseID == id)
                if a.lesionsJSON.contains("\"carvemix\"") {
                    transplanted += 1
                    #expect(a.lesionsJSON.contains("\"sourceCaseID\"") && a.lesionsJSON.contains("\"offsetVoxels\""), "\(a.lesionsJSON)")
                    #expect(try Self.maxLabel(dir, "a.h5", id) >= 10)
                } else {
                    #expect(try Self.maxLabel(dir, "a.h5", id) < 10)
                }
            }
            #expect(transplanted >= 1, "no donor lesion found a place")

            // Donors without lesions, a NIfTI input and options for drawn lesions are refused in one line.
            let none = try CommandRunner.run(["lesions", "--in", "healthy.h5", "--carvemix", "healthy.h5", "--out", "c.h5"], in: dir)
            #expect(none.status == 1 && none.stderr.contains("has no case with lesions"), "\(none.stderr)")
            let drawn = try CommandRunner.run(["lesions", "--in", "healthy.h5", "--carvemix", "donors.h5", "--sub-regions", "--out", "d.h5"], in: dir)
            #expect(drawn.status != 0 && drawn.stderr.contains("--carvemix"), "\(drawn.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.h5").path))
        }

        @Test func methodPhantomRendersPhantomCasesAndRefusesOthers() throws {
            let dir = try Fixtures.temporaryFolder("lesions-method")
            defer { try? FileManager.default.removeItem(at: dir) }
            let base = ["--shape", "24", "48", "48", "--seed", "3"]
            #expect(try CommandRunner.run(["phantom", "--cases", "1"] + base + ["--out", "p.h5"], in: dir).status == 0)
            let r = try CommandRunner.run(["lesions", "--in", "p.h5", "--out", "l.h5", "--method", "phantom", "--lesion-radius", "12"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let p = try Self.provenance(dir, "l.h5", "case000")
            #expect(p.lesionsJSON.contains("\"phantom_inclusion\""), "\(p.lesionsJSON)")
            #expect(p.phantomParametersJSON.contains("\"phantomSettings\""))

            let augmented = try CommandRunner.run(["augment", "--in", "p.h5", "--config",
                                                   Fixtures.repositoryRoot.appendingPathComponent("Configs/augment-default.yaml").path,
                                                   "--out", "a.h5"], in: dir)
            #expect(augmented.status == 0, "\(augmented.stderr)")
            let refused = try CommandRunner.run(["lesions", "--in", "a.h5", "--out", "x.h5", "--method", "phantom"], in: dir)
            #expect(refused.status == 1 && refused.stderr.contains("augmented") && refused.stderr.contains("--method blend"), "\(refused.stderr)")
            let blended = try CommandRunner.run(["lesions", "--in", "a.h5", "--out", "y.h5", "--lesion-radius", "12"], in: dir)
            #expect(blended.status == 0, "\(blended.stderr)")
            #expect(try Self.provenance(dir, "y.h5", "case000_aug0").lesionsJSON.contains("\"volume_blend\""))
        }
    }
}

import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// Every file in Tests/Fixtures/bad-input goes through `info` and `convert`: each must fail with one clear line
/// naming the file, a non-zero exit and no output file — never a crash, a trap, a hang or a partial file.
@Suite struct BadInputCorpusTests {
    static let corpus: [String] = {
        let folder = Fixtures.url("bad-input")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
    }()

    @Test func corpusIsNotEmpty() {
        #expect(Self.corpus.count >= 10, "expected a bad-input corpus under Tests/Fixtures/bad-input, found \(Self.corpus)")
    }

    /// In-process reads of every non-HDF5 file. HDF5 files are read in-process only by the serialized HDF5
    /// suite (its leak check counts identifiers process-wide); here they go through the CLI below.
    @Test(arguments: corpus.filter { !$0.hasSuffix(".h5") })
    func libraryThrowsNamingTheFile(name: String) {
        let url = Fixtures.url("bad-input/\(name)")
        do {
            _ = try VolumeIO.read(url)
            Issue.record("\(name): read succeeded, expected an error")
        } catch let error as MedSynthError {
            #expect(error.description.contains(name), "message does not name the file: \(error)")
        } catch {
            Issue.record("\(name): threw a non-MedSynth error \(error)")
        }
    }

    @Test(arguments: corpus)
    func infoAndConvertFailCleanly(name: String) throws {
        let input = Fixtures.url("bad-input/\(name)").path
        let scratch = try Fixtures.temporaryFolder("badinput")
        defer { try? FileManager.default.removeItem(at: scratch) }

        let info = try CommandRunner.run(["info", input], timeoutSeconds: 60)
        #expect(!info.signaled, "info crashed on \(name): \(info.stderr)")
        #expect(info.status == 1, "info on \(name) exited \(info.status)")
        let infoLines = info.stderr.split(separator: "\n")
        #expect(infoLines.contains { $0.contains("medsynth: error:") && $0.contains(name) }, "stderr: \(info.stderr)")

        for ext in ["nii.gz", "h5", "png"] {
            let out = scratch.appendingPathComponent("out.\(ext)")
            let convert = try CommandRunner.run(["convert", input, out.path], timeoutSeconds: 60)
            #expect(!convert.signaled, "convert crashed on \(name): \(convert.stderr)")
            #expect(convert.status == 1, "convert \(name) → .\(ext) exited \(convert.status)")
            #expect(convert.stderr.contains(name), "stderr does not name the file: \(convert.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left.isEmpty, "files left behind: \(left)")
    }
}

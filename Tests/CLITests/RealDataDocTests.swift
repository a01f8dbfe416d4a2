import Foundation
import MedTestSupport
import Testing

/// docs/REAL_DATA.md promises that every command it shows runs as written from the repository's root: this runs
/// each `medsynth …` line of its `sh` blocks (outputs under `Outputs/real-data/` redirected to a scratch folder).
@Suite struct RealDataDocTests {
    /// The `medsynth` command lines of the page's ```sh blocks, split into arguments as a POSIX shell would
    /// (double quotes only, which is all the page uses).
    static func commands() throws -> [[String]] {
        let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/REAL_DATA.md"), encoding: .utf8)
        var out: [[String]] = []
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inBlock = line == "```sh" && !inBlock; continue }
            guard inBlock, line.hasPrefix("medsynth ") else { continue }
            var args: [String] = [], current = "", quoted = false, started = false
            for c in line {
                if c == "\"" { quoted.toggle(); started = true } else if c == " " && !quoted {
                    if started { args.append(current) }
                    current = ""; started = false
                } else { current.append(c); started = true }
            }
            if started { args.append(current) }
            out.append(Array(args.dropFirst()))
        }
        return out
    }

    @Test func everyCommandOfTheGuideRuns() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 10, "\(commands)")
        #expect(Set(commands.map { $0[0] }).isSuperset(of: ["info", "convert", "import"]))
        let scratch = try Fixtures.temporaryFolder("real-data-doc")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for command in commands {
            let args = command.map { $0.replacingOccurrences(of: "Outputs/real-data", with: scratch.path) }
            let r = try CommandRunner.run(args, in: Fixtures.repositoryRoot, timeoutSeconds: 300)
            #expect(r.status == 0, "medsynth \(command.joined(separator: " ")): \(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("cohort-keyed.h5").path))
    }
}

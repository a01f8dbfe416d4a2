import ArgumentParser
import Foundation
import MedCore
import MedIO

/// The `medsynth` command: parses arguments, builds a configuration and calls the libraries.
@main
struct MedSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medsynth",
        abstract: "Synthetic medical-image data and cross-modal translation.",
        discussion: """
        Examples:
          medsynth demo
          medsynth sample
          medsynth info Outputs/sample/case000_CT.nii.gz
          medsynth convert Outputs/sample/case000_CT.nii.gz Outputs/sample/ct_slice40.png --slice 40 --window -160 240
        """,
        version: MedSynthVersion.string,
        subcommands: [DemoCommand.self, SampleCommand.self, PhantomCommand.self, LesionsCommand.self, AugmentCommand.self, ImportCommand.self, InfoCommand.self, ConvertCommand.self, EvaluateCommand.self, TrainCommand.self, TranslateCommand.self, SegmentCommand.self, ValidateCommand.self, BenchCommand.self]
    )

    /// Rewrites `--window LOW HIGH` as `--window LOW --window HIGH`, so that the two-number form works with
    /// negative numbers (ArgumentParser would read `-1024` as an option name).
    static func normalizedArguments(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            out.append(arguments[i])
            if arguments[i] == "--window", i + 2 < arguments.count,
               Double(arguments[i + 1]) != nil, Double(arguments[i + 2]) != nil {
                out += [arguments[i + 1], "--window", arguments[i + 2]]
                i += 3
                continue
            }
            i += 1
        }
        return out
    }

    /// Runs the command; library errors become one line on stderr and exit status 1.
    static func main() {
        BLASRelaunch.ifNeeded()
        do {
            var command = try parseAsRoot(normalizedArguments(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as MedSynthError {
            FileHandle.standardError.write(Data("medsynth: error: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

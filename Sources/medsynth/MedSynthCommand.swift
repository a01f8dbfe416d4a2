import ArgumentParser
import MedCore
import MedIO

/// The `medsynth` command: parses arguments, builds a configuration and calls the libraries.
@main
struct MedSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medsynth",
        abstract: "Synthetic medical-image data and cross-modal translation.",
        version: MedSynthVersion.string,
        subcommands: []
    )
}

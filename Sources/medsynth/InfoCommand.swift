import ArgumentParser
import Foundation
import MedCore
import MedIO

/// `medsynth info FILE [--json]`: format, shape, spacing, dtype, statistics; the tree of an HDF5 file.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a PNG, NIfTI or HDF5 file: format, shape, spacing, dtype, min/max/mean/std.",
        discussion: """
        For HDF5 files, prints the group/dataset tree and the summary of every 2D/3D numeric dataset.

        Examples:
          medsynth info ct.nii.gz
          medsynth info Outputs/demo/phantom.h5 --json
        """
    )

    @Argument(help: "The file to describe (.png, .nii, .nii.gz, .h5).")
    var file: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let report = try FileReport.make(url)
        if json {
            print(try report.jsonString())
        } else {
            report.textLines.forEach { print($0) }
        }
    }
}

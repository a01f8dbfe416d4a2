import ArgumentParser
import Foundation
import MedCore
import MedIO

/// `medsynth info FILE [--json]`: format, shape, spacing, dtype, statistics; the tree of an HDF5 file; the series
/// of a DICOM folder.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a PNG, NIfTI, HDF5 or DICOM file or folder: format, shape, spacing, dtype, min/max/mean/std.",
        discussion: """
        For HDF5 files, prints the group/dataset tree and the summary of every 2D/3D numeric dataset (reading each one); --dataset limits the summary to one dataset, --tree-only reads no voxels.

        For a DICOM file or folder (searched recursively), lists the series found — modality, size, spacing, orientation, series number and time of day; no patient identifier, UID or date is printed — and summarises the values of the only series, or of the one chosen with --series N. PET values are body-weight SUV.

        Examples: the first makes sample files under Outputs/sample/, the others describe them and a DICOM test fixture:
          medsynth sample
          medsynth info Outputs/sample/case000_CT.nii.gz
          medsynth info Outputs/sample/phantom.h5 --json
          medsynth info Outputs/sample/phantom.h5 --dataset /cases/case000/T1
          medsynth info Outputs/sample/phantom.h5 --tree-only
          medsynth info Tests/Fixtures/dicom/two-series --series 2
        """
    )

    @Argument(help: "The file to describe (.png, .nii, .nii.gz, .h5, .dcm) or a DICOM folder.")
    var file: String

    @OptionGroup var dicom: DICOMOptions

    @Option(help: "HDF5: summarise only this dataset.")
    var dataset: String?

    @Flag(help: "HDF5: list the tree without reading voxels.")
    var treeOnly = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let report = try FileReport.make(url, dataset: dataset, statistics: !treeOnly, dicom: dicom.readOptions)
        if json {
            print(try report.jsonString())
        } else {
            report.textLines.forEach { print($0) }
        }
    }
}

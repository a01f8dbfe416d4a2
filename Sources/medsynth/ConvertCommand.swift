import ArgumentParser
import Foundation
import MedCore
import MedIO

/// `medsynth convert IN OUT`: between PNG, NIfTI and HDF5, keeping physical values and geometry.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between PNG, NIfTI (.nii/.nii.gz) and HDF5 (.h5), and from DICOM, keeping values and geometry.",
        discussion: """
        The output format follows OUT's extension. PNG output maps the window [LOW, HIGH] (physical units) to 0…255 or 0…65535 and records the window in the PNG, so it reads back in physical units. HDF5 output writes one dataset, /cases/<case-id>/<modality>, float32, chunked per slice, shuffle + deflate (layout: docs/DATASET_FORMAT.md). The output appears complete or not at all.

        IN may be a DICOM file or folder (searched recursively; choose a series with --series when it holds several): slices are sorted along the slice normal, spacing comes from the slice positions, the affine is in NIfTI's RAS convention, CT is in HU (RescaleSlope/Intercept) and PET in body-weight SUV. Missing slices, gantry tilt and mixed series are refused with a message saying what was found. No patient identifier reaches the output (docs/REAL_DATA.md).

        Examples: the first makes sample files under Outputs/sample/, the others convert them and DICOM test fixtures:
          medsynth sample
          medsynth convert Outputs/sample/case000_CT.nii.gz Outputs/sample/ct.h5
          medsynth convert Outputs/sample/case000_CT.nii.gz Outputs/sample/slice40.png --slice 40 --window -1024 3071
          medsynth convert Outputs/sample/phantom.h5 Outputs/sample/case001_T1.nii.gz --dataset /cases/case001/T1
          medsynth convert Outputs/sample/slice40.png Outputs/sample/slice40.nii --modality CT
          medsynth convert Tests/Fixtures/dicom/axial-ct Outputs/axial-ct.nii.gz --dtype int16
          medsynth convert Tests/Fixtures/dicom/two-series Outputs/two-series-2.nii.gz --series 2
        """
    )

    @Argument(help: "Input file (.png, .nii, .nii.gz, .h5, .dcm) or DICOM folder.")
    var input: String

    @OptionGroup var dicom: DICOMOptions

    @Argument(help: "Output file; its extension picks the format.")
    var output: String

    // Values are taken unconditionally so negative numbers (-1024) are not mistaken for options;
    // MedSynthCommand.normalizedArguments turns `--window LOW HIGH` into `--window LOW --window HIGH`.
    @Option(name: .customLong("window"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("PNG output: physical range LOW HIGH mapped to black…white (default: CT -1024 3071 HU, labels 0 255, otherwise the data's min max).", valueName: "low high"))
    var window: [Double] = []

    @Option(help: "PNG output: bits per pixel, 8 or 16.")
    var bits: Int = 16

    @Option(help: "PNG output: the axial slice of a multi-slice volume to write.")
    var slice: Int?

    @Option(help: "HDF5 input: the dataset to read (see `medsynth info FILE`).")
    var dataset: String?

    @Option(help: "NIfTI output: element type (uint8, int16, uint16, int32, float32, float64).")
    var dtype: String = "float32"

    @Option(help: "NIfTI output: format version 1 or 2.")
    var niftiVersion: Int = 1

    @Option(help: "HDF5 output: the case id (default: the output file name without extension).")
    var caseID: String?

    @Option(help: "Set the modality when the input does not say (CT, T1, T2, FLAIR, PET, label).")
    var modality: String?

    func validate() throws {
        if !window.isEmpty && window.count != 2 {
            throw ValidationError("--window takes two numbers, LOW HIGH; got \(window.count): \(window)")
        }
        if bits != 8 && bits != 16 { throw ValidationError("--bits must be 8 or 16, got \(bits)") }
        if NIfTIDataType(rawValue: dtype) == nil {
            throw ValidationError("--dtype '\(dtype)' is not one of \(NIfTIDataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if niftiVersion != 1 && niftiVersion != 2 { throw ValidationError("--nifti-version must be 1 or 2, got \(niftiVersion)") }
        if let modality, Modality(contrastName: modality) == nil {
            throw ValidationError("--modality '\(modality)' is not one of \(Modality.allCases.map(\.rawValue).joined(separator: ", ")) or an MR contrast name (letters, digits, '-', '_')")
        }
    }

    func run() throws {
        let inURL = URL(fileURLWithPath: input), outURL = URL(fileURLWithPath: output)
        if inURL.standardizedFileURL.path == outURL.standardizedFileURL.path {
            throw MedSynthError(.invalidArgument, output, "output is the same file as the input")
        }
        let dataType = NIfTIDataType(rawValue: dtype)!
        // DICOM to NIfTI streams slab by slab: the volume is never held whole.
        if try FileFormatDetector.detect(inURL) == .dicom, FileFormatDetector.formatFromName(outURL) == .nifti1 {
            let c = try DICOMReader.writeNIfTI(inURL, options: dicom.readOptions, to: outURL, dataType: dataType,
                                               version: niftiVersion, modality: modality.flatMap { Modality(contrastName: $0) })
            print("wrote \(output): \(c.shape) \(c.modality.rawValue) (\(c.unit.rawValue)) from DICOM \(c.storedDataType)")
            for note in c.notes { print("note: \(note)") }
            return
        }
        var loaded = try VolumeIO.read(inURL, dataset: dataset, dicom: dicom.readOptions)
        if let modality, let m = Modality(contrastName: modality) {
            loaded.volume.modality = m
            loaded.volume.unit = m.defaultUnit
        }
        var options = VolumeWriteOptions(pngBitDepth: bits, slice: slice,
                                         niftiDataType: dataType, niftiVersion: niftiVersion,
                                         caseID: caseID)
        if window.count == 2 { options.window = try IntensityWindow(lowerValue: window[0], upperValue: window[1]) }
        try VolumeIO.write(loaded.volume, to: outURL, options: options)
        let v = loaded.volume
        print("wrote \(output): \(v.shape) \(v.modality.rawValue) (\(v.unit.rawValue)) from \(loaded.format.rawValue) \(loaded.storedDataType)")
        for note in loaded.notes { print("note: \(note)") }
    }
}

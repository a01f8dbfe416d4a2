import ArgumentParser
import MedIO

/// `--series` and `--suv-factor`: which series of a DICOM folder, and how PET becomes SUV (info, convert, import).
struct DICOMOptions: ParsableArguments {
    @Option(help: ArgumentHelp("DICOM input holding several series: the one to read, by its number in `medsynth info` or by its SeriesInstanceUID.", valueName: "N|UID"))
    var series: String?

    @Option(help: ArgumentHelp("DICOM PET: multiply the activity concentration (Bq/mL) by F instead of computing body-weight SUV from the tags (for series whose dose, time or weight tags are missing or wrong).", valueName: "F"))
    var suvFactor: Double?

    func validate() throws {
        if let f = suvFactor, !(f.isFinite && f > 0) { throw ValidationError("--suv-factor must be a positive number, got \(f)") }
    }

    var readOptions: DICOMReadOptions { DICOMReadOptions(series: series, suvFactor: suvFactor) }
}

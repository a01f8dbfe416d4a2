/// A DICOM attribute tag (group, element) and the attributes MedSynth reads. Names follow PS3.6.
public struct DICOMTag: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// "(0028,1053)".
    public var description: String { String(format: "(%04X,%04X)", group, element) }

    // MARK: - Identification and grouping
    static let sopClassUID = DICOMTag(0x0008, 0x0016)
    static let imageType = DICOMTag(0x0008, 0x0008)
    static let modality = DICOMTag(0x0008, 0x0060)
    static let seriesTime = DICOMTag(0x0008, 0x0031)
    static let acquisitionTime = DICOMTag(0x0008, 0x0032)
    static let studyInstanceUID = DICOMTag(0x0020, 0x000D)
    static let seriesInstanceUID = DICOMTag(0x0020, 0x000E)
    static let seriesNumber = DICOMTag(0x0020, 0x0011)
    static let instanceNumber = DICOMTag(0x0020, 0x0013)
    static let frameOfReferenceUID = DICOMTag(0x0020, 0x0052)

    // MARK: - Geometry
    static let imagePositionPatient = DICOMTag(0x0020, 0x0032)
    static let imageOrientationPatient = DICOMTag(0x0020, 0x0037)
    static let pixelSpacing = DICOMTag(0x0028, 0x0030)
    static let sliceThickness = DICOMTag(0x0018, 0x0050)
    static let spacingBetweenSlices = DICOMTag(0x0018, 0x0088)
    static let gantryDetectorTilt = DICOMTag(0x0018, 0x1120)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)

    // MARK: - Values
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)

    // MARK: - Enhanced multi-frame functional groups (macro sequences)
    static let planePositionSequence = DICOMTag(0x0020, 0x9113)
    static let planeOrientationSequence = DICOMTag(0x0020, 0x9116)
    static let pixelMeasuresSequence = DICOMTag(0x0028, 0x9110)
    static let pixelValueTransformationSequence = DICOMTag(0x0028, 0x9145)
    static let perFrameFunctionalGroupsSequence = DICOMTag(0x5200, 0x9230)

    // MARK: - PET
    static let units = DICOMTag(0x0054, 0x1001)
    static let decayCorrection = DICOMTag(0x0054, 0x1102)
    static let radiopharmaceuticalInformationSequence = DICOMTag(0x0054, 0x0016)
    static let radiopharmaceuticalStartTime = DICOMTag(0x0018, 0x1072)
    static let radionuclideTotalDose = DICOMTag(0x0018, 0x1074)
    static let radionuclideHalfLife = DICOMTag(0x0018, 0x1075)
    static let patientWeight = DICOMTag(0x0010, 0x1030)
}

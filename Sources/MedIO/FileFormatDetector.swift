import Foundation
import MedCore

/// Decides a file's format from its content (magic bytes) and checks that its name agrees.
///
/// Content decides: a file is PNG if it starts with the PNG signature, HDF5 if it starts with the HDF5
/// signature, NIfTI if its first four bytes give a header size of 348 (NIfTI-1) or 540 (NIfTI-2) in either
/// byte order, gzip-compressed NIfTI if it is gzip and named `.nii.gz`, DICOM if it has "DICM" at byte 128
/// (PS3.10) or is named `.dcm`; a folder is a DICOM folder. A file whose name says one format
/// and whose content is another is refused (a mislabelled file is more likely a mistake than a wish).
public enum FileFormatDetector {
    /// What the file name says, from its extension; nil when the extension is not one MedSynth knows.
    public static func formatFromName(_ url: URL) -> VolumeFileFormat? {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".png") { return .png }
        if name.hasSuffix(".nii") || name.hasSuffix(".nii.gz") { return .nifti1 }
        if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") || name.hasSuffix(".hdf") { return .hdf5 }
        if name.hasSuffix(".dcm") { return .dicom }
        return nil
    }

    /// The format of an existing file, from its content.
    /// - Throws: `MedSynthError` naming the file: `.notFound`, `.unreadable`, `.corrupt` (empty, or content
    ///   and name disagree), `.unsupported` (not a PNG, NIfTI, HDF5 or DICOM file).
    public static func detect(_ url: URL) throws -> VolumeFileFormat {
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedSynthError(.notFound, path, "no such file")
        }
        if isDir.boolValue { return .dicom }  // DICOMScan says whether it holds DICOM images
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MedSynthError(.unreadable, path, "cannot open for reading (permissions?)")
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 132)) ?? Data())
        if head.isEmpty { throw MedSynthError(.corrupt, path, "file is empty (0 bytes)") }

        let content = contentFormat(head)
        let named = formatFromName(url)
        if named == .dicom { return .dicom }  // GDCM decides; files without the preamble are valid DICOM
        let isGzipNIfTI = head.starts(with: [0x1F, 0x8B]) && url.lastPathComponent.lowercased().hasSuffix(".nii.gz")
        if isGzipNIfTI { return .nifti1 }  // the NIfTI reader tells NIfTI-1 from -2 after decompressing

        guard let content else {
            let hex = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            let expected = named.map { "; the name says \(describe($0)) but the content is not" } ?? ""
            throw MedSynthError(.unsupported, path, "not a PNG, NIfTI, HDF5 or DICOM file (first bytes: \(hex))\(expected)")
        }
        if let named, !sameFamily(named, content) {
            throw MedSynthError(.corrupt, path, "content is \(describe(content)) but the file name says \(describe(named)); rename the file or check how it was made")
        }
        return content
    }

    private static func contentFormat(_ b: [UInt8]) -> VolumeFileFormat? {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if b.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .hdf5 }
        if b.count >= 132 && b[128] == 0x44 && b[129] == 0x49 && b[130] == 0x43 && b[131] == 0x4D { return .dicom }
        if b.count >= 4 {
            let le = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
            let be = UInt32(b[3]) | UInt32(b[2]) << 8 | UInt32(b[1]) << 16 | UInt32(b[0]) << 24
            if le == 348 || be == 348 { return .nifti1 }
            if le == 540 || be == 540 { return .nifti2 }
        }
        return nil
    }

    private static func sameFamily(_ a: VolumeFileFormat, _ b: VolumeFileFormat) -> Bool {
        func family(_ f: VolumeFileFormat) -> Int {
            switch f { case .png: return 0; case .nifti1, .nifti2: return 1; case .hdf5: return 2; case .dicom: return 3 }
        }
        return family(a) == family(b)
    }

    /// A human name for a format family, for messages.
    static func describe(_ f: VolumeFileFormat) -> String {
        switch f {
        case .png: return "PNG"
        case .nifti1, .nifti2: return "NIfTI"
        case .hdf5: return "HDF5"
        case .dicom: return "DICOM"
        }
    }
}

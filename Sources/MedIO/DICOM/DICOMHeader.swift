import CGDCMGlue
import Foundation
import MedCore

/// The parsed header of one DICOM file (every element before Pixel Data), read by GDCM.
final class DICOMHeader {
    /// The file.
    let path: String
    private let handle: OpaquePointer

    /// Parses the header of `path`.
    /// - Throws: `MedSynthError(.unreadable)` when the file cannot be opened, `.corrupt` when GDCM cannot parse it.
    init(path: String) throws {
        self.path = path
        var h: OpaquePointer?
        var message = [CChar](repeating: 0, count: 512)
        let code = ms_dicom_read_header(path, &h, &message, message.count)
        guard code == Int32(MS_DICOM_OK), let h else {
            let text = NIfTIFile.cString(message)
            throw MedSynthError(code == Int32(MS_DICOM_ERR_OPEN) ? .unreadable : .corrupt, path, text)
        }
        handle = h
    }

    deinit { ms_dicom_free_header(handle) }

    /// The transfer syntax UID from the file meta header, nil when there is none.
    var transferSyntaxUID: String? {
        var buffer = [CChar](repeating: 0, count: 128)
        return ms_dicom_transfer_syntax(handle, &buffer, buffer.count) == 1 ? NIfTIFile.cString(buffer) : nil
    }

    /// The value of a top-level attribute as text (binary VRs in decimal), nil when absent or empty.
    func string(_ tag: DICOMTag) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        guard ms_dicom_get_string(handle, tag.group, tag.element, &buffer, buffer.count) == 1 else { return nil }
        return NIfTIFile.cString(buffer)
    }

    /// The value of `tag` in item `item` of the top-level sequence `sequence`.
    func string(_ tag: DICOMTag, inSequence sequence: DICOMTag, item: Int = 0) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        guard ms_dicom_get_sequence_string(handle, sequence.group, sequence.element, Int32(item), tag.group,
                                           tag.element, &buffer, buffer.count) == 1 else { return nil }
        return NIfTIFile.cString(buffer)
    }

    /// Items of a top-level sequence (0 when absent).
    func sequenceCount(_ sequence: DICOMTag) -> Int {
        Int(ms_dicom_sequence_count(handle, sequence.group, sequence.element))
    }

    /// Enhanced multi-frame: `tag` in functional-group macro `macro` for `frame`, per-frame before shared.
    func string(_ tag: DICOMTag, frame: Int, macro: DICOMTag) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        guard ms_dicom_get_frame_string(handle, Int32(frame), macro.group, macro.element, tag.group, tag.element,
                                        &buffer, buffer.count) == 1 else { return nil }
        return NIfTIFile.cString(buffer)
    }

    /// Multi-valued decimal text ("0.5\\0.5") as numbers; nil when absent; throws when a value is not a number.
    func numbers(_ text: String?, _ tag: DICOMTag) throws -> [Double]? {
        guard let text else { return nil }
        var out: [Double] = []
        for part in text.split(separator: "\\", omittingEmptySubsequences: false) {
            let t = part.trimmingCharacters(in: .whitespaces)
            guard let v = Double(t), v.isFinite else {
                throw MedSynthError(.corrupt, path, "\(tag) holds '\(text)', expected decimal numbers")
            }
            out.append(v)
        }
        return out
    }

    /// One decimal number; nil when absent.
    func number(_ tag: DICOMTag) throws -> Double? { try numbers(string(tag), tag)?.first }
}

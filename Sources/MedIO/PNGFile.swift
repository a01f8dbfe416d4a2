import CPNGGlue
import Foundation
import MedCore

/// Reading and writing 2D images as PNG (one slice: a volume of depth 1).
///
/// Layout: a PNG of `rows × columns` pixels is a volume of shape (depth 1, height rows, width columns); PNG row
/// 0 (the top row) is row j = 0 and column 0 is i = 0. MedSynth writes a text chunk (keyword
/// `textKeyword`, see `PNGMedSynthText`) holding the intensity window, modality, unit and spacing, so its own
/// PNGs read back in physical units.
public enum PNGFile {
    /// The keyword of MedSynth's text chunk.
    public static let textKeyword = "MedSynth"

    /// The largest ratio of decoded to compressed size deflate can reach (about 1032:1). A header claiming more
    /// pixel data than this allows is rejected before any pixel buffer is allocated.
    static let maximumDeflateRatio = 1032

    /// Reads a PNG into a volume of depth 1.
    ///
    /// - 8- and 16-bit grayscale is read exactly (16-bit samples are big-endian in the file, native in memory).
    /// - Decision: palette, RGB, RGBA and gray+alpha images are converted to grayscale with Rec. 709 luma
    ///   weights (0.2126 R + 0.7152 G + 0.0722 B, by libpng), the alpha channel is dropped, and a note saying
    ///   so is added to `notes`. 1-, 2- and 4-bit grayscale is scaled to 8 bits (1-bit white is 255).
    /// - With MedSynth's text chunk, pixels are mapped back to physical units through its window and the
    ///   modality, unit and spacing are restored. Without it voxels are the raw pixel values, modality
    ///   `.unknown`, unit `.arbitrary`, spacing from the pHYs chunk when its unit is the metre, else 1 mm.
    /// - The affine is diagonal: (column spacing, row spacing, 1 mm) at the origin.
    ///
    /// - Parameter url: the PNG file.
    /// - Returns: the volume, `format` `.png`, `storedDataType` "uint8" or "uint16" (after conversion).
    /// - Throws: `MedSynthError` naming the file: `.notFound`, `.unreadable`; `.corrupt` for an empty, truncated
    ///   or damaged file or one that is not a PNG; `.tooLarge` when the header claims more pixels than
    ///   `VolumeShape.maximumVoxelCount` or than the file's compressed data can hold.
    public static func read(_ url: URL) throws -> LoadedVolume {
        let path = url.path
        let fileSize = try InputFile.checkedSize(url, expecting: "a PNG file")
        guard fileSize > 0 else {
            throw MedSynthError(.corrupt, path, "the file is empty (0 bytes); expected a PNG image")
        }

        var info = ms_png_info()
        var text = [CChar](repeating: 0, count: 1 << 16)
        var message = [CChar](repeating: 0, count: 512)
        let rc = ms_png_read_info(path, textKeyword, &info, &text, text.count, &message, message.count)
        try throwIfFailed(rc, path: path, message: message)

        let shape = try VolumeShape.validated(depth: 1, height: Int(info.height), width: Int(info.width), file: path)
        // The compressed image data holds at least one filter byte and the packed samples of every row.
        let minimumFilteredBytes = shape.height * (1 + (shape.width * Int(info.file_bit_depth) + 7) / 8)
        guard minimumFilteredBytes / maximumDeflateRatio <= fileSize else {
            throw MedSynthError(.tooLarge, path, "header claims \(shape.width)x\(shape.height) pixels, at least "
                                + "\(minimumFilteredBytes) bytes of image data, which \(fileSize) bytes of PNG cannot hold")
        }

        let bitDepth = Int(info.output_bit_depth)
        let maxPixel = (1 << bitDepth) - 1
        var pixels = [Int](repeating: 0, count: 0)
        pixels.reserveCapacity(shape.voxelCount)
        if bitDepth == 8 {
            var buffer = [UInt8](repeating: 0, count: shape.voxelCount)
            let rc = buffer.withUnsafeMutableBytes { raw in
                ms_png_read_pixels(path, raw.baseAddress, raw.count, info.width, info.height, 8, &message, message.count)
            }
            try throwIfFailed(rc, path: path, message: message)
            pixels.append(contentsOf: buffer.lazy.map(Int.init))
        } else {
            var buffer = [UInt16](repeating: 0, count: shape.voxelCount)
            let rc = buffer.withUnsafeMutableBytes { raw in
                ms_png_read_pixels(path, raw.baseAddress, raw.count, info.width, info.height, 16, &message, message.count)
            }
            try throwIfFailed(rc, path: path, message: message)
            pixels.append(contentsOf: buffer.lazy.map(Int.init))
        }

        var notes = conversionNotes(colorType: Int(info.file_color_type), fileBitDepth: Int(info.file_bit_depth))
        var meta: PNGMedSynthText?
        if info.has_text != 0 {
            let json = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            do {
                meta = try JSONDecoder().decode(PNGMedSynthText.self, from: Data(json.utf8))
            } catch {
                notes.append("the '\(textKeyword)' text chunk is not valid MedSynth JSON (\(error)); "
                             + "voxels are raw pixel values")
            }
        }

        var spacing = (x: 1.0, y: 1.0)
        var modality = Modality.unknown
        var unit = IntensityUnit.arbitrary
        let voxels: [Float]
        if let meta {
            let window = meta.window
            voxels = pixels.map { Float(window.physical(fromPixel: $0, maxPixel: maxPixel)) }
            notes.append("pixels mapped to physical values with MedSynth window \(window)")
            if let name = meta.modality {
                if let m = Modality(contrastName: name) { modality = m } else { notes.append("unknown modality '\(name)' in the MedSynth text chunk") }
            }
            unit = modality.defaultUnit
            if let name = meta.unit {
                if let u = IntensityUnit(name: name) { unit = u } else { notes.append("unknown unit '\(name)' in the MedSynth text chunk") }
            }
            if let s = meta.validSpacingMM { spacing = s }
        } else {
            voxels = pixels.map { Float($0) }
        }
        if meta?.validSpacingMM == nil {
            if info.has_phys != 0, info.phys_unit == 1, info.phys_x > 0, info.phys_y > 0 {
                spacing = (1000 / Double(info.phys_x), 1000 / Double(info.phys_y))
            } else {
                notes.append("no pixel size in the file; assumed 1 mm pixels")
            }
        }

        let volume = Volume(shape: shape, voxels: voxels, affine: Affine(spacingMM: SIMD3(spacing.x, spacing.y, 1)),
                            modality: modality, unit: unit)
        return LoadedVolume(volume: volume, format: .png, storedDataType: bitDepth == 8 ? "uint8" : "uint16", notes: notes)
    }

    /// Notes for the conversions `ms_png_read_pixels` applies to a PNG of this colour type and bit depth.
    static func conversionNotes(colorType: Int, fileBitDepth: Int) -> [String] {
        switch colorType {
        case 2: return ["converted RGB to grayscale (Rec. 709 luma)"]
        case 3: return ["converted a palette (colour-mapped) image to grayscale (Rec. 709 luma)"]
        case 4: return ["dropped the alpha channel of a gray+alpha image"]
        case 6: return ["converted RGBA to grayscale (Rec. 709 luma) and dropped the alpha channel"]
        default:
            return fileBitDepth < 8 ? ["scaled \(fileBitDepth)-bit gray to 8 bits (0...255)"] : []
        }
    }

    /// Maps a CPNGGlue result code to a `MedSynthError` naming `path`.
    static func throwIfFailed(_ rc: Int32, path: String, message: [CChar]) throws {
        guard rc != Int32(MS_PNG_OK) else { return }
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch rc {
        case Int32(MS_PNG_ERR_OPEN): throw MedSynthError(.unreadable, path, text)
        case Int32(MS_PNG_ERR_NOT_PNG): throw MedSynthError(.corrupt, path, text)
        case Int32(MS_PNG_ERR_UNSUPPORTED): throw MedSynthError(.unsupported, path, text)
        case Int32(MS_PNG_ERR_WRITE): throw MedSynthError(.writeFailed, path, text)
        case Int32(MS_PNG_ERR_CORRUPT): throw MedSynthError(.corrupt, path, "damaged or truncated PNG (\(text))")
        default: throw MedSynthError(.corrupt, path, text.isEmpty ? "PNG error \(rc)" : text)
        }
    }
}

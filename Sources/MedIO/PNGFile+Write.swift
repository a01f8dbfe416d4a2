import CPNGGlue
import Foundation
import MedCore

extension PNGFile {
    /// Writes a one-slice volume as a grayscale PNG.
    ///
    /// Each voxel becomes `window.pixel(fromPhysical:maxPixel:)` (values outside the window are clamped to
    /// black or white). The file carries MedSynth's text chunk (window, modality, unit, spacing, version; see
    /// `PNGMedSynthText`) and a pHYs chunk with the spacing in pixels per metre, so `read(_:)` gives back the
    /// physical values within half a quantisation step, `window.width / maxPixel / 2`. Only the spacing of the
    /// affine is kept (a PNG has no orientation or origin). The file is written atomically.
    ///
    /// - Parameters:
    ///   - volume: a volume of depth 1 without NaN voxels.
    ///   - url: the output path.
    ///   - bitDepth: 8 or 16.
    ///   - window: the physical range mapped to `0...maxPixel`.
    /// - Throws: `MedSynthError(.invalidArgument)` for depth > 1, a bit depth other than 8 or 16, a side over
    ///   1,000,000 pixels (libpng's limit) or a NaN voxel; `.writeFailed` naming `url`.
    public static func write(_ volume: Volume, to url: URL, bitDepth: Int = 16, window: IntensityWindow) throws {
        let path = url.path
        let shape = volume.shape
        guard shape.depth == 1 else {
            throw MedSynthError(.invalidArgument, path, "a PNG holds one slice; the volume is \(shape) (depth x height x width). "
                                + "Write one slice with volume.slice(k)")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw MedSynthError(.invalidArgument, path, "PNG bit depth \(bitDepth); expected 8 or 16")
        }
        let sideLimit = 1_000_000
        guard shape.width <= sideLimit, shape.height <= sideLimit else {
            throw MedSynthError(.invalidArgument, path, "image of \(shape.width)x\(shape.height) pixels; PNG writing is limited to \(sideLimit) per side")
        }
        if let n = volume.voxels.firstIndex(where: { $0.isNaN }) {
            throw MedSynthError(.invalidArgument, path, "voxel (row \(n / shape.width), column \(n % shape.width)) is NaN; a PNG pixel cannot hold NaN")
        }

        let spacing = volume.spacingMM
        let meta = PNGMedSynthText(medsynthVersion: MedSynthVersion.string, window: window,
                                   modality: volume.modality.rawValue, unit: volume.unit.rawValue,
                                   spacingMM: [spacing.x, spacing.y], bitDepth: bitDepth)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(meta), as: UTF8.self)
        let ppmX = pixelsPerMetre(spacingMM: spacing.x)
        let ppmY = pixelsPerMetre(spacingMM: spacing.y)

        let maxPixel = (1 << bitDepth) - 1
        var message = [CChar](repeating: 0, count: 512)
        try AtomicFile.write(to: url) { tmp in
            let rc: Int32
            if bitDepth == 8 {
                let pixels = volume.voxels.map { UInt8(window.pixel(fromPhysical: Double($0), maxPixel: maxPixel)) }
                rc = pixels.withUnsafeBytes { raw in
                    ms_png_write_gray(tmp.path, raw.baseAddress, UInt32(shape.width), UInt32(shape.height), 8,
                                      textKeyword, json, ppmX, ppmY, &message, message.count)
                }
            } else {
                let pixels = volume.voxels.map { UInt16(window.pixel(fromPhysical: Double($0), maxPixel: maxPixel)) }
                rc = pixels.withUnsafeBytes { raw in
                    ms_png_write_gray(tmp.path, raw.baseAddress, UInt32(shape.width), UInt32(shape.height), 16,
                                      textKeyword, json, ppmX, ppmY, &message, message.count)
                }
            }
            if rc != Int32(MS_PNG_OK) {
                let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw MedSynthError(.writeFailed, path, "cannot write the PNG: \(text)")
            }
        }
    }

    /// pHYs pixels per metre for a spacing in mm, or 0 (no pHYs chunk) when it does not fit a UInt32.
    static func pixelsPerMetre(spacingMM: Double) -> UInt32 {
        guard spacingMM.isFinite, spacingMM > 0 else { return 0 }
        let ppm = (1000 / spacingMM).rounded()
        return ppm >= 1 && ppm <= Double(UInt32.max) ? UInt32(ppm) : 0
    }
}

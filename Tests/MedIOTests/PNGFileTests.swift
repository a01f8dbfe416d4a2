import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// Round trips through `PNGFile.write` and `read`, the writer's argument checks, and `IntensityWindow`.
@Suite struct PNGFileTests {
    /// A 6-row × 9-column CT slice spanning beyond the ctFull window: v(i, j) = −1100 + 53.7·i + 611.3·j.
    static func ctSlice() -> Volume {
        var v = Volume(shape: VolumeShape(depth: 1, height: 6, width: 9), modality: .ct)
        for j in 0..<6 { for i in 0..<9 { v[0, j, i] = Float(-1100 + 53.7 * Double(i) + 611.3 * Double(j)) } }
        v.affine = Affine(spacingMM: SIMD3(0.7, 0.85, 3))
        return v
    }

    @Test(arguments: [8, 16])
    func roundTripIsWithinHalfAQuantisationStep(bitDepth: Int) throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = Self.ctSlice()
        let window = IntensityWindow.ctFull
        let url = dir.appendingPathComponent("ct.png")
        try PNGFile.write(v, to: url, bitDepth: bitDepth, window: window)

        let loaded = try PNGFile.read(url)
        let back = loaded.volume
        #expect(loaded.format == .png)
        #expect(loaded.storedDataType == (bitDepth == 8 ? "uint8" : "uint16"))
        #expect(back.shape == v.shape)
        #expect(back.modality == .ct && back.unit == .hounsfield)
        #expect(abs(back.spacingMM.x - 0.7) < 1e-12 && abs(back.spacingMM.y - 0.85) < 1e-12)
        let halfStep = window.width / Double((1 << bitDepth) - 1) / 2
        for (a, b) in zip(v.voxels, back.voxels) {
            let clamped = min(max(Double(a), window.lowerValue), window.upperValue)
            #expect(abs(Double(b) - clamped) <= halfStep * 1.0001 + 1e-3, "\(a) -> \(b)")
        }
        // Row 0 of the PNG is row j = 0: the darkest value is top-left.
        #expect(back[0, 0, 0] == Float(window.lowerValue))
    }

    @Test func sixteenBitPixelsAreExactInTheFile() throws {
        // A window of [0, 65535] makes pixel == value: checks byte order against an independent decoder's view
        // (the committed Pillow fixture gray16.png is the other direction).
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [Float] = [0, 1, 255, 256, 4660, 65535]
        let v = Volume(shape: VolumeShape(depth: 1, height: 2, width: 3), voxels: values)
        let url = dir.appendingPathComponent("exact.png")
        try PNGFile.write(v, to: url, bitDepth: 16, window: try IntensityWindow(lowerValue: 0, upperValue: 65535))
        #expect(try PNGFile.read(url).volume.voxels == values)
        // The IDAT is zlib data; the raw file must carry the MedSynth text chunk and pHYs.
        let bytes = try Data(contentsOf: url)
        #expect(bytes.range(of: Data("tEXtMedSynth".utf8)) != nil)
        #expect(bytes.range(of: Data("pHYs".utf8)) != nil)
        #expect(bytes.range(of: Data("\"medsynth_version\":\"\(MedSynthVersion.string)\"".utf8)) != nil)
    }

    @Test func writerRejectsBadArguments() throws {
        let dir = try Fixtures.temporaryFolder("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.png")
        let volume3D = Volume(shape: VolumeShape(depth: 2, height: 3, width: 4))
        let e = #expect(throws: MedSynthError.self) { try PNGFile.write(volume3D, to: url, bitDepth: 8, window: .ctFull) }
        #expect(e?.kind == .invalidArgument && e?.message.contains("2x3x4") == true)
        #expect(throws: MedSynthError.self) { try PNGFile.write(Self.ctSlice(), to: url, bitDepth: 12, window: .ctFull) }
        var withNaN = Self.ctSlice()
        withNaN[0, 1, 2] = .nan
        let e2 = #expect(throws: MedSynthError.self) { try PNGFile.write(withNaN, to: url, bitDepth: 8, window: .ctFull) }
        #expect(e2?.message.contains("row 1, column 2") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no partial file")
    }

    @Test func windowMapsBothWays() throws {
        let w = IntensityWindow.ctFull
        #expect(w.lowerValue == -1024 && w.upperValue == 3071)
        #expect(w.pixel(fromPhysical: -1024, maxPixel: 255) == 0)
        #expect(w.pixel(fromPhysical: 3071, maxPixel: 255) == 255)
        #expect(w.pixel(fromPhysical: -5000, maxPixel: 255) == 0)
        #expect(w.pixel(fromPhysical: 1e9, maxPixel: 65535) == 65535)
        #expect(w.pixel(fromPhysical: .nan, maxPixel: 255) == 0)
        #expect(w.pixel(fromPhysical: .infinity, maxPixel: 255) == 255)
        #expect(w.physical(fromPixel: 65535, maxPixel: 65535) == 3071)
        let mid = try IntensityWindow(lowerValue: 0, upperValue: 10)
        #expect(mid.pixel(fromPhysical: 5, maxPixel: 255) == 128)  // 127.5 rounds away from zero
        #expect(abs(mid.physical(fromPixel: 51, maxPixel: 255) - 2) < 1e-12)
        #expect(throws: MedSynthError.self) { try IntensityWindow(lowerValue: 1, upperValue: 1) }
        #expect(throws: MedSynthError.self) { try IntensityWindow(lowerValue: .nan, upperValue: 1) }
        #expect(throws: MedSynthError.self) { try IntensityWindow(lowerValue: 0, upperValue: .infinity) }
        #expect(try IntensityWindow.covering([3, -2, .nan, 7]) == IntensityWindow(lowerValue: -2, upperValue: 7))
        #expect(try IntensityWindow.covering([4, 4]) == IntensityWindow(lowerValue: 3.5, upperValue: 4.5))
    }

    @Test func windowCodableUsesLowerUpperAndValidates() throws {
        let json = try JSONEncoder().encode(IntensityWindow.ctFull)
        #expect(String(decoding: json, as: UTF8.self).contains("\"lower\":-1024"))
        #expect(try JSONDecoder().decode(IntensityWindow.self, from: json) == .ctFull)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(IntensityWindow.self, from: Data(#"{"lower": 5, "upper": 1}"#.utf8))
        }
    }
}

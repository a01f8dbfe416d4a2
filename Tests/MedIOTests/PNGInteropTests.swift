import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// Reads the Pillow-written fixtures of scripts/make_png_nifti_fixtures.py; pixel formulas are documented
/// there (i = column, j = row).
@Suite struct PNGInteropTests {
    func read(_ name: String) throws -> LoadedVolume { try PNGFile.read(Fixtures.url("io/png/\(name)")) }

    func expectPixels(_ v: Volume, tolerance: Double = 0, _ formula: (Int, Int) -> Double) {
        for j in 0..<v.shape.height {
            for i in 0..<v.shape.width {
                #expect(abs(Double(v[0, j, i]) - formula(i, j)) <= tolerance, "(row \(j), column \(i)): \(v[0, j, i]) vs \(formula(i, j))")
            }
        }
    }

    @Test func gray8() throws {
        let loaded = try read("gray8.png")
        #expect(loaded.volume.shape == VolumeShape(depth: 1, height: 5, width: 7))
        #expect(loaded.storedDataType == "uint8")
        #expect(loaded.volume.modality == .unknown && loaded.volume.unit == .arbitrary)
        #expect(loaded.volume.spacingMM == SIMD3(1, 1, 1))
        #expect(loaded.notes.contains { $0.contains("assumed 1 mm") })
        expectPixels(loaded.volume) { i, j in Double((3 * i + 17 * j) % 256) }
    }

    @Test func gray16() throws {
        let loaded = try read("gray16.png")
        #expect(loaded.volume.shape == VolumeShape(depth: 1, height: 4, width: 6))
        #expect(loaded.storedDataType == "uint16")
        expectPixels(loaded.volume) { i, j in Double(1000 * j + 37 * i + 5) }
    }

    @Test func physGivesSpacing() throws {
        let v = try read("gray8_phys.png").volume
        #expect(abs(v.spacingMM.x - 0.1) < 1e-12 && abs(v.spacingMM.y - 0.2) < 1e-12)
        expectPixels(v) { i, j in Double((3 * i + 17 * j) % 256) }
    }

    @Test func rgbIsConvertedWithANote() throws {
        let loaded = try read("rgb.png")
        #expect(loaded.notes.contains { $0.contains("RGB to grayscale") })
        // Rec. 709 luma of (60i, 80j, 20i + 40j); libpng's fixed-point arithmetic may differ by 1.
        expectPixels(loaded.volume, tolerance: 1) { i, j in
            (0.2126 * Double(60 * i) + 0.7152 * Double(80 * j) + 0.0722 * Double(20 * i + 40 * j)).rounded()
        }
    }

    @Test func grayAlphaAndPaletteBecomeGray() throws {
        let ga = try read("gray_alpha.png")
        #expect(ga.notes.contains { $0.contains("alpha") })
        expectPixels(ga.volume) { i, j in Double((3 * i + 17 * j) % 256) }
        let pal = try read("palette.png")
        #expect(pal.notes.contains { $0.contains("palette") })
        expectPixels(pal.volume) { i, j in Double((3 * i + 17 * j) % 256) }
    }

    @Test func oneBitIsScaledTo8() throws {
        let loaded = try read("gray1.png")
        #expect(loaded.storedDataType == "uint8")
        expectPixels(loaded.volume) { i, j in (i + j) % 2 == 1 ? 255 : 0 }
    }

    @Test func medSynthTextChunkRestoresPhysicalUnits() throws {
        // Written by Python with the documented JSON: pins the text-chunk format.
        let loaded = try read("medsynth_ct16.png")
        let v = loaded.volume
        #expect(v.modality == .ct && v.unit == .hounsfield)
        #expect(abs(v.spacingMM.x - 0.7) < 1e-12 && abs(v.spacingMM.y - 0.8) < 1e-12)
        expectPixels(v, tolerance: 1e-3) { i, j in -1024 + Double(1000 * j + 100 * i) / 65535 * 4095 }
    }
}

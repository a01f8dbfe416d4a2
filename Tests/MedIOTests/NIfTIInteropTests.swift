import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// Reads the nibabel-written fixtures of scripts/make_png_nifti_fixtures.py and checks every voxel against the
/// formula documented there, and shape, affine and statistics against io/nifti/expected.json (nibabel's view).
@Suite struct NIfTIInteropTests {
    struct Expected: Decodable {
        var shape_dhw: [Int]
        var affine: [Double]
        var min: Double
        var max: Double
        var mean: Double
        var medsynth_affine: [Double]?
    }

    static let expected: [String: Expected] = {
        let data = try! Data(contentsOf: Fixtures.url("io/nifti/expected.json"))
        return try! JSONDecoder().decode([String: Expected].self, from: data)
    }()

    /// Reads `name` and checks shape, affine (float32 header precision) and statistics against expected.json,
    /// and every voxel against `formula(i, j, k)`.
    func check(_ name: String, format: VolumeFileFormat = .nifti1, stored: String,
               formula: (Double, Double, Double) -> Double) throws -> LoadedVolume {
        let loaded = try NIfTIFile.read(Fixtures.url("io/nifti/\(name)"))
        let e = try #require(Self.expected[name])
        let v = loaded.volume
        #expect([v.shape.depth, v.shape.height, v.shape.width] == e.shape_dhw, "\(name)")
        #expect(loaded.format == format, "\(name)")
        #expect(loaded.storedDataType == stored, "\(name)")
        let affine = Affine(rowMajor: e.medsynth_affine ?? e.affine)
        #expect(v.affine.isClose(to: affine, tolerance: 1e-5), "\(name): \(v.affine) vs \(affine)")
        let stats = VolumeStatistics(v.voxels)
        #expect(Approx.isClose(stats.min, e.min, rtol: 1e-6) && Approx.isClose(stats.max, e.max, rtol: 1e-6), "\(name)")
        #expect(Approx.isClose(stats.mean, e.mean, rtol: 1e-6, atol: 1e-6), "\(name)")
        for k in 0..<v.shape.depth {
            for j in 0..<v.shape.height {
                for i in 0..<v.shape.width {
                    let want = formula(Double(i), Double(j), Double(k))
                    #expect(Approx.isClose(Double(v[k, j, i]), want, rtol: 1e-6, atol: 1e-6), "\(name) (\(k),\(j),\(i))")
                }
            }
        }
        #expect(v.modality == .unknown && v.unit == .arbitrary, "\(name)")
        return loaded
    }

    @Test func int16WithSlopeAndIntercept() throws {
        let loaded = try check("ct_int16_slope.nii.gz", stored: "int16") { i, j, k in 2 * (i + 10 * j + 100 * k - 200) - 1024 }
        #expect(loaded.notes.contains { $0.contains("scl_slope 2") && $0.contains("scl_inter -1024") })
        #expect(loaded.volume.spacingMM.x == Double(Float(0.8)))
    }

    @Test func uint8Labels() throws {
        _ = try check("labels_uint8.nii", stored: "uint8") { i, j, k in (i + 2 * j + 3 * k).truncatingRemainder(dividingBy: 5) }
    }

    @Test func float32WithObliqueAffine() throws {
        _ = try check("oblique_float32.nii.gz", stored: "float32") { i, j, k in 0.5 * i - 0.25 * j + 1.5 * k + 0.125 }
    }

    @Test func nifti2Float64AndGzippedInt16() throws {
        _ = try check("nifti2_float64.nii", format: .nifti2, stored: "float64") { i, j, k in i * j - k + 0.5 }
        _ = try check("nifti2_int16.nii.gz", format: .nifti2, stored: "int16") { i, j, k in i - 2 * j + 3 * k - 4 }
    }

    @Test(arguments: [("int8", -3.0, 20.0), ("uint16", 1000, 7), ("int32", -100_000, 3), ("uint32", 200_000_000, 1)])
    func otherDatatypes(name: String, m: Double, b: Double) throws {
        _ = try check("dtype_\(name).nii", stored: name) { i, j, k in (i + 3 * j + 5 * k) * m + b }
    }

    @Test func bigEndianFile() throws {
        _ = try check("bigendian_int16.nii", stored: "int16") { i, j, k in 100 * i - 7 * j + 3 * k }
    }

    @Test func twoDimensionalImageIsOneSlice() throws {
        _ = try check("image_2d.nii", stored: "float32") { i, j, _ in i + 10 * j }
    }

    @Test func fourDimensionalWithOneVolumeIsAccepted() throws {
        _ = try check("singleton_4d.nii", stored: "float32") { i, j, k in i + 2 * j + 4 * k }
    }

    @Test func qformIsUsedWhenThereIsNoSform() throws {
        _ = try check("qform_only.nii", stored: "float32") { i, j, k in i + j + k }
    }

    @Test func pixdimGivesTheAffineWhenNoTransformIsSet() throws {
        let loaded = try check("pixdim_only.nii", stored: "float32") { i, j, k in i + j + k }
        #expect(loaded.volume.affine == Affine(spacingMM: SIMD3(2, 3, 4)))
        #expect(loaded.notes.contains { $0.contains("no sform or qform") })
    }
}

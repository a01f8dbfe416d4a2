import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Independent value oracles for the affine and low-resolution augmentations: scipy.ndimage's outputs
/// (`affine_transform`, `zoom`, `map_coordinates`, `gaussian_filter1d`) for the same inputs and parameters,
/// committed under Tests/Fixtures/scipy-oracle/ by scripts/make_scipy_oracle_fixtures.py (whose docstring derives
/// the scipy parameters from MedSynth's documented conventions: voxel centres at integer indices, rotation about
/// the grid centre (extent − 1)/2 in mm, trilinear images with the image minimum outside, nearest labels with 0
/// outside, halves rounded up; Gaussian FWHM f with edge replication, samples at m·f, back at q/f).
///
/// Grid: 9 × 13 × 17 voxels (depth, height, width), spacing 0.9 × 1.1 × 2.0 mm (x, y, z); image values uniform
/// in [10, 110) (the fill, 10.0…, is the minimum), labels 0…4 in blocks.
@Suite struct ScipyOracleTests {
    struct AffineCase: Decodable {
        let name: String
        let rotationDegrees: [Double], scale: [Double], shear: [Double], translationMM: [Double]
        let fill: Double
        let image: String, labels: String
        let ambiguous_label_voxels: [Int]
    }

    struct LowResolutionCase: Decodable {
        let name: String, axis: String, factor: Double, antialias: Bool, image: String
    }

    struct Cases: Decodable {
        let shape_dhw: [Int]
        let spacing_mm_xyz: [Double]
        let image: String, labels: String
        let image_min: Double, image_max: Double
        let affine: [AffineCase]
        let lowResolution: [LowResolutionCase]
    }

    static func loadCases() throws -> Cases {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Fixtures.url("scipy-oracle/cases.json")))
    }

    /// A raw little-endian float32 file of the fixture folder; its size must be `count` values.
    static func floats(_ name: String, count: Int) throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url("scipy-oracle/\(name)"))
        try #require(data.count == count * 4, "\(name) has \(data.count) bytes, expected \(count * 4)")
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// The fixture's input as an augmentation case: image "T1" and the label map.
    static func input(_ c: Cases) throws -> AugmentationCase {
        let shape = VolumeShape(depth: c.shape_dhw[0], height: c.shape_dhw[1], width: c.shape_dhw[2])
        let affine = Affine(spacingMM: SIMD3(c.spacing_mm_xyz[0], c.spacing_mm_xyz[1], c.spacing_mm_xyz[2]))
        let image = Volume(shape: shape, voxels: try floats(c.image, count: shape.voxelCount), affine: affine, modality: .t1)
        let labels = Volume(shape: shape, voxels: try floats(c.labels, count: shape.voxelCount), affine: affine, modality: .label)
        return try AugmentationCase(images: ["T1": image], labels: labels)
    }

    static func simd(_ v: [Double]) -> SIMD3<Double> { SIMD3(v[0], v[1], v[2]) }

    /// The fixture is what this suite expects (so the cases below cannot silently shrink).
    @Test func fixtureListsTheCases() throws {
        let c = try Self.loadCases()
        #expect(c.affine.map(\.name) == ["rotation_z", "general"])
        #expect(c.lowResolution.map(\.name) == ["height_f4", "width_f2", "depth_f2_5", "width_f3_no_antialias"])
        #expect(c.shape_dhw == [9, 13, 17] && c.image_min >= 10 && c.image_max < 110)
    }

    /// Affine images agree with scipy's `affine_transform(order=1, mode='grid-constant', cval=min)` within
    /// 2e-3 (values 10…110; measured: at most 1.1e-4), and labels with `order=0` exactly, except where scipy's float64 source coordinate lies
    /// within 1e-3 voxel of a rounding tie (listed by the fixture: 0 of 1989 voxels for rotation_z, 13 for general).
    ///
    /// Error budget of the images: MedSynth computes source coordinates in float32 (row base + i·step, |x| < 20,
    /// so a few ulp ≈ 4e-6 voxel per axis); the image changes by at most 100 per voxel, so three axes give
    /// ≈ 1.2e-3, plus float32 rounding of the seven lerps (≈ 1e-5). A convention error — the rotation centre half a
    /// voxel off, the inverse instead of the forward transform, the spacing ignored, a hard border instead of the
    /// fill blend — moves values by tens (checked by the mutants in `affineOracleRejectsOtherConventions`).
    @Test func affineMatchesScipy() throws {
        let c = try Self.loadCases()
        let input = try Self.input(c)
        let count = input.geometry.shape.voxelCount
        for a in c.affine {
            let transform = try AffineAugmentation()
            let p = AffineAugmentation.Parameters(rotationDegrees: Self.simd(a.rotationDegrees), scale: Self.simd(a.scale),
                                                  shear: Self.simd(a.shear), translationMM: Self.simd(a.translationMM))
            let out = try transform.apply(p, to: input)
            let image = try #require(out.images["T1"]).voxels, labels = try #require(out.labels).voxels
            let wantImage = try Self.floats(a.image, count: count), wantLabels = try Self.floats(a.labels, count: count)

            let d = Approx.maxAbsDifference(image, wantImage)
            let worst = image.indices.max { abs(image[$0] - wantImage[$0]) < abs(image[$1] - wantImage[$1]) } ?? 0
            #expect(d <= 2e-3, "\(a.name): max |MedSynth − scipy| = \(d) at flat index \(worst): \(image[worst]) vs \(wantImage[worst])")
            // The fill the script used is the image minimum MedSynth fills with.
            #expect(Float(a.fill) == input.images["T1"]!.voxels.min(), "\(a.name): fill \(a.fill)")
            #expect(image.contains(Float(a.fill)) && image.contains { $0 != Float(a.fill) }, "\(a.name): the case must reach outside and inside")

            let ambiguous = Set(a.ambiguous_label_voxels)
            #expect(ambiguous.count * 100 <= count, "\(a.name): \(ambiguous.count) ambiguous voxels, more than 1 %")
            let differing = labels.indices.filter { !ambiguous.contains($0) && labels[$0] != wantLabels[$0] }
            let first = differing.first.map { "flat index \($0): \(labels[$0]) vs \(wantLabels[$0])" } ?? ""
            #expect(differing.isEmpty, "\(a.name): \(differing.count) label voxels differ from scipy, first at \(first)")
            #expect(Set(labels).count >= 4, "\(a.name): labels \(Set(labels).sorted()) are not informative")
        }
    }

    /// The oracle comparison can fail: other conventions (centre moved by half a voxel, the inverse rotation, the
    /// spacing ignored) disagree with scipy's output by far more than the tolerance.
    @Test func affineOracleRejectsOtherConventions() throws {
        let c = try Self.loadCases()
        let input = try Self.input(c)
        let a = try #require(c.affine.first { $0.name == "general" })
        let want = try Self.floats(a.image, count: input.geometry.shape.voxelCount)
        let transform = try AffineAugmentation()
        let good = AffineAugmentation.Parameters(rotationDegrees: Self.simd(a.rotationDegrees), scale: Self.simd(a.scale),
                                                 shear: Self.simd(a.shear), translationMM: Self.simd(a.translationMM))
        var inverse = good; inverse.rotationDegrees = -good.rotationDegrees
        var shifted = good; shifted.translationMM += SIMD3(0.45, 0, 0)   // half a voxel along x (0.9 mm spacing)
        for (what, p) in [("inverse rotation", inverse), ("half-voxel shift", shifted)] {
            let d = Approx.maxAbsDifference(try transform.apply(p, to: input).images["T1"]!.voxels, want)
            #expect(d > 1, "\(what): max difference \(d) should be far above the 2e-3 tolerance")
        }
    }

    /// Low resolution agrees with scipy (`zoom` when f divides n − 1, `map_coordinates` otherwise, after
    /// `gaussian_filter1d(mode='nearest')`) within 2e-4 on values 10…110 (measured: at most 1.5e-5), and leaves
    /// the labels alone.
    ///
    /// Error budget: float32 kernel taps and sums of up to 13 products (ulp(110) = 7.6e-6, so ≤ 1e-4), then two
    /// lerps; scipy works in float64. Another factor (f·1.2) or the blur switched on or off moves values by whole
    /// units (checked below), as would the wrong sample phase or σ.
    @Test func lowResolutionMatchesScipy() throws {
        let c = try Self.loadCases()
        let input = try Self.input(c)
        let count = input.geometry.shape.voxelCount
        let axes: [String: SpatialAxis] = ["width": .width, "height": .height, "depth": .depth]
        for l in c.lowResolution {
            let axis = try #require(axes[l.axis], "unknown axis \(l.axis)")
            let transform = try LowResolutionAugmentation()
            let out = try transform.apply(.init(axis: axis, factor: l.factor, antialias: l.antialias), to: input)
            let image = try #require(out.images["T1"]).voxels
            let want = try Self.floats(l.image, count: count)
            let d = Approx.maxAbsDifference(image, want)
            let worst = image.indices.max { abs(image[$0] - want[$0]) < abs(image[$1] - want[$1]) } ?? 0
            #expect(d <= 2e-4, "\(l.name): max |MedSynth − scipy| = \(d) at flat index \(worst): \(image[worst]) vs \(want[worst])")
            // The comparison can fail: other parameters disagree with scipy's output by whole units.
            for (what, p) in [("factor × 1.2", LowResolutionAugmentation.Parameters(axis: axis, factor: l.factor * 1.2, antialias: l.antialias)),
                              ("antialias \(!l.antialias)", .init(axis: axis, factor: l.factor, antialias: !l.antialias))] {
                let other = Approx.maxAbsDifference(try transform.apply(p, to: input).images["T1"]!.voxels, want)
                #expect(other > 1, "\(l.name) with \(what): max difference \(other) should be far above the tolerance")
            }
            #expect(Approx.maxAbsDifference(image, input.images["T1"]!.voxels) > 1, "\(l.name): the transform changed nothing")
            #expect(out.labels == input.labels, "\(l.name): the label map must keep its full resolution")
        }
    }
}

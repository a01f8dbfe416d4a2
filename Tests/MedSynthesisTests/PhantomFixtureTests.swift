import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport
@testable import MedSynthesis

/// Shared phantom cases and helpers for the phantom tests (rendered once per test process).
enum PhantomFixture {
    /// Default settings on a 64 × 128 × 128 grid (1.8 × 1.8 × 3.2 mm, the default field of view).
    static let smallSettings = HeadPhantomSettings().withShape(VolumeShape(depth: 64, height: 128, width: 128))
    /// Default settings on an 80 × 192 × 192 grid (1.2 × 1.2 × 2.56 mm), fine enough for pure cortex voxels.
    static let fineSettings = HeadPhantomSettings().withShape(VolumeShape(depth: 80, height: 192, width: 192))
    /// `fineSettings` without bias field and PSF, so images show the tissue values plus noise only, and with the
    /// thin layers (skull tables ≈ 1–2 mm, thinner than a 1.2 × 1.2 × 2.56 mm voxel) thickened so that every
    /// tissue has voxels entirely inside it.
    static let plainSettings: HeadPhantomSettings = {
        var s = fineSettings
        s.mr.biasFieldStrength = 0
        s.pet.psfFWHMMM = 0
        s.anatomy.skinThicknessMM = 3.5...4.0
        s.anatomy.fatThicknessMM = 3.5...4.0
        s.anatomy.skullThicknessMM = 9...10
        s.anatomy.diploeFraction = 0.3...0.35
        s.anatomy.csfThicknessMM = 3...3.5
        return s
    }()
    static let seed: UInt64 = 2024

    static let smallCase: HeadPhantomCase = try! HeadPhantom(settings: smallSettings).makeCase(seed: seed, index: 0)
    static let fineCase: HeadPhantomCase = try! HeadPhantom(settings: fineSettings).makeCase(seed: seed, index: 0)
    static let plainCase: HeadPhantomCase = try! HeadPhantom(settings: plainSettings).makeCase(seed: seed, index: 0)

    /// Per voxel: the label of a tissue whose fraction is ≥ `threshold`, or −1 for mixed voxels.
    static func pureLabels(settings: HeadPhantomSettings, parameters: HeadPhantomCaseParameters,
                           threshold: Float = 0.999) -> [Int] {
        let model = try! HeadPhantom(settings: settings).anatomyModel(for: parameters)
        let shape = settings.shape
        var out = [Int](repeating: -1, count: shape.voxelCount)
        for k in 0..<shape.depth { for j in 0..<shape.height { for i in 0..<shape.width {
            let w = settings.affine.apply(SIMD3(Double(i), Double(j), Double(k)))
            let f = model.fractions(head: model.headPoint(world: SIMD3<Float>(w)))
            let t = HeadAnatomyModel.dominantLabel(f)
            if f[t] >= threshold { out[(k * shape.height + j) * shape.width + i] = t }
        } } }
        return out
    }

    /// Pure voxels whose six face neighbours are pure voxels of the same tissue (one-voxel erosion).
    static func erodedPureLabels(_ pure: [Int], shape: VolumeShape) -> [Int] {
        var out = [Int](repeating: -1, count: pure.count)
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        for k in 1..<(d - 1) { for j in 1..<(h - 1) { for i in 1..<(w - 1) {
            let n = (k * h + j) * w + i
            let t = pure[n]
            guard t >= 0 else { continue }
            if pure[n - 1] == t, pure[n + 1] == t, pure[n - w] == t, pure[n + w] == t,
               pure[n - w * h] == t, pure[n + w * h] == t { out[n] = t }
        } } }
        return out
    }

    /// The values of `volume` at voxels whose entry in `labels` is in `tissues`.
    static func values(_ volume: Volume, where labels: [Int], in tissues: [Tissue]) -> [Float] {
        let wanted = Set(tissues.map(\.rawValue))
        return zip(volume.voxels, labels).compactMap { wanted.contains($0.1) ? $0.0 : nil }
    }

    static func median(_ v: [Float]) -> Float {
        precondition(!v.isEmpty, "median of no values")
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func mean(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) } / Double(v.count) }

    static func variance(_ v: [Float]) -> Double {
        let m = mean(v)
        return v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count - 1)
    }
}

@Suite struct PhantomSettingsTests {
    @Test func settingsRoundTripThroughJSON() throws {
        var s = HeadPhantomSettings()
        s.mr.flair.inversionTimeMS = 2400
        let data = try JSONEncoder().encode(s)
        let back = try JSONDecoder().decode(HeadPhantomSettings.self, from: data)
        #expect(back == s)
    }

    @Test func caseParametersRoundTripThroughJSONAndReRender() throws {
        let phantom = try HeadPhantom(settings: PhantomFixture.smallSettings)
        let parameters = phantom.drawParameters(seed: PhantomFixture.seed, index: 0)
        let data = try JSONEncoder().encode(parameters)
        let back = try JSONDecoder().decode(HeadPhantomCaseParameters.self, from: data)
        #expect(back == parameters)
        let rendered = try phantom.render(back)
        #expect(rendered.labels == PhantomFixture.smallCase.labels)
        #expect(rendered.t2 == PhantomFixture.smallCase.t2)
    }

    @Test func defaultSettingsValidate() throws {
        try HeadPhantomSettings().validate()
    }

    @Test func invalidSettingsAreRejectedWithTheFieldName() {
        var s = HeadPhantomSettings()
        s.spacingMM = SIMD3(1, -1, 1)
        #expect(throws: MedSynthError.self) { try HeadPhantom(settings: s) }
        s = HeadPhantomSettings()
        s.mr.flair.inversionTimeMS = 20000
        do {
            _ = try HeadPhantom(settings: s)
            Issue.record("TI beyond TR was accepted")
        } catch let e as MedSynthError {
            #expect(e.kind == .invalidArgument)
            #expect(e.description.contains("flair.inversionTimeMS"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        s = HeadPhantomSettings()
        s.tissues.entries.removeAll { $0.tissue == .diploe }
        #expect(throws: MedSynthError.self) { try HeadPhantom(settings: s) }
        s = HeadPhantomSettings()
        s.anatomy.diploeFraction = 0.5...1.5
        #expect(throws: MedSynthError.self) { try HeadPhantom(settings: s) }
    }

    @Test func withShapeKeepsTheFieldOfView() {
        let s = HeadPhantomSettings()
        let t = s.withShape(VolumeShape(depth: 64, height: 128, width: 128))
        let fov = { (x: HeadPhantomSettings) in
            SIMD3(Double(x.shape.width), Double(x.shape.height), Double(x.shape.depth)) * x.spacingMM
        }
        #expect(Approx.maxAbsDifference(fov(s).toArray, fov(t).toArray) < 1e-9)
        // The volume centre is the world origin.
        let centre = t.affine.apply(SIMD3(63.5, 63.5, 31.5))
        #expect(abs(centre.x) < 1e-9 && abs(centre.y) < 1e-9 && abs(centre.z) < 1e-9)
    }

    @Test func volumesShareGeometryAndCarryTheirModality() {
        let c = PhantomFixture.smallCase
        let expected: [(Volume, Modality, IntensityUnit)] = [
            (c.labels, .label, .label), (c.ct, .ct, .hounsfield), (c.t1, .t1, .arbitrary),
            (c.t2, .t2, .arbitrary), (c.flair, .flair, .arbitrary), (c.pet, .pet, .suv),
        ]
        for (v, modality, unit) in expected {
            #expect(v.modality == modality)
            #expect(v.unit == unit)
            #expect(v.shape == PhantomFixture.smallSettings.shape)
            #expect(v.affine == PhantomFixture.smallSettings.affine)
            #expect(c[modality] == v)
        }
    }
}

extension SIMD3 where Scalar == Double {
    var toArray: [Double] { [x, y, z] }
}

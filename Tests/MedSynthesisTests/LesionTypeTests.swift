import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// Issue 23 part 3: named lesion types, their documented appearance per modality, internal heterogeneity, and the
/// visibility rule applied to them.
@Suite struct LesionTypeTests {
    static let grid = VolumeShape(depth: 40, height: 64, width: 64)
    static let affine = Affine(spacingMM: SIMD3(1.5, 1.5, 1.5), originMM: SIMD3(-48, -48, -30))

    /// 1 inside an ellipsoid of 27 × 45 × 45 mm semi-axes, 0 outside.
    static let mask: Volume = {
        var m = Volume(shape: grid, filledWith: 0, affine: affine, modality: .label)
        for k in 0..<grid.depth {
            for j in 0..<grid.height {
                for i in 0..<grid.width {
                    let z = (Double(k) - 19.5) / 18, y = (Double(j) - 31.5) / 30, x = (Double(i) - 31.5) / 30
                    if x * x + y * y + z * z <= 1 { m[k, j, i] = 1 }
                }
            }
        }
        return m
    }()

    /// Host images with Gaussian noise (CT σ 8 HU, as the phantom's default CT), noise-free when `noise` is false.
    static func images(noise: Bool = true, seed: UInt64 = 41) -> [Volume] {
        var g = SeededGenerator(seed: seed)
        return [(Modality.ct, 30.0, 8.0), (.t1, 800, 20), (.t2, 600, 20), (.flair, 500, 20), (.pet, 3, 0.1)].map { m, mean, sd in
            Volume(shape: grid, voxels: (0..<grid.voxelCount).map { _ in Float(mean + (noise ? sd * g.nextNormal() : 0)) },
                   affine: affine, modality: m)
        }
    }

    static let noisyImages = images()

    /// The type's settings with sizes that fit the test grid (appearance, parts, shape and heterogeneity kept).
    static func settings(_ type: LesionType, count: Int = 3) -> LesionSettings {
        var s = type.settings
        s.countRange = count...count
        s.radiusMedianMM = 5
        s.radiusRangeMM = 4...6
        return s
    }

    /// The documented sign of each type's change per part and modality (docs/TISSUE_PARAMETERS.md, "Lesion types").
    static let expectedSigns: [LesionType: [LesionSubRegion: [Modality: Double]]] = [
        .glioma: [.oedema: [.ct: -1, .t2: 1, .flair: 1], .enhancingRim: [.t1: 1, .pet: 1], .necroticCore: [.ct: -1, .t2: 1, .pet: -1]],
        .metastasis: [.oedema: [.ct: -1, .t2: 1, .flair: 1, .pet: -1], .enhancingRim: [.t1: 1, .pet: 1],
                      .necroticCore: [.t2: 1, .pet: -1]],
        .haemorrhage: [.whole: [.ct: 1, .t2: -1, .flair: -1, .pet: -1]],
        .infarct: [.whole: [.ct: -1, .t1: -1, .t2: 1, .flair: 1, .pet: -1]],
        .plaque: [.whole: [.t2: 1, .flair: 1]],
    ]

    @Test(arguments: LesionType.allCases)
    func insertedChangeHasTheDocumentedSignPerModality(type: LesionType) throws {
        let r = try VolumeLesionInserter(settings: Self.settings(type))
            .insert(into: Self.noisyImages, labels: nil, mask: Self.mask, using: SeededGenerator(seed: 8))
        try #require(!r.lesions.isEmpty, "\(type): no lesion inserted; dropped \(r.dropped.map(\.reason))")
        let expected = try #require(Self.expectedSigns[type])
        var checked: Set<LesionSubRegion> = []
        for lesion in r.lesions {
            #expect(lesion.parameters?.type == type, "record of lesion \(lesion.index) has type \(String(describing: lesion.parameters?.type))")
            for (region, signs) in expected {
                // Whole lesions: the inserted change over the labelled voxels; parts: the change over each part's voxels.
                let change: [String: Double]
                if region == .whole {
                    change = (lesion.visibility ?? [:]).mapValues(\.insertedChange)
                } else {
                    guard let part = lesion.subRegions.first(where: { $0.region == region }), part.voxelCount > 0 else { continue }
                    change = part.contrast
                }
                checked.insert(region)
                for (modality, sign) in signs {
                    let value = try #require(change[modality.rawValue], "\(type) \(region.rawValue): no \(modality.rawValue) value in \(change)")
                    #expect(value * sign > 0, "\(type) lesion \(lesion.index) \(region.rawValue): \(modality.rawValue) change \(value), expected sign \(sign)")
                }
            }
        }
        // Every expected part was measured at least once (the small necrotic centre of a metastasis may be absent).
        let required = Set(expected.keys).subtracting(type == .metastasis || type == .glioma ? [.necroticCore] : [])
        #expect(required.isSubset(of: checked), "\(type): parts measured \(checked.map(\.rawValue)), expected \(required.map(\.rawValue))")
    }

    /// A glioma writes its necrotic core, enhancing rim and oedema labels inside one connected component per lesion.
    @Test func gliomaWritesItsSubRegionsInsideOneComponent() throws {
        var s = Self.settings(.glioma, count: 2)
        s.radiusRangeMM = 5...6
        let r = try VolumeLesionInserter(settings: s)
            .insert(into: Self.noisyImages, labels: nil, mask: Self.mask, using: SeededGenerator(seed: 12))
        try #require(!r.lesions.isEmpty)
        #expect(LesionComponentsReference.count(r.labels) == r.lesions.count, "components vs \(r.lesions.count) gliomas")
        var labels: Set<Int> = []
        for g in r.labels.voxels.indices where r.labels.voxels[g] >= 10 { labels.insert(Int(r.labels.voxels[g])) }
        #expect(labels == [11, 12, 13], "glioma labels \(labels.sorted())")
        for lesion in r.lesions {
            #expect(Set(lesion.labels).isSubset(of: [11, 12, 13]) && lesion.labels.contains(12) && lesion.labels.contains(13),
                    "lesion \(lesion.index) labels \(lesion.labels)")
        }
    }

    /// The heterogeneity field multiplies each voxel's change: with the same seed the typed lesion's change is the
    /// uniform lesion's change times the recorded field, which varies (std ≈ amplitude) and repeats exactly.
    @Test func heterogeneityIsReproducibleAndNonZero() throws {
        let images = Self.images(noise: false)
        var s = Self.settings(.infarct, count: 1)
        s.heterogeneityAmplitude = 0.3
        var uniform = s
        uniform.heterogeneityAmplitude = 0
        let stream = SeededGenerator(seed: 21)
        let r = try VolumeLesionInserter(settings: s).insert(into: images, labels: nil, mask: Self.mask, using: stream)
        let again = try VolumeLesionInserter(settings: s).insert(into: images, labels: nil, mask: Self.mask, using: stream)
        let flat = try VolumeLesionInserter(settings: uniform).insert(into: images, labels: nil, mask: Self.mask, using: stream)
        #expect(r.images.map(\.voxels) == again.images.map(\.voxels) && r.labels.voxels == again.labels.voxels)
        let lesion = try #require(r.lesions.first), other = try #require(flat.lesions.first)
        let h = try #require(lesion.parameters?.heterogeneity, "no heterogeneity recorded")
        #expect(h.amplitude == 0.3 && other.parameters?.heterogeneity == nil)
        // The shape, place and appearance are the same draw: the heterogeneity seed is drawn last.
        var p = try #require(lesion.parameters)
        p.heterogeneity = nil
        #expect(p == other.parameters && lesion.box == other.box)
        let m = h.modulation(box: lesion.box, affine: Self.affine)
        #expect(m.allSatisfy { $0 >= 0 && $0 <= 2 })
        var ratios: [Double] = []
        for n in [1, 3] {   // T1 and FLAIR: relative changes of opposite sign
            lesion.box.forEachVoxel(on: Self.grid) { b, g, _, _, _ in
                let d0 = Double(flat.images[n].voxels[g] - images[n].voxels[g]), d = Double(r.images[n].voxels[g] - images[n].voxels[g])
                guard abs(d0) > 1, r.labels.voxels[g] >= 10, flat.labels.voxels[g] >= 10 else { return }
                #expect(abs(d - d0 * Double(m[b])) <= 1e-3 * abs(d0) + 1e-3, "voxel \(g): change \(d), uniform \(d0) × m \(m[b])")
                if n == 3 { ratios.append(d / d0) }
            }
        }
        try #require(ratios.count > 50, "\(ratios.count) lesion voxels compared")
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let sd = (ratios.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ratios.count)).squareRoot()
        #expect(sd > 0.1 && sd < 0.5, "the change varies inside the lesion by sd \(sd) for amplitude 0.3")
        // Another heterogeneity seed, another field.
        var other2 = h
        other2.seed &+= 1
        #expect(other2.modulation(box: lesion.box, affine: Self.affine) != m)
    }

    /// Plaques are near isodense on CT: inserted into a CT image alone they are dropped as invisible, saying why,
    /// or kept and recorded as invisible with `allowInvisible`.
    @Test func ctOnlyPlaquesAreDroppedAsInvisibleUnlessAllowed() throws {
        let ct = [Self.noisyImages[0]]
        let s = Self.settings(.plaque, count: 3)
        let r = try VolumeLesionInserter(settings: s).insert(into: ct, labels: nil, mask: Self.mask, using: SeededGenerator(seed: 5))
        #expect(r.lesions.isEmpty, "CT plaques inserted: \(r.lesions.map { $0.visibility ?? [:] })")
        #expect(r.dropped.count == 3 && r.dropped.allSatisfy { $0.reason.hasPrefix("CNR CT") && $0.parameters.type == .plaque },
                "\(r.dropped.map(\.reason))")
        #expect(!r.labels.voxels.contains { $0 >= 10 } && r.images[0].voxels == ct[0].voxels)
        var allow = s
        allow.visibility.allowInvisible = true
        let kept = try VolumeLesionInserter(settings: allow).insert(into: ct, labels: nil, mask: Self.mask, using: SeededGenerator(seed: 5))
        #expect(!kept.lesions.isEmpty && kept.lesions.allSatisfy { $0.keptInvisible?.contains("CNR CT") == true },
                "\(kept.lesions.map(\.keptInvisible)) dropped \(kept.dropped.map(\.reason))")
        // The same plaques with FLAIR are visible there.
        let withFLAIR = try VolumeLesionInserter(settings: s)
            .insert(into: [Self.noisyImages[0], Self.noisyImages[3]], labels: nil, mask: Self.mask, using: SeededGenerator(seed: 5))
        #expect(withFLAIR.lesions.count == 3 && withFLAIR.lesions.allSatisfy { $0.visibility?["FLAIR"]?.visible == true && $0.visibility?["CT"]?.visible == false },
                "\(withFLAIR.lesions.map { $0.visibility ?? [:] })")
    }

    @Test func namesAndAliasesResolveAndUnknownNamesListTheValidOnes() throws {
        #expect(try LesionType(name: "hemorrhage") == .haemorrhage)
        #expect(try LesionType(name: "MS_plaque") == .plaque)
        #expect(try LesionType(name: " Glioma ") == .glioma)
        do {
            _ = try LesionType(name: "tumour")
            Issue.record("'tumour' was accepted")
        } catch let e as MedSynthError {
            #expect(e.subject == "--lesion-type" && e.message.contains("'tumour'"), "\(e)")
            for t in LesionType.allCases { #expect(e.message.contains(t.rawValue), "\(e.message) lacks \(t.rawValue)") }
        }
    }

    /// Without a type nothing changes: no type, no heterogeneity drawn, no new keys in the records or signatures.
    @Test func untypedLesionsDrawAndRecordAsBefore() throws {
        var g = SeededGenerator(seed: 3)
        let p = LesionParameters.draw(settings: LesionSettings(), using: &g)
        #expect(p.type == nil && p.heterogeneity == nil)
        let json = try ProvenanceJSON.string([p])
        #expect(!json.contains("\"type\"") && !json.contains("heterogeneity"), "\(json)")
        let arguments = PhantomDatasetBuilder.Arguments(cases: 2, shape: VolumeShape(depth: 16, height: 32, width: 32), seed: 1, lesions: 2)
        let values = PhantomDatasetBuilder.runConfiguration(arguments).values
        #expect(values["lesion_type"] == nil && values["lesion_radius_mm"] == "6.0" && values["sub_regions"] == "false", "\(values)")
        var typed = arguments
        typed.lesionType = .glioma
        let typedValues = PhantomDatasetBuilder.runConfiguration(typed).values
        #expect(typedValues["lesion_type"] == "glioma" && typedValues["sub_regions"] == "true" && typedValues["lesion_radius_mm"] == "14.0",
                "\(typedValues)")
        #expect(typed.lesionSettings.heterogeneityAmplitude == 0 && typed.lesionSettings.subRegions)
    }

    /// Rendered through the phantom, a haemorrhage is hyperdense and an infarct hypodense on CT, and their records
    /// carry the type.
    @Test(arguments: [(LesionType.haemorrhage, 1.0), (.infarct, -1.0)])
    func phantomLesionsOfATypeHaveTheirCTSign(type: LesionType, sign: Double) throws {
        var s = type.settings
        s.countRange = 2...2
        s.heterogeneityAmplitude = 0
        let c = try PhantomLesionInserter(phantom: LesionFixture.phantom, settings: s).makeCase(seed: 17, index: 0)
        try #require(!c.lesions.isEmpty)
        for lesion in c.lesions {
            #expect(lesion.parameters?.type == type)
            let ct = try #require(lesion.contrast["CT"])
            #expect(ct * sign > 0, "\(type) lesion \(lesion.index): CT contrast \(ct)")
        }
    }
}

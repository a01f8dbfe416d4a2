import Testing
import MedCore
import MedIO
@testable import MedSynthesis

@Suite struct PhantomAnatomyTests {
    /// A case's anatomy made axis-aligned and unperturbed: no rotation, surface bumps, asymmetry or thickness
    /// modulation, so the skin surface is the ellipsoid ρ = 1 and every layer has its drawn thickness.
    static func regularAnatomy(_ settings: HeadPhantomSettings) throws -> HeadAnatomyParameters {
        var a = try HeadPhantom(settings: settings).drawParameters(seed: 12, index: 0).anatomy
        a.rotationDeg = .zero
        a.surfaceBumps = []
        a.asymmetry = 0
        a.scalpModulation = []
        a.skullModulation = []
        a.csfModulation = []
        return a
    }

    /// Across the skin surface the head fraction falls linearly over the voxel's extent along the surface normal:
    /// 2 mm across the top of the head, 1 mm across its side, on a 1 × 1 × 2 mm grid.
    @Test func partialVolumeRampSpansTheVoxelExtentAlongTheNormal() throws {
        var s = HeadPhantomSettings()
        s.shape = VolumeShape(depth: 100, height: 200, width: 200)
        s.spacingMM = SIMD3(1, 1, 2)
        let a = try Self.regularAnatomy(s)
        let model = HeadAnatomyModel(parameters: a, settings: s)
        let semi = SIMD3<Float>(a.headSemiAxesMM)
        for d: Float in [-0.8, -0.4, -0.1, 0, 0.3, 0.45, 0.7] {
            let expected = min(max(0.5 + d, 0), 1)
            let top = model.fractions(head: SIMD3(0, 0, semi.z + d * 2))
            let side = model.fractions(head: SIMD3(semi.x + d * 1, 0, 0))
            #expect(abs(top[Tissue.background.rawValue] - expected) < 1e-3, "top, offset \(d) voxel")
            #expect(abs(side[Tissue.background.rawValue] - expected) < 1e-3, "side, offset \(d) voxel")
        }
    }

    /// Walking inward from the skin along the anterior axis crosses skin, fat, outer table, diploë, inner table
    /// and CSF at the drawn thicknesses.
    @Test func layersHaveTheDrawnThicknesses() throws {
        var s = HeadPhantomSettings()
        s.shape = VolumeShape(depth: 200, height: 400, width: 400)
        s.spacingMM = SIMD3(0.5, 0.5, 0.5)
        let a = try Self.regularAnatomy(s)
        let model = HeadAnatomyModel(parameters: a, settings: s)
        let layers: [(Tissue, Double)] = [
            (.skin, a.skinThicknessMM), (.fat, a.fatThicknessMM), (.corticalBone, a.outerTableThicknessMM),
            (.diploe, a.diploeThicknessMM), (.corticalBone, a.innerTableThicknessMM), (.csf, a.csfThicknessMM),
        ]
        var depth = 0.0
        for (tissue, thickness) in layers {
            let mid = Float(a.headSemiAxesMM.y - depth - thickness / 2)
            let f = model.fractions(head: SIMD3(0, mid, 0))
            #expect(HeadAnatomyModel.dominantLabel(f) == tissue.rawValue, "expected \(tissue) at depth \(depth + thickness / 2) mm")
            // 0.5 mm voxels: layers thicker than 1 mm are pure at their middle.
            if thickness > 1 { #expect(f[tissue.rawValue] > 0.999) }
            depth += thickness
        }
    }
}

import Testing
import MedCore
import MedIO
@testable import MedSynthesis

@Suite struct PhantomDeterminismTests {
    static func bits(_ v: Volume) -> [UInt32] { v.voxels.map(\.bitPattern) }

    @Test func sameSeedAndIndexGiveIdenticalBytes() throws {
        let phantom = try HeadPhantom(settings: PhantomFixture.smallSettings)
        let again = try phantom.makeCase(seed: PhantomFixture.seed, index: 0)
        for (a, b) in zip(again.volumes, PhantomFixture.smallCase.volumes) {
            #expect(Self.bits(a) == Self.bits(b), "\(a.modality) differs between two renders of the same case")
        }
        #expect(again.parameters == PhantomFixture.smallCase.parameters)
    }

    @Test func serialAndParallelRendersAreIdentical() throws {
        let phantom = try HeadPhantom(settings: PhantomFixture.smallSettings)
        let parameters = phantom.drawParameters(seed: PhantomFixture.seed, index: 0)
        let serial = try phantom.render(parameters, model: nil, inclusions: [], serial: true)
        for (a, b) in zip(serial.volumes, PhantomFixture.smallCase.volumes) {
            #expect(Self.bits(a) == Self.bits(b), "\(a.modality) depends on the slice split")
        }
    }

    @Test func differentSeedOrIndexGivesDifferentAnatomy() throws {
        let phantom = try HeadPhantom(settings: PhantomFixture.smallSettings)
        let base = PhantomFixture.smallCase
        for other in [try phantom.makeCase(seed: PhantomFixture.seed + 1, index: 0),
                      try phantom.makeCase(seed: PhantomFixture.seed, index: 1)] {
            #expect(other.parameters.anatomy != base.parameters.anatomy)
            #expect(other.parameters.tissues != base.parameters.tissues)
            let changed = zip(other.labels.voxels, base.labels.voxels).filter { $0 != $1 }.count
            // Different head size, pose and folding move far more than a few boundary voxels.
            #expect(changed > base.labels.voxels.count / 50, "only \(changed) labels differ")
        }
    }

    @Test func drawnParametersStayInsideTheirRanges() throws {
        let s = HeadPhantomSettings()
        let phantom = try HeadPhantom(settings: s)
        for index in 0..<20 {
            let p = phantom.drawParameters(seed: 5, index: index)
            let a = p.anatomy, v = s.anatomy
            #expect(v.headSemiAxisLRMM.contains(a.headSemiAxesMM.x))
            #expect(v.headSemiAxisAPMM.contains(a.headSemiAxesMM.y))
            #expect(v.headSemiAxisSIMM.contains(a.headSemiAxesMM.z))
            let skull = a.outerTableThicknessMM + a.diploeThicknessMM + a.innerTableThicknessMM
            #expect(v.skullThicknessMM.contains(skull + 1e-9) || v.skullThicknessMM.contains(skull - 1e-9))
            #expect(v.diploeFraction.contains(a.diploeThicknessMM / skull))
            #expect(v.corticalThicknessMM.contains(a.corticalThicknessMM))
            #expect(v.ventricleScale.contains(a.ventricleScale))
            for tissue in Tissue.anatomical {
                let drawn = p.properties(of: tissue), range = s.tissues[tissue]
                #expect(range.ctHU.contains(drawn.ctHU) && range.t1MS.contains(drawn.t1MS)
                        && range.t2MS.contains(drawn.t2MS) && range.protonDensity.contains(drawn.protonDensity)
                        && range.suv.contains(drawn.suv), "\(tissue) drew \(drawn)")
            }
            #expect(p.properties(of: .ventricles) == p.properties(of: .csf))
            // The callosal core reaches above every ventricle, so the fissure never opens a ventricle.
            let coreTop = a.callosalCoreCenterMM.z + a.callosalCoreSemiAxesMM.z
            for st in a.structures where st.tissue == .ventricles { #expect(coreTop > st.topMM) }
        }
    }
}

import Foundation
import MedCore
import MedIO
import MedSynthesis
import Testing
@testable import MedValidation

/// Issue 23's realism figure: the template brain's T1 against the template's own T1 average after the case's
/// deformation is undone, with the procedural brain as the baseline.
@Suite struct PhantomLikenessTests {
    static let grid = VolumeShape(depth: 48, height: 96, width: 96)

    static func phantom(_ brain: PhantomBrain) throws -> HeadPhantom {
        var s = HeadPhantomSettings().withShape(grid)
        s.brain = brain
        return try HeadPhantom(settings: s)
    }

    @Test func theTemplateBrainLooksLikeTheTemplateAndTheProceduralOneDoesNot() throws {
        let template = try Self.phantom(.template), procedural = try Self.phantom(.procedural)
        for index in 0..<2 {
            let t = try PhantomLikeness.measure(template, seed: 5, index: index)
            let p = try PhantomLikeness.measure(procedural, seed: 5, index: index)
            // A flipped axis, a wrong origin or a deformation applied the wrong way round drops r far below this.
            #expect(t.correlation > 0.8, "template brain case \(index): r \(t.correlation), SSIM \(t.ssim)")
            #expect(t.ssim > p.ssim + 0.3, "case \(index): template SSIM \(t.ssim), procedural \(p.ssim)")
            #expect(t.voxelCount > 10_000)
        }
    }

    /// The reference is the case's own map: the same template T1 seen without the case's deformation matches the
    /// case less well (the deformation is real and is undone).
    @Test func undoingTheCasesDeformationMatters() throws {
        let template = try Self.phantom(.template)
        let c = try template.makeCase(seed: 9, index: 0)
        var undeformed = c.parameters
        undeformed.templateBrain = .identity
        let own = try PhantomLikeness.measure(t1: c.t1, reference: template.templateT1(for: c.parameters))
        let other = try PhantomLikeness.measure(t1: c.t1, reference: template.templateT1(for: undeformed))
        #expect(own.correlation > other.correlation, "own map r \(own.correlation), undeformed template r \(other.correlation)")
    }

    @Test func anEmptyReferenceIsRefused() throws {
        let v = Volume(shape: VolumeShape(depth: 8, height: 8, width: 8), filledWith: 1)
        #expect(throws: MedSynthError.self) { try PhantomLikeness.measure(t1: v, reference: Volume(shape: v.shape, filledWith: 0)) }
    }
}

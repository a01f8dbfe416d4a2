import MedCore
import MedIO

/// The head phantom with a user's label map as its brain: co-registered CT, T1w, T2w, FLAIR and PET with the
/// phantom's physics (drawn tissue properties, bias field, noise, acquisition), the CSF layer, skull and scalp
/// built around the label map's brain envelope.
///
/// The anatomy is the label map's, undeformed: each case's template brain is the identity map (scale 1, no
/// waves, atrophy, ventricular change or asymmetry, no sharpening) and the head is not moved or turned, so the
/// rendered label map equals the input's tissues (after the table) inside the brain, and the volumes lie on the
/// label map's grid (`LabelMapTemplate`). Everything else is drawn per case as in `HeadPhantom`.
public struct LabelMapPhantom: Sendable {
    /// The label map's template and grids.
    public let labelMap: LabelMapTemplate
    /// The phantom on the render grid, with the label map's template as its brain.
    public let phantom: HeadPhantom

    /// Creates the phantom.
    /// - Parameters:
    ///   - labelMap: the label map's template.
    ///   - settings: tissue table, acquisition and scalp/skull variation; its grid and brain are replaced by the
    ///     label map's.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first invalid setting.
    public init(labelMap: LabelMapTemplate, settings: HeadPhantomSettings = HeadPhantomSettings()) throws {
        var s = settings
        s.shape = labelMap.renderShape
        s.spacingMM = labelMap.renderSpacingMM
        s.brain = .template
        self.labelMap = labelMap
        phantom = try HeadPhantom(settings: s, template: labelMap.template)
    }

    /// The template-brain record of every case: the identity map onto the label map (named by its digest).
    public var identityBrain: TemplateBrainParameters {
        TemplateBrainParameters(template: "label map sha256:\(labelMap.digest)", scale: SIMD3(repeating: 1), asymmetry: 0,
                                atrophy: 0, ventricleExpansion: 0, ventricleExpansionWidthMM: 22, waves: [],
                                tissueSharpening: 1)
    }

    /// Draws case `index` of the dataset `seed` (`HeadPhantom.drawParameters`), with the head unmoved and the
    /// brain the label map's own.
    public func drawParameters(seed: UInt64, index: Int) -> HeadPhantomCaseParameters {
        var p = phantom.drawParameters(seed: seed, index: index)
        p.anatomy.rotationDeg = .zero
        p.anatomy.translationMM = .zero
        p.templateBrain = identityBrain
        return p
    }

    /// Draws and renders a case, on the output grid (`LabelMapTemplate.reoriented`).
    /// - Throws: `MedSynthError` from rendering.
    public func makeCase(seed: UInt64, index: Int) throws -> HeadPhantomCase {
        try render(drawParameters(seed: seed, index: index))
    }

    /// Renders drawn parameters on the output grid.
    /// - Throws: `MedSynthError` when the parameters are invalid.
    public func render(_ parameters: HeadPhantomCaseParameters) throws -> HeadPhantomCase {
        let c = try phantom.render(parameters)
        let m = labelMap
        return HeadPhantomCase(labels: m.reoriented(c.labels), ct: m.reoriented(c.ct), t1: m.reoriented(c.t1),
                               t2: m.reoriented(c.t2), flair: m.reoriented(c.flair), pet: m.reoriented(c.pet),
                               parameters: c.parameters)
    }
}

extension HeadPhantom {
    /// A phantom whose brain is `template` (built in memory, e.g. from a label map) instead of the bundled one.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first invalid setting, or `brain` when the settings
    ///   draw the procedural brain.
    init(settings: HeadPhantomSettings, template: BrainTemplate) throws {
        try settings.validate()
        guard settings.brain == .template else {
            throw MedSynthError(.invalidArgument, "brain", "is \(settings.brain.rawValue); a phantom with its own template needs brain: template")
        }
        self.settings = settings
        self.template = template
    }
}

import MedCore
import MedIO

/// The multimodal head phantom: seeded, procedurally varied head anatomy rendered as a label map with
/// co-registered CT, T1w, T2w, FLAIR and FDG PET (see docs/TISSUE_PARAMETERS.md for the physics).
///
/// ```swift
/// let phantom = try HeadPhantom(settings: HeadPhantomSettings())
/// let c = try phantom.makeCase(seed: 42, index: 0)   // c.labels, c.ct, c.t1, c.t2, c.flair, c.pet
/// ```
/// Cases are deterministic: the same settings, seed and index give byte-identical volumes, whatever the thread
/// count. Drawing is separate from rendering (MONAI's "draw parameters, then apply"): `drawParameters` gives the
/// record that provenance keeps, and `render` rebuilds the case from it, optionally with inclusions (lesions).
public struct HeadPhantom: Sendable {
    /// The validated settings.
    public let settings: HeadPhantomSettings
    /// The brain template (read once per process) when `settings.brain` is `template`.
    public let template: BrainTemplate?

    /// Creates a phantom.
    /// - Parameter settings: grid, variation, tissue table and acquisition models.
    /// - Throws: `MedSynthError(.invalidArgument)` (or `.tooLarge`) naming the first invalid setting; the
    ///   template's error when `settings.brain` is `template` and the bundled template cannot be read.
    public init(settings: HeadPhantomSettings = HeadPhantomSettings()) throws {
        try settings.validate()
        self.settings = settings
        template = settings.brain == .template ? try BrainTemplate.shared() : nil
    }

    /// Draws every random parameter of case `index` of the dataset `seed`.
    ///
    /// Streams: case = SeededGenerator(seed).split(index); its splits `SeedStream.phantom*` draw the anatomy, the tissue
    /// properties, the bias field, the noise seed and the acquisition (`settings.acquisitionVariation`), so
    /// changing one part's settings leaves the other draws alone.
    /// - Parameters:
    ///   - seed: the dataset seed.
    ///   - index: the case number, ≥ 0.
    public func drawParameters(seed: UInt64, index: Int) -> HeadPhantomCaseParameters {
        precondition(index >= 0, "case index \(index) must be >= 0")
        let caseStream = SeededGenerator(seed: seed).split(UInt64(index))
        var anatomyStream = caseStream.split(SeedStream.phantomAnatomy), tissueStream = caseStream.split(SeedStream.phantomTissue)
        var biasStream = caseStream.split(SeedStream.phantomBias), noiseStream = caseStream.split(SeedStream.phantomNoise)
        var acquisitionStream = caseStream.split(SeedStream.phantomAcquisition)

        let anatomy = HeadAnatomyParameters.draw(from: settings.anatomy, using: &anatomyStream)
        let tissues = settings.tissues.draw(using: &tissueStream)
        let bias = BiasField.draw(degree: settings.mr.biasFieldDegree, strength: settings.mr.biasFieldStrength,
                                  using: &biasStream)
        let acquisition = settings.acquisitionVariation.map { $0.draw(around: settings, using: &acquisitionStream) }
        var templateStream = caseStream.split(SeedStream.phantomTemplateBrain)
        let templateBrain = settings.brain == .template
            ? TemplateBrainParameters.draw(from: settings.templateVariation, using: &templateStream) : nil
        let mr = settings.applying(acquisition).mr
        let csf = tissues[Tissue.csf.rawValue]
        let ti = mr.flair.inversionTimeMS
            ?? MRSignalModel.nullingInversionTimeMS(t1MS: csf.t1MS, repetitionTimeMS: mr.flair.repetitionTimeMS)
        let wm = tissues[Tissue.whiteMatter.rawValue]
        let fraction = mr.noiseFractionOfWhiteMatter * mr.receiverGain
        let t1Sigma = fraction * MRSignalModel.spinEcho(protonDensity: wm.protonDensity, t1MS: wm.t1MS, t2MS: wm.t2MS,
                                                        timing: mr.t1Weighted)
        let t2Sigma = fraction * MRSignalModel.spinEcho(protonDensity: wm.protonDensity, t1MS: wm.t1MS, t2MS: wm.t2MS,
                                                        timing: mr.t2Weighted)
        let flairSigma = fraction * MRSignalModel.inversionRecovery(
            protonDensity: wm.protonDensity, t1MS: wm.t1MS, t2MS: wm.t2MS, repetitionTimeMS: mr.flair.repetitionTimeMS,
            echoTimeMS: mr.flair.echoTimeMS, inversionTimeMS: ti)
        return HeadPhantomCaseParameters(
            seed: seed, index: index, anatomy: anatomy, tissues: tissues, biasField: bias, flairInversionTimeMS: ti,
            t1NoiseSigma: t1Sigma, t2NoiseSigma: t2Sigma, flairNoiseSigma: flairSigma, noiseSeed: noiseStream.next(),
            acquisition: acquisition, templateBrain: templateBrain)
    }

    /// The anatomy model of a drawn case: tissue fractions at any voxel, e.g. for a lesion model to choose where
    /// to place inclusions before rendering.
    /// - Throws: `MedSynthError(.mismatch)` when the parameters were drawn for the other kind of brain than the
    ///   settings' (`brain`).
    public func anatomyModel(for parameters: HeadPhantomCaseParameters) throws -> HeadAnatomyModel {
        switch (parameters.templateBrain, template) {
        case (nil, nil):
            return HeadAnatomyModel(parameters: parameters.anatomy, settings: settings, templateBrain: nil)
        case (let drawn?, let template?):
            return HeadAnatomyModel(parameters: parameters.anatomy, settings: settings,
                                    templateBrain: TemplateBrainMapping(template: template, parameters: drawn))
        case (nil, _?):
            throw MedSynthError(.mismatch, "case parameters",
                                "were drawn for the procedural brain; the settings draw the template brain (set brain: procedural to render them)")
        case (_?, nil):
            throw MedSynthError(.mismatch, "case parameters",
                                "were drawn for the template brain; the settings draw the procedural brain (set brain: template to render them)")
        }
    }

    /// The template's own T1 average seen through a case's map (its pose and, for the template brain, its
    /// deformation), on the case's grid: what the case's T1 should look like if the phantom were the template.
    /// 0 outside the template's brain. For a procedural-brain case the undeformed template is placed at the head's
    /// pose (the likeness baseline of the procedural brain).
    /// - Throws: the template's error when it cannot be read; `MedSynthError(.mismatch)` when the parameters were
    ///   drawn for the other kind of brain than the settings'.
    public func templateT1(for parameters: HeadPhantomCaseParameters) throws -> Volume {
        let template = try self.template ?? BrainTemplate.shared()
        let t1 = try template.t1().voxels
        let pose = try anatomyModel(for: parameters)
        let mapping = pose.templateBrain ?? TemplateBrainMapping(template: template, parameters: .identity)
        let shape = settings.shape, affine = settings.affine
        var out = [Float](repeating: 0, count: shape.voxelCount)
        out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEachChunk(count: shape.depth) { slices in
                for k in slices {
                    for j in 0..<shape.height {
                        for i in 0..<shape.width {
                            let world = SIMD3<Float>(affine.apply(SIMD3(Double(i), Double(j), Double(k))))
                            guard let y = mapping.templatePoint(head: pose.headPoint(world: world)) else { continue }
                            base[(k * shape.height + j) * shape.width + i] = template.sampleTissueGrid(t1, atMNI: y)
                        }
                    }
                }
            }
        }
        return Volume(shape: shape, voxels: out, affine: affine, modality: .t1)
    }

    /// Draws and renders case `index` of the dataset `seed`.
    /// - Parameters:
    ///   - seed: the dataset seed.
    ///   - index: the case number, ≥ 0.
    ///   - inclusions: extra labelled regions painted over the anatomy (lesions); none by default.
    /// - Throws: `MedSynthError(.invalidArgument)` for a negative index or an invalid inclusion.
    public func makeCase(seed: UInt64, index: Int, inclusions: [PhantomInclusion] = []) throws -> HeadPhantomCase {
        guard index >= 0 else {
            throw MedSynthError(.invalidArgument, "index", "is \(index); expected a case index >= 0")
        }
        return try render(drawParameters(seed: seed, index: index), inclusions: inclusions)
    }

    /// Renders a case from its drawn parameters.
    /// - Parameters:
    ///   - parameters: from `drawParameters` (or a saved provenance record).
    ///   - model: the case's anatomy model if already built (`anatomyModel(for:)`); built here when nil.
    ///   - inclusions: extra labelled regions painted over the anatomy.
    /// - Throws: `MedSynthError` when the parameters or an inclusion are invalid, or `model` was built for other
    ///   parameters or another grid.
    public func render(_ parameters: HeadPhantomCaseParameters, model: HeadAnatomyModel? = nil,
                       inclusions: [PhantomInclusion] = []) throws -> HeadPhantomCase {
        try render(parameters, model: model, inclusions: inclusions, serial: false)
    }

    /// `render`, optionally with every slice loop on the calling thread (for tests of thread independence).
    func render(_ parameters: HeadPhantomCaseParameters, model: HeadAnatomyModel?, inclusions: [PhantomInclusion],
                serial: Bool) throws -> HeadPhantomCase {
        try parameters.validate()
        for (n, inclusion) in inclusions.enumerated() { try inclusion.validate(index: n) }
        if let model, model.parameters != parameters.anatomy || model.shape != settings.shape
            || model.affine != settings.affine || model.templateBrain?.parameters != parameters.templateBrain {
            throw MedSynthError(.mismatch, "anatomy model", "was built for other parameters or another grid than this case")
        }
        let anatomy = try model ?? anatomyModel(for: parameters)
        return HeadPhantomRenderer(settings: settings.applying(parameters.acquisition), model: anatomy, parameters: parameters,
                                   inclusions: inclusions, serial: serial).render()
    }
}

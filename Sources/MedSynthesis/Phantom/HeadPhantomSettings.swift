import MedCore
import MedIO

/// Everything that configures `HeadPhantom`: the grid, the anatomy's variation, the tissue table and the
/// acquisition models. All defaults are documented on the fields; they give an adult head at 3 T on a
/// 256 × 256 × 128 grid of 0.9 × 0.9 × 1.6 mm (a 230 × 230 × 205 mm field of view centred on the head).
public struct HeadPhantomSettings: Codable, Sendable, Equatable {
    /// Grid extents: depth (k, axial slices, world z: inferior → superior), height (j, world y: posterior →
    /// anterior), width (i, world x: towards the subject's right, RAS).
    public var shape = VolumeShape(depth: 128, height: 256, width: 256)
    /// Voxel size along width (i), height (j) and depth (k) in mm.
    public var spacingMM = SIMD3<Double>(0.9, 0.9, 1.6)
    /// Which brain: the MNI ICBM152 template deformed per case (the default) or the procedural brain of earlier
    /// versions (what settings recorded without this key read as).
    public var brain = PhantomBrain.template
    /// Per-case variation of the template brain (size, shape, atrophy, ventricles, asymmetry); used when `brain`
    /// is `template`.
    public var templateVariation = TemplateBrainVariation()
    /// Per-case anatomical variation: the head's pose, scalp and skull layers, and (procedural brain only) the
    /// brain's shape.
    public var anatomy = HeadAnatomyVariation()
    /// Tissue property ranges (3 T by default).
    public var tissues = TissueParameterTable.literature3T
    /// CT rendering.
    public var ct = CTAcquisitionSettings()
    /// MR rendering (T1w, T2w, FLAIR).
    public var mr = MRAcquisitionSettings()
    /// PET rendering.
    public var pet = PETAcquisitionSettings()
    /// Per-case variation of the CT, MR and PET settings above (which are its centre); nil renders every case
    /// with them as they are (and is what settings recorded before MedSynth varied the acquisition decode to).
    public var acquisitionVariation: AcquisitionVariation? = AcquisitionVariation()
    /// Samples per cube-face edge of the table that holds the anatomy's direction-dependent functions (surface
    /// bumps, thickness modulations, gyral field). 128 keeps the table's texel below ≈ 0.9 mm on the cortex.
    public var directionTableResolution: Int = 128

    /// The default settings.
    public init() {}

    /// Reads settings; `brain` and `templateVariation` may be absent (settings recorded before the template brain
    /// read as `procedural`, which is what they were rendered with); every other key is required.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        shape = try c.decode(VolumeShape.self, forKey: .shape)
        spacingMM = try c.decode(SIMD3<Double>.self, forKey: .spacingMM)
        brain = try c.decodeIfPresent(PhantomBrain.self, forKey: .brain) ?? .procedural
        templateVariation = try c.decodeIfPresent(TemplateBrainVariation.self, forKey: .templateVariation) ?? TemplateBrainVariation()
        anatomy = try c.decode(HeadAnatomyVariation.self, forKey: .anatomy)
        tissues = try c.decode(TissueParameterTable.self, forKey: .tissues)
        ct = try c.decode(CTAcquisitionSettings.self, forKey: .ct)
        mr = try c.decode(MRAcquisitionSettings.self, forKey: .mr)
        pet = try c.decode(PETAcquisitionSettings.self, forKey: .pet)
        acquisitionVariation = try c.decodeIfPresent(AcquisitionVariation.self, forKey: .acquisitionVariation)
        directionTableResolution = try c.decode(Int.self, forKey: .directionTableResolution)
    }

    /// These settings on another grid with the same field of view (the spacing is scaled per axis).
    /// - Parameter newShape: the new extents.
    /// - Returns: a copy whose `shape` is `newShape` and whose `spacingMM` covers the same millimetres.
    public func withShape(_ newShape: VolumeShape) -> HeadPhantomSettings {
        var s = self
        s.spacingMM = SIMD3(spacingMM.x * Double(shape.width) / Double(newShape.width),
                            spacingMM.y * Double(shape.height) / Double(newShape.height),
                            spacingMM.z * Double(shape.depth) / Double(newShape.depth))
        s.shape = newShape
        return s
    }

    /// The voxel-to-world transform: diagonal with `spacingMM`, volume centre at world (0, 0, 0).
    public var affine: Affine {
        let extent = SIMD3(Double(shape.width - 1), Double(shape.height - 1), Double(shape.depth - 1))
        return Affine(spacingMM: spacingMM, originMM: -0.5 * extent * spacingMM)
    }

    /// Checks every part of the settings.
    /// - Throws: `MedSynthError(.invalidArgument)` naming the first bad field, its value and what was expected.
    public func validate() throws {
        guard spacingMM.min() > 0, spacingMM.max().isFinite else {
            throw MedSynthError(.invalidArgument, "spacingMM", "is \(spacingMM); expected positive finite spacings")
        }
        guard shape.voxelCount <= VolumeShape.maximumVoxelCount else {
            throw MedSynthError(.tooLarge, "shape", "is \(shape); more than \(VolumeShape.maximumVoxelCount) voxels")
        }
        guard (8...1024).contains(directionTableResolution) else {
            throw MedSynthError(.invalidArgument, "directionTableResolution",
                                "is \(directionTableResolution); expected 8...1024")
        }
        try anatomy.validate()
        try templateVariation.validate()
        try tissues.validate()
        try ct.validate()
        try mr.validate()
        try pet.validate()
        try acquisitionVariation?.validate(mr: mr)
    }
}

import MedIO

/// The metadata of one lesion in a case, as stored in the `lesions` provenance attribute (a JSON array of these).
///
/// Measured on the final label map and images: `voxelCount` counts the voxels of the lesion's box whose label is
/// a lesion label (10…13); `volumeMM3` = voxelCount × voxel volume; the centroid is the mean voxel index
/// (k, j, i) of those voxels and its world position (x, y, z) in mm through the affine. `contrast` is the inserted
/// change over those voxels (the mean of new − old; old: the image before the lesion, or the phantom rendered
/// without it): CT in HU, the other modalities relative to the host's mean around the lesion (its box minus the
/// lesion's reach). CarveMix, which has no "before", compares the lesion's mean with the host's (mean / host mean − 1).
/// `medsynth augment` measures the geometry again after its transforms and keeps `contrast` as inserted
/// (`AugmentLesionTracking`).
public struct LesionRecord: Codable, Sendable, Equatable {
    /// Position in the case's lesion list.
    public var index: Int
    /// How it was made: `phantom_inclusion`, `volume_blend` or `carvemix`.
    public var method: String
    /// The label values it holds (10, or some of 11, 12, 13).
    public var labels: [Int]
    /// Lesion voxels in the label map.
    public var voxelCount: Int
    /// Its volume (mm³).
    public var volumeMM3: Double
    /// Mean voxel index (k, j, i): slice, row, column.
    public var centroidVoxel: [Double]
    /// The centroid in world millimetres (x, y, z; RAS+).
    public var centroidWorldMM: [Double]
    /// The box of the grid the lesion lies in.
    public var box: LesionBox
    /// Measured contrast per modality name (CT: ΔHU; T1, T2, FLAIR, PET: relative).
    public var contrast: [String: Double]
    /// Per part, for lesions with sub-regions (empty otherwise).
    public var subRegions: [LesionSubRegionRecord]
    /// What was drawn (nil for a CarveMix transplant, which copies a lesion instead).
    public var parameters: LesionParameters?
    /// CarveMix: the case the lesion was copied from.
    public var sourceCaseID: String?
    /// CarveMix: the shift (k, j, i voxels) from the source case's grid to this one.
    public var offsetVoxels: [Int]?
    /// Phantom inclusions: the tissue labels the lesion's fractions were clipped to, in the order their fractions
    /// are summed (nil in records written before it was recorded: the default 8, 7, 9), so the lesion can be
    /// rendered again exactly.
    public var allowedLabels: [Int]?
    /// Per modality name: the inserted change, the host's noise σ, their ratio (CNR) and whether it reaches the
    /// threshold (`LesionVisibilitySettings`); nil in records written before it was measured, and for CarveMix.
    public var visibility: [String: LesionVisibility]?
    /// How many times the appearance was drawn again before the lesion was visible (nil: not measured).
    public var appearanceRedraws: Int?
    /// Set when the lesion is below the threshold in every image and was kept anyway (`allowInvisible`): why.
    public var keptInvisible: String?
}

/// One part of a lesion with sub-regions.
public struct LesionSubRegionRecord: Codable, Sendable, Equatable {
    /// The part.
    public var region: LesionSubRegion
    /// Its label value.
    public var label: Int
    /// Voxels with that label in the lesion's box.
    public var voxelCount: Int
    /// Their volume (mm³).
    public var volumeMM3: Double
    /// Measured contrast of the part against the host, as `LesionRecord.contrast`.
    public var contrast: [String: Double]
}

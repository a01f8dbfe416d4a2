/// Settings of a CarveMix transplant.
public struct CarveMixSettings: Codable, Sendable, Equatable {
    /// Width of the feathered edge outside the lesion (mm): the pasted weight falls from 1 on the lesion to 0
    /// over about this distance (twice a Gaussian-blurred lesion mask with σ = half of it).
    public var featherMM: Double = 2
    /// Try the lesion's own position first (the cases are co-registered), before random positions.
    public var preferSameLocation = true
    /// Every lesion voxel must land on one of these target labels (brain tissues 7, 8, 9 by default) for at least
    /// `minimumInsideFraction` of the lesion.
    public var allowedTargetLabels: Set<Int> = [7, 8, 9]
    /// The part of the lesion that must land on allowed labels.
    public var minimumInsideFraction: Double = 0.9
    /// Random positions tried before giving up.
    public var maximumAttempts: Int = 500

    /// The defaults.
    public init() {}
}

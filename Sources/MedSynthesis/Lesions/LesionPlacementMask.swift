import MedCore
import MedIO

/// Where lesions may go on a grid: the allowed fraction of every voxel (lesion fractions are clipped to it),
/// which voxels may hold a lesion's centre, and regions that must stay free (existing lesions).
public protocol LesionPlacementMask: Sendable {
    /// The grid's extents.
    var shape: VolumeShape { get }
    /// The grid's voxel-to-world transform (lesion shapes are drawn in millimetres).
    var affine: Affine { get }
    /// The box (k, j, i lower bounds inclusive, upper exclusive) in which centre candidates lie.
    var candidateBounds: (lower: [Int], upper: [Int]) { get }
    /// The fraction of voxel (k, j, i) a lesion may cover, 0…1. Called from several threads at once.
    func allowedFraction(k: Int, j: Int, i: Int) -> Float
    /// True when a lesion may be centred at voxel (k, j, i).
    func isCenterCandidate(k: Int, j: Int, i: Int) -> Bool
    /// True when a lesion must not be placed with this box (it would touch an existing lesion).
    func blocks(_ box: LesionBox) -> Bool
}

/// A phantom case's anatomy as a placement mask: lesions cover `allowedTissues` (their summed partial-volume
/// fraction) and are centred where `hostTissue` dominates.
public struct PhantomLesionMask: LesionPlacementMask {
    /// The case's anatomy.
    public let model: HeadAnatomyModel
    /// Tissues a lesion may cover.
    public let allowedTissues: [Tissue]
    /// Tissue that must dominate at the centre.
    public let hostTissue: Tissue

    /// Creates the mask of one case.
    public init(model: HeadAnatomyModel, allowedTissues: [Tissue], hostTissue: Tissue) {
        self.model = model
        self.allowedTissues = allowedTissues
        self.hostTissue = hostTissue
    }

    public var shape: VolumeShape { model.shape }
    public var affine: Affine { model.affine }
    public var candidateBounds: (lower: [Int], upper: [Int]) { ([0, 0, 0], [shape.depth, shape.height, shape.width]) }

    public func allowedFraction(k: Int, j: Int, i: Int) -> Float {
        let f = model.tissueFractions(k: k, j: j, i: i)
        return Float(min(1, allowedTissues.reduce(0.0) { $0 + f[$1.rawValue] }))
    }

    public func isCenterCandidate(k: Int, j: Int, i: Int) -> Bool { model.dominantTissue(k: k, j: j, i: i) == hostTissue }

    public func blocks(_ box: LesionBox) -> Bool { false }
}

/// A user's mask volume as a placement mask: voxel values clamped to 0…1 are the allowed fractions (a binary
/// mask allows 1 inside), centres need ≥ 0.5, and boxes that contain an existing lesion label (≥ 10) in
/// `labels` are refused — so new lesions never touch old ones.
public struct VolumeLesionMask: LesionPlacementMask {
    /// The mask (same grid as the images).
    public let mask: Volume
    /// An existing label map, if any.
    public let labels: Volume?
    public let candidateBounds: (lower: [Int], upper: [Int])

    /// Creates the mask.
    /// - Throws: `MedSynthError(.mismatch)` when `labels` has another shape; `.invalidArgument` when the mask
    ///   has no voxel ≥ 0.5.
    public init(mask: Volume, labels: Volume? = nil) throws {
        if let labels, labels.shape != mask.shape {
            throw MedSynthError(.mismatch, "label map", "has shape \(labels.shape); the mask has \(mask.shape)")
        }
        self.mask = mask
        self.labels = labels
        var lower = [Int.max, Int.max, Int.max], upper = [0, 0, 0]
        let s = mask.shape
        for k in 0..<s.depth {
            for j in 0..<s.height {
                for i in 0..<s.width where mask.voxels[(k * s.height + j) * s.width + i] >= 0.5 {
                    lower = [min(lower[0], k), min(lower[1], j), min(lower[2], i)]
                    upper = [max(upper[0], k + 1), max(upper[1], j + 1), max(upper[2], i + 1)]
                }
            }
        }
        guard lower[0] != Int.max else {
            throw MedSynthError(.invalidArgument, "mask", "has no voxel >= 0.5; expected a mask of where lesions may go")
        }
        candidateBounds = (lower, upper)
    }

    /// A mask of the voxels whose label is in `allowed` (e.g. brain tissues 7, 8, 9 of a MedSynth label map).
    public static func fromLabels(_ labels: Volume, allowed: Set<Int>) -> Volume {
        var m = Volume(shape: labels.shape, filledWith: 0, affine: labels.affine, modality: .label)
        for n in labels.voxels.indices where allowed.contains(Int(labels.voxels[n].rounded())) { m.voxels[n] = 1 }
        return m
    }

    public var shape: VolumeShape { mask.shape }
    public var affine: Affine { mask.affine }

    public func allowedFraction(k: Int, j: Int, i: Int) -> Float {
        let n = mask.index(k: k, j: j, i: i)
        if let labels, LesionSubRegion.isLesionLabel(labels.voxels[n]) { return 0 }
        return min(1, max(0, mask.voxels[n]))
    }

    public func isCenterCandidate(k: Int, j: Int, i: Int) -> Bool { allowedFraction(k: k, j: j, i: i) >= 0.5 }

    public func blocks(_ box: LesionBox) -> Bool {
        guard let labels else { return false }
        var found = false
        box.forEachVoxel(on: shape) { _, g, _, _, _ in
            if !found && LesionSubRegion.isLesionLabel(labels.voxels[g]) { found = true }
        }
        return found
    }
}

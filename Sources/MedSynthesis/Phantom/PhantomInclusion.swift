import MedCore
import MedIO

/// An extra labelled region painted into a phantom case on top of its anatomy — the hook through which a
/// lesion model adds lesions. The phantom itself never creates one.
///
/// The region is a box of the case's grid with a fraction in 0…1 per voxel (partial volume at its edges) and its
/// own tissue properties. Rendering replaces that fraction of whatever the anatomy has there: every modality's
/// noise-free value becomes (1 − a)·anatomy + a·inclusion before bias, blur and noise, so the region is
/// co-registered in all modalities and sees the same acquisition effects. The label map shows `label` where the
/// region's fraction exceeds every remaining anatomical fraction. Inclusions apply in order; a later one covers
/// earlier ones.
public struct PhantomInclusion: Sendable, Equatable {
    /// The label it writes; `.lesion` unless the model means to paint an anatomical class.
    public var label: Tissue
    /// Its physical properties in every modality.
    public var properties: TissueProperties
    /// The grid index (k, j, i) of the box's first voxel. May lie partly outside the grid (that part is ignored).
    public var originK: Int, originJ: Int, originI: Int
    /// The box's extents.
    public var boxShape: VolumeShape
    /// Fraction of each box voxel covered by the region, C order (width fastest), values in 0…1.
    public var fractions: [Float]

    /// Creates an inclusion.
    /// - Parameters:
    ///   - label: the label it writes (default `.lesion`).
    ///   - properties: CT, MR and PET properties.
    ///   - originK: first slice of the box.
    ///   - originJ: first row of the box.
    ///   - originI: first column of the box.
    ///   - boxShape: the box's extents.
    ///   - fractions: `boxShape.voxelCount` coverage fractions in 0…1.
    public init(label: Tissue = .lesion, properties: TissueProperties, originK: Int, originJ: Int, originI: Int,
                boxShape: VolumeShape, fractions: [Float]) {
        self.label = label
        self.properties = properties
        self.originK = originK
        self.originJ = originJ
        self.originI = originI
        self.boxShape = boxShape
        self.fractions = fractions
    }

    /// Checks the inclusion.
    /// - Parameter index: its position in the caller's list, for the error message.
    /// - Throws: `MedSynthError(.mismatch)` when the fraction count does not match the box;
    ///   `.invalidArgument` for fractions outside 0…1 or invalid properties.
    public func validate(index: Int) throws {
        let subject = "inclusion \(index)"
        guard fractions.count == boxShape.voxelCount else {
            throw MedSynthError(.mismatch, subject, "has \(fractions.count) fractions for a \(boxShape) box (\(boxShape.voxelCount) voxels)")
        }
        if let bad = fractions.first(where: { !($0 >= 0 && $0 <= 1) }) {
            throw MedSynthError(.invalidArgument, subject, "has fraction \(bad); expected values in 0...1")
        }
        try properties.validate(subject: subject)
    }

    /// The fraction at grid voxel (k, j, i); 0 outside the box.
    @inline(__always)
    func fraction(k: Int, j: Int, i: Int) -> Float {
        let bk = k - originK, bj = j - originJ, bi = i - originI
        guard bk >= 0, bk < boxShape.depth, bj >= 0, bj < boxShape.height, bi >= 0, bi < boxShape.width else { return 0 }
        return fractions[(bk * boxShape.height + bj) * boxShape.width + bi]
    }

    /// True when the box touches row (k, j) of the grid.
    func touchesRow(k: Int, j: Int) -> Bool {
        k >= originK && k < originK + boxShape.depth && j >= originJ && j < originJ + boxShape.height
    }
}

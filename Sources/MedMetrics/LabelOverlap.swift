/// Segmentation scores of one label (see `SegmentationMetrics` for the definitions).
public struct LabelOverlap: Equatable, Codable, Sendable {
    /// The label value.
    public var label: Int
    /// Dice = 2|A∩B| / (|A| + |B|); 1 when both are empty.
    public var dice: Double
    /// IoU (Jaccard) = |A∩B| / |A∪B|; 1 when both are empty.
    public var iou: Double
    /// 95th-percentile Hausdorff distance in mm; nil when either mask is empty.
    public var hd95MM: Double?
    /// Maximum symmetric surface distance (Hausdorff) in mm; nil when either mask is empty.
    public var hausdorffMM: Double?
    /// Average symmetric surface distance in mm; nil when either mask is empty.
    public var assdMM: Double?
    /// |A|, voxels of the label in the reference.
    public var referenceVoxels: Int
    /// |B|, voxels of the label in the prediction.
    public var predictionVoxels: Int

    /// Creates scores; distances default to nil ("not defined").
    public init(label: Int, dice: Double = 0, iou: Double = 0, hd95MM: Double? = nil, hausdorffMM: Double? = nil,
                assdMM: Double? = nil, referenceVoxels: Int, predictionVoxels: Int) {
        self.label = label
        self.dice = dice
        self.iou = iou
        self.hd95MM = hd95MM
        self.hausdorffMM = hausdorffMM
        self.assdMM = assdMM
        self.referenceVoxels = referenceVoxels
        self.predictionVoxels = predictionVoxels
    }
}

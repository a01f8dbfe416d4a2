import MedCore

/// One held-out case's scores at a validation.
public struct SegmentationCaseScore: Codable, Equatable, Sendable {
    /// The case id (`file index:case id` would be ambiguous only across files with equal ids; the id alone is kept).
    public var caseID: String
    /// Dice per foreground class (1 when both reference and prediction are empty).
    public var dice: [Double]
    /// HD95 in mm per foreground class; nil where not defined (either mask empty).
    public var hd95MM: [Double?]
}

/// One validation pass: every held-out volume segmented whole and scored per class against its label map
/// (MedMetrics: Dice, HD95 in mm from the voxel spacing, MONAI's convention).
public struct SegmentationValidation: Codable, Equatable, Sendable {
    /// The step after which it ran.
    public var step: Int
    /// The mean over foreground classes of `dice` — what picks `best.h5`.
    public var meanDice: Double
    /// Per foreground class, the mean Dice over the held-out cases.
    public var dice: [Double]
    /// Per foreground class, the mean HD95 (mm) over the cases where it is defined; nil when it is defined for none.
    public var hd95MM: [Double?]
    /// Per foreground class, how many cases had no HD95 (reference or prediction empty).
    public var hd95Undefined: [Int]
    /// Every held-out case's scores.
    public var cases: [SegmentationCaseScore]

    /// Aggregates per-case scores.
    public init(step: Int, cases: [SegmentationCaseScore], classCount: Int) {
        self.step = step
        self.cases = cases
        dice = (0..<classCount).map { c in cases.isEmpty ? 0 : cases.map { $0.dice[c] }.reduce(0, +) / Double(cases.count) }
        hd95MM = (0..<classCount).map { c in
            let defined = cases.compactMap { $0.hd95MM[c] }
            return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
        }
        hd95Undefined = (0..<classCount).map { c in cases.filter { $0.hd95MM[c] == nil }.count }
        meanDice = dice.isEmpty ? 0 : dice.reduce(0, +) / Double(dice.count)
    }
}

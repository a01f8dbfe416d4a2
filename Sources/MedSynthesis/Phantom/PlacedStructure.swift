/// A deep structure (nucleus or ventricle) as placed in one case: an ellipsoid in the head frame (mm from the
/// head centre, RAS axes), optionally bent (see `StructureTemplate.bendPerMM`).
public struct PlacedStructure: Codable, Sendable, Equatable {
    /// The template's name, with "_right"/"_left" appended for mirrored pairs.
    public var name: String
    /// `.deepGreyMatter` or `.ventricles`.
    public var tissue: Tissue
    /// Centre (mm, head frame).
    public var centerMM: SIMD3<Double>
    /// Semi-axes (mm).
    public var semiAxesMM: SIMD3<Double>
    /// Downward bend (1/mm): the centre line drops by bend · (y − centre.y)².
    public var bendPerMM: Double

    /// Creates a placed structure.
    public init(name: String, tissue: Tissue, centerMM: SIMD3<Double>, semiAxesMM: SIMD3<Double>, bendPerMM: Double) {
        self.name = name
        self.tissue = tissue
        self.centerMM = centerMM
        self.semiAxesMM = semiAxesMM
        self.bendPerMM = bendPerMM
    }

    /// The highest point of the structure's centre line plus its superior semi-axis (mm, head frame).
    public var topMM: Double { centerMM.z + semiAxesMM.z }
}

/// A deep brain structure (a nucleus or a ventricle) as an ellipsoid in a reference brain, before per-case
/// scaling and jitter.
///
/// Coordinates are millimetres from the brain centre in the phantom's head frame: x to the subject's right,
/// y anterior, z superior (RAS). A mirrored template yields a right copy at `centerMM` and a left copy at
/// (−x, y, z).
public struct StructureTemplate: Codable, Sendable, Equatable {
    /// A readable name ("thalamus"), kept in the drawn parameters.
    public var name: String
    /// The tissue it is made of: `.deepGreyMatter` or `.ventricles`.
    public var tissue: Tissue
    /// Centre in the reference brain (mm).
    public var centerMM: SIMD3<Double>
    /// Semi-axes in the reference brain (mm).
    public var semiAxesMM: SIMD3<Double>
    /// Downward bend (1/mm): the ellipsoid's centre line drops by `bendPerMM · y²` at anterior–posterior offset
    /// y from its centre, which curves a lateral ventricle into its banana shape. 0 for a plain ellipsoid.
    public var bendPerMM: Double
    /// True for paired structures: a right copy at `centerMM`, a left copy mirrored across the midline.
    public var mirrored: Bool

    /// Creates a template.
    public init(name: String, tissue: Tissue, centerMM: SIMD3<Double>, semiAxesMM: SIMD3<Double>,
                bendPerMM: Double = 0, mirrored: Bool) {
        self.name = name
        self.tissue = tissue
        self.centerMM = centerMM
        self.semiAxesMM = semiAxesMM
        self.bendPerMM = bendPerMM
        self.mirrored = mirrored
    }

    /// Approximate adult anatomy in a reference brain with semi-axes `HeadAnatomyVariation.referenceBrainSemiAxesMM`
    /// (60 × 79 × 70 mm): lateral ventricle bodies, third ventricle, thalami, caudate heads and putamina.
    /// Sizes and positions are rounded from standard neuroanatomy atlases; they are a phantom, not an atlas.
    public static let defaultDeepStructures: [StructureTemplate] = [
        StructureTemplate(name: "lateral_ventricle", tissue: .ventricles, centerMM: SIMD3(8, 0, 9),
                          semiAxesMM: SIMD3(6, 26, 9), bendPerMM: 0.012, mirrored: true),
        StructureTemplate(name: "third_ventricle", tissue: .ventricles, centerMM: SIMD3(0, -4, -6),
                          semiAxesMM: SIMD3(1.5, 11, 7), mirrored: false),
        StructureTemplate(name: "thalamus", tissue: .deepGreyMatter, centerMM: SIMD3(9, -12, 0),
                          semiAxesMM: SIMD3(7, 13, 8), mirrored: true),
        StructureTemplate(name: "caudate_head", tissue: .deepGreyMatter, centerMM: SIMD3(12, 16, 8),
                          semiAxesMM: SIMD3(5, 9, 8), mirrored: true),
        StructureTemplate(name: "putamen", tissue: .deepGreyMatter, centerMM: SIMD3(23, 4, -2),
                          semiAxesMM: SIMD3(5.5, 14, 9), mirrored: true),
    ]
}

/// Every fixed sub-stream number of `SeededGenerator.split`, in one place, so that no two uses of one parent stream
/// collide and a reader sees the whole layout. Changing a number changes every output drawn from it.
///
/// Index-valued splits (a case index, a slice, a worker) are not listed: they use the index itself.
public enum SeedStream {
    // MARK: A phantom case: SeededGenerator(seed: datasetSeed).split(caseIndex).split(…)

    /// The head's anatomy (shape, ventricles, …).
    public static let phantomAnatomy: UInt64 = 0
    /// Tissue properties per modality.
    public static let phantomTissue: UInt64 = 1
    /// The MR bias field.
    public static let phantomBias: UInt64 = 2
    /// The seed of the acquisition noise.
    public static let phantomNoise: UInt64 = 3
    /// The acquisition's variation (`acquisitionVariation`).
    public static let phantomAcquisition: UInt64 = 4
    /// The template brain's variation (size, deformation, atrophy, ventricles, asymmetry).
    public static let phantomTemplateBrain: UInt64 = 5
    /// Synthetic lesions: apart from the phantom's streams above, so that adding lesions leaves the head alone.
    public static let phantomLesions: UInt64 = 64

    // MARK: A training run: SeededGenerator(seed: runSeed).split(…)

    /// The data sampler (slices, patches, crops, flips).
    public static let sampling: UInt64 = 1
    /// The initial weights (its first draw seeds the trainer).
    public static let weights: UInt64 = 2
    /// The conditional GAN's input noise during validation: the same for every validation pass.
    public static let validationNoise: UInt64 = 0x7661_6c69   // "vali"
}

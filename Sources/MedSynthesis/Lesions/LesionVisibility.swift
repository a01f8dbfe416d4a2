/// How visible one lesion is in one image: the change that was inserted, against the host's noise.
public struct LesionVisibility: Codable, Sendable, Equatable {
    /// Mean over the lesion's labelled voxels of (new − old), in the image's unit (HU, a.u., SUV): the inserted
    /// change, not a difference between the lesion and its surroundings.
    public var insertedChange: Double
    /// The host's noise σ around the lesion (`HostNoise`), in the image's unit.
    public var noiseSigma: Double
    /// |insertedChange| / noiseSigma.
    public var cnr: Double
    /// True when `cnr` reaches the threshold of `LesionVisibilitySettings.minimumCNR`.
    public var visible: Bool

    /// Creates a measurement.
    public init(insertedChange: Double, noiseSigma: Double, threshold: Double) {
        self.insertedChange = insertedChange
        self.noiseSigma = noiseSigma
        cnr = noiseSigma > 0 ? abs(insertedChange) / noiseSigma : (insertedChange == 0 ? 0 : .infinity)
        visible = cnr >= threshold && insertedChange != 0
    }
}

/// A drawn and placed lesion that was not inserted because it was below the visibility threshold in every image.
public struct DroppedLesion: Codable, Sendable, Equatable {
    /// Its position in the draw (lesion n of the stream).
    public var drawIndex: Int
    /// Its box on the grid.
    public var box: LesionBox
    /// Its last drawn parameters.
    public var parameters: LesionParameters
    /// Its best visibility per modality name (over the appearances tried).
    public var visibility: [String: LesionVisibility]
    /// Why, with the values: "CNR T1 0.03 < 1 in every image after 8 redraws".
    public var reason: String
}

/// Where the translation of one volume stands, reported after every batch of slices.
public struct TranslationProgress: Sendable, Equatable {
    /// The case being translated (datasets), nil for a single volume.
    public var caseID: String?
    /// Datasets: the case's position in the run (0-based), nil for a single volume.
    public var caseIndex: Int?
    /// Datasets: the run's number of cases, nil for a single volume.
    public var caseCount: Int?
    /// Slices of this volume translated so far.
    public var slicesDone: Int
    /// Slices of this volume.
    public var sliceCount: Int
    /// Batches of this volume done so far.
    public var batchesDone: Int
    /// Batches this volume needs.
    public var batchCount: Int
    /// Seconds since this volume's translation started (normalisation included).
    public var elapsedSeconds: Double

    /// Creates a progress record.
    public init(caseID: String? = nil, slicesDone: Int, sliceCount: Int, batchesDone: Int, batchCount: Int,
                elapsedSeconds: Double) {
        self.caseID = caseID
        self.slicesDone = slicesDone
        self.sliceCount = sliceCount
        self.batchesDone = batchesDone
        self.batchCount = batchCount
        self.elapsedSeconds = elapsedSeconds
    }

    /// Slices per second so far (0 before the first batch).
    public var slicesPerSecond: Double { elapsedSeconds > 0 ? Double(slicesDone) / elapsedSeconds : 0 }
}

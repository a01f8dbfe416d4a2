import MedCore

/// Everything a `SliceDataset` needs to continue drawing exactly where it stopped: save it with a checkpoint
/// and give it back to `SliceDataset.restore(_:)` on resume.
///
/// The generator itself is never advanced: each shuffle and each crop/flip draw comes from its own split
/// stream (epoch e of stream A shuffles with `generator.split(1).split(e)`, sample n crops with
/// `generator.split(3).split(n)`, …), so the counters below are the whole state and draws do not depend on
/// the batch size.
public struct SliceSamplerState: Equatable, Codable, Sendable {
    /// The root of every draw.
    public var generator: SeededGenerator
    /// Passes over A's (paired: the pairs') training slices completed.
    public var epochA: Int = 0
    /// The next position in the current epoch's order of A's slices.
    public var positionA: Int = 0
    /// Passes over B's training slices completed (unpaired only).
    public var epochB: Int = 0
    /// The next position in the current epoch's order of B's slices (unpaired only).
    public var positionB: Int = 0
    /// Samples drawn so far (the index of the next sample's crop/flip stream).
    public var samplesDrawn: Int = 0
    /// A hash of the options and the training slices the state refers to; `restore` refuses a state made for
    /// other data (`fnv1a64:<16 hex digits>`).
    public var datasetSignature: String

    /// A fresh state.
    public init(generator: SeededGenerator, datasetSignature: String) {
        self.generator = generator
        self.datasetSignature = datasetSignature
    }
}

/// Where one image of a batch came from: the case and slice, and the crop and flip applied.
public struct SliceSample: Equatable, Hashable, Codable, Sendable {
    /// The index of the file in `SliceDataset.files`.
    public var fileIndex: Int
    /// The case under `/cases/`.
    public var caseID: String
    /// The axial slice (depth index).
    public var slice: Int
    /// The first row of the crop in the slice.
    public var originRow: Int
    /// The first column of the crop in the slice (before flipping).
    public var originColumn: Int
    /// Rows of the crop.
    public var height: Int
    /// Columns of the crop.
    public var width: Int
    /// Whether the crop was flipped left–right (column c of the image is column width − 1 − c of the crop).
    public var flipped: Bool

    /// Creates a record.
    public init(fileIndex: Int, caseID: String, slice: Int, originRow: Int, originColumn: Int, height: Int, width: Int,
                flipped: Bool) {
        self.fileIndex = fileIndex
        self.caseID = caseID
        self.slice = slice
        self.originRow = originRow
        self.originColumn = originColumn
        self.height = height
        self.width = width
        self.flipped = flipped
    }
}

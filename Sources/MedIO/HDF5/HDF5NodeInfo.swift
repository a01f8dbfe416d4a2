/// A description of one group or dataset in an HDF5 file, as `medsynth info` lists it.
public struct HDF5NodeInfo: Equatable, Codable, Sendable {
    /// One attribute: its name and a short rendering of its value (see `HDF5AttributeValue.description`).
    public struct Attribute: Equatable, Codable, Sendable {
        /// The attribute's name.
        public var name: String
        /// The value, shortened: `"CT"`, `[2, 0.5, 0.5]`, `[1, 0, 0, 0, 0, 1, … (16 values)]`.
        public var value: String

        /// Creates an attribute summary.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The absolute path ("/" for the root group).
    public var path: String
    /// Group, dataset, or other (named datatype, external or dangling link).
    public var kind: HDF5NodeKind
    /// A dataset's extents (slowest axis first); nil for groups.
    public var shape: [Int]?
    /// A dataset's element type name ("float32", "int16", "string"…); nil for groups.
    public var elementType: String?
    /// A chunked dataset's chunk extents; nil otherwise.
    public var chunkShape: [Int]?
    /// A dataset's filter pipeline, e.g. `["shuffle", "deflate(4)"]`.
    public var filters: [String]
    /// The attributes, sorted by name.
    public var attributes: [Attribute]

    /// Creates a node description.
    public init(path: String, kind: HDF5NodeKind, shape: [Int]? = nil, elementType: String? = nil,
                chunkShape: [Int]? = nil, filters: [String] = [], attributes: [Attribute] = []) {
        self.path = path
        self.kind = kind
        self.shape = shape
        self.elementType = elementType
        self.chunkShape = chunkShape
        self.filters = filters
        self.attributes = attributes
    }

    /// One line for listings: `/cases/a/CT  dataset  float32 [64, 128, 128]  chunks [1, 128, 128]  shuffle, deflate(4)`.
    public var summaryLine: String {
        var parts = [path, kind.rawValue]
        if let shape { parts.append("\(elementType ?? "?") \(shape)") }
        if let chunkShape { parts.append("chunks \(chunkShape)") }
        if !filters.isEmpty { parts.append(filters.joined(separator: ", ")) }
        return parts.joined(separator: "  ")
    }
}

/// What a link in an HDF5 group leads to.
public enum HDF5NodeKind: String, Codable, Sendable, CaseIterable {
    /// A group (a folder of links).
    case group
    /// A dataset (an n-dimensional array).
    case dataset
    /// Anything else: a named datatype, a dangling soft link, an external link (never followed).
    case other
}

/// What groups and datasets have in common: a place in a file and attributes.
public protocol HDF5Object: AnyObject {
    /// The absolute path inside the file ("/" for the root group).
    var path: String { get }
    /// The file as the user named it (used in error messages).
    var fileName: String { get }
    /// The object's attributes.
    var attributes: HDF5Attributes { get }
}

extension HDF5Object {
    /// The names of the object's attributes, sorted.
    /// - Throws: `MedSynthError` naming the file when HDF5 cannot list them.
    public func attributeNames() throws -> [String] { try attributes.names() }
}

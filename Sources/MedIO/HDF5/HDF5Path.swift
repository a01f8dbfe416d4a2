import MedCore

/// Helpers for HDF5 object paths ("/cases/brain01/CT", "b/c").
enum HDF5Path {
    /// Path components, empty ones dropped ("/a//b/" → ["a", "b"]).
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The absolute path of `path` seen from the group at absolute path `base`.
    static func absolute(_ path: String, from base: String) -> String {
        if path.hasPrefix("/") { return "/" + components(path).joined(separator: "/") }
        let joined = components(base) + components(path)
        return "/" + joined.joined(separator: "/")
    }

    /// Checks a path argument: not empty, no "." or ".." components (HDF5 has no parent links).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `file`.
    static func validate(_ path: String, file: String, what: String = "path") throws {
        let parts = components(path)
        if parts.isEmpty && !path.hasPrefix("/") {
            throw MedSynthError(.invalidArgument, file, "empty HDF5 \(what) '\(path)'")
        }
        if let bad = parts.first(where: { $0 == "." || $0 == ".." }) {
            throw MedSynthError(.invalidArgument, file, "HDF5 \(what) '\(path)' contains '\(bad)'; use plain names separated by '/'")
        }
    }
}

import Foundation

/// Locations of committed test fixtures and scratch folders for tests.
public enum Fixtures {
    /// `Tests/Fixtures/` in the source tree (found from this file's path, so no resource bundle is needed).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The repository's root folder (for committed files outside `Tests/`, such as `Configs/`).
    public static let repositoryRoot: URL = root.deletingLastPathComponent().deletingLastPathComponent()

    /// A fixture file or folder under `Tests/Fixtures/`.
    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    /// A fresh empty folder under the system temporary folder; the caller removes it when done.
    public static func temporaryFolder(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("medsynth-\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

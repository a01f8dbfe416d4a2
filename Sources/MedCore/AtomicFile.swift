import Foundation

/// Writes files so that a failure or a kill never leaves a half-written output behind: the content goes to a
/// hidden temporary file in the target folder, which is renamed over the target only once it is complete.
public enum AtomicFile {
    /// The marker in temporary file names; a crashed run may leave such a file, never a partial target.
    public static let temporaryMarker = ".medsynth-partial-"

    /// Runs `body` with a temporary path beside `url`, then renames it to `url`.
    ///
    /// - Parameters:
    ///   - url: the final output path. Its folder must exist and be writable.
    ///   - body: writes the complete file at the given temporary path.
    /// - Throws: `MedSynthError(.writeFailed)` naming `url` when the folder is missing or not writable or the
    ///   rename fails; any error `body` throws (the temporary file is removed first).
    public static func write<T>(to url: URL, _ body: (URL) throws -> T) throws -> T {
        let folder = url.deletingLastPathComponent()
        try checkWritableFolder(folder, for: url)
        let tmp = folder.appendingPathComponent(
            "\(temporaryMarker)\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))-\(url.lastPathComponent)")
        let result: T
        do {
            result = try body(tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        if rename(tmp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw MedSynthError(.writeFailed, url.path, "cannot move the finished file into place: \(reason)")
        }
        return result
    }

    /// Writes `data` atomically to `url`.
    /// - Throws: `MedSynthError(.writeFailed)` naming `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { tmp in
            do { try data.write(to: tmp) } catch {
                throw MedSynthError(.writeFailed, url.path, "cannot write: \(error.localizedDescription)")
            }
        }
    }

    /// Checks that `folder` exists, is a folder and is writable, so the error names the output, not a temp file.
    /// - Throws: `MedSynthError(.writeFailed)` naming `target`.
    public static func checkWritableFolder(_ folder: URL, for target: URL) throws {
        var isDir: ObjCBool = false
        let path = folder.path.isEmpty ? "." : folder.path
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedSynthError(.writeFailed, target.path, "output folder '\(path)' does not exist")
        }
        guard isDir.boolValue else {
            throw MedSynthError(.writeFailed, target.path, "'\(path)' is not a folder")
        }
        guard access(path, W_OK) == 0 else {
            throw MedSynthError(.writeFailed, target.path, "output folder '\(path)' is not writable")
        }
        var targetIsDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: target.path, isDirectory: &targetIsDir), targetIsDir.boolValue {
            throw MedSynthError(.writeFailed, target.path, "is a folder, expected a file path")
        }
    }
}

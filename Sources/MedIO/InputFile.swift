import Foundation
import MedCore

/// Checks shared by the readers before they open a file.
enum InputFile {
    /// The size of an input file, after checking that it exists and is a readable regular file.
    /// - Parameters:
    ///   - url: the file.
    ///   - expected: what the caller expects, for the message ("a PNG file").
    /// - Throws: `MedSynthError(.notFound)` or `.unreadable` naming the file.
    static func checkedSize(_ url: URL, expecting expected: String) throws -> Int {
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedSynthError(.notFound, path, "no such file")
        }
        guard !isDir.boolValue else { throw MedSynthError(.unreadable, path, "is a folder, expected \(expected)") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MedSynthError(.unreadable, path, "permission denied")
        }
        guard let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue else {
            throw MedSynthError(.unreadable, path, "cannot read the file size")
        }
        return size
    }
}

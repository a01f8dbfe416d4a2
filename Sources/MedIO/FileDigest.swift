import COpenSSL
import Foundation
import MedCore

/// Content digests of files, for provenance that names an input by what it holds rather than by its path (a
/// path may carry a subject's name).
public enum FileDigest {
    /// SHA-256 of `bytes` as 64 lowercase hex digits (FIPS 180-4 test vectors in the tests).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        bytes.withUnsafeBufferPointer { b in
            _ = EVP_Digest(b.baseAddress, b.count, &digest, &length, EVP_sha256(), nil)
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of a file's bytes (hex).
    /// - Throws: `MedSynthError` naming the file: `.notFound`, `.unreadable`.
    public static func sha256Hex(of url: URL) throws -> String {
        guard FileManager.default.fileExists(atPath: url.path) else { throw MedSynthError(.notFound, url.path, "no such file") }
        do { return sha256Hex([UInt8](try Data(contentsOf: url))) } catch {
            throw MedSynthError(.unreadable, url.path, "cannot be read: \(error.localizedDescription)")
        }
    }
}

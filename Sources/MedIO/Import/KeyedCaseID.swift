import COpenSSL
import Foundation
import MedCore

/// De-identified case ids: "sub-" + the first 12 hex digits of HMAC-SHA256(salt, identifier), where the identifier
/// is a StudyInstanceUID (or the manifest's case name). Without the salt the id cannot be linked back to the study;
/// the same study and salt always give the same id (a resumed run finds its cases).
public struct KeyedCaseID: Sendable {
    /// The HMAC key.
    let key: [UInt8]

    /// - Parameter salt: the per-dataset secret (`medsynth import --salt`).
    public init(salt: String) { key = Array(salt.utf8) }

    /// HMAC-SHA256(key, message) as 64 lowercase hex digits (RFC 4231 test vectors in the tests).
    public static func hmacSHA256Hex(key: [UInt8], message: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &digest, &length)
            }
        }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// The case id for `identifier`.
    public func caseID(for identifier: String) -> String {
        "sub-" + Self.hmacSHA256Hex(key: key, message: Array(identifier.utf8)).prefix(12)
    }
}

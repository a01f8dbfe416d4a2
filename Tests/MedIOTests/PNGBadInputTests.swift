import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// Damaged PNGs under Tests/Fixtures/bad-input/ must give a MedSynthError naming the file.
@Suite struct PNGBadInputTests {
    static let cases: [(String, MedSynthError.Kind, String)] = [
        ("zero-bytes.png", .corrupt, "empty"),
        ("random-bytes.png", .corrupt, "not a PNG"),
        ("nifti-named.png", .corrupt, "not a PNG"),
        ("truncated.png", .corrupt, "truncated"),
        ("bad-crc.png", .corrupt, "CRC"),
        ("huge-dims.png", .tooLarge, "1000000"),
        ("oversized-claim.png", .tooLarge, "40000x40000"),
    ]

    @Test(arguments: cases)
    func badFileGivesAClearError(name: String, kind: MedSynthError.Kind, phrase: String) {
        let url = Fixtures.url("bad-input/\(name)")
        let error = #expect(throws: MedSynthError.self) { try PNGFile.read(url) }
        #expect(error?.kind == kind, "\(name): \(String(describing: error))")
        #expect(error?.subject == url.path)
        #expect(error?.message.contains(phrase) == true, "\(name): \(String(describing: error))")
    }

    @Test func missingFileIsNotFound() {
        let error = #expect(throws: MedSynthError.self) { try PNGFile.read(URL(fileURLWithPath: "/nonexistent/x.png")) }
        #expect(error?.kind == .notFound)
    }
}

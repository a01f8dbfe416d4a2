import Testing
import MedCore

/// FNV-1a 64 against the published test vectors (Fowler–Noll–Vo reference), and bytes added in pieces or as a
/// buffer give the same hash as all at once.
@Suite struct FNV1a64Tests {
    @Test func publishedVectors() {
        #expect(FNV1a64().signature == "fnv1a64:cbf29ce484222325")
        #expect(FNV1a64.signature(of: "a") == "fnv1a64:af63dc4c8601ec8c")
        #expect(FNV1a64.signature(of: "foobar") == "fnv1a64:85944171f73967e8")
    }

    @Test func piecesAndBuffersAgree() {
        var pieces = FNV1a64()
        pieces.add("foo".utf8)
        pieces.add("bar".utf8)
        var buffer = FNV1a64()
        Array("foobar".utf8).withUnsafeBytes { buffer.add($0) }
        #expect(pieces.value == buffer.value && pieces.signature == FNV1a64.signature(of: "foobar"))
    }
}

import Testing
import COpenBLAS
import CZlib

/// Checks that the system libraries link and compute what their reference definitions say.
@Suite struct SystemLibraryTests {
    /// cblas_sgemm against a naive triple loop (the oracle).
    @Test func sgemmMatchesNaiveProduct() {
        let m = 37, n = 29, k = 53
        let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }
        let b = (0..<(k * n)).map { Float(($0 * 5) % 11) - 5 }
        var c = [Float](repeating: 0, count: m * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, &c, Int32(n))
        for i in 0..<m { for j in 0..<n {
            var s: Float = 0
            for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
            #expect(c[i * n + j] == s)
        } }
    }

    @Test func zlibRoundTrip() {
        let input = [UInt8]((0..<10_000).map { UInt8($0 % 17) })
        var compressedSize = compressBound(uLong(input.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        #expect(compress2(&compressed, &compressedSize, input, uLong(input.count), 6) == Z_OK)
        var outSize = uLong(input.count)
        var output = [UInt8](repeating: 0, count: input.count)
        #expect(uncompress(&output, &outSize, compressed, compressedSize) == Z_OK)
        #expect(output == input)
        #expect(Int(compressedSize) < input.count / 10)
    }
}

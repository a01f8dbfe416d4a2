import MedCore
import Testing
@testable import MedTensor

/// The scratch-memory pool behind the convolution kernels.
@Suite struct ScratchPoolTests {
    @Test func blocksAreReusedAndBounded() {
        let pool = ScratchPool(maximumKept: 3)
        let first = pool.withBuffer(count: 1000) { p -> UnsafeMutablePointer<Float> in
            p.initialize(repeating: 1, count: 1000)
            return p
        }
        // A smaller request reuses the returned block.
        let second = pool.withBuffer(count: 10) { $0 }
        #expect(first == second)
        // Nested requests get distinct blocks.
        pool.withBuffer(count: 100) { outer in
            pool.withBuffer(count: 100) { inner in #expect(inner != outer) }
        }
        for n in 1...10 { pool.withBuffer(count: n * 10) { _ in } }
        pool.withBuffer(count: 10) { a in pool.withBuffer(count: 10) { b in pool.withBuffer(count: 10) { c in
            pool.withBuffer(count: 10) { d in #expect(Set([a, b, c, d]).count == 4) }
        } } }
        #expect(pool.keptCount == 3)
        pool.releaseAll()
        #expect(pool.keptCount == 0)
    }

    @Test func concurrentConvolutionsGetTheSameResults() {
        // Several convolutions at once (each takes its own column block) agree with a sequential run.
        let x = TestData.randn([1, 3, 17, 15], seed: 110), w = TestData.randn([4, 3, 3, 3], seed: 111)
        let expected = x.conv2d(weight: w, stride: 2, padding: 1).scalars
        var results = [[Float]](repeating: [], count: 8)
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.forEachChunk(count: 8) { r in
                for i in r { out[i] = x.conv2d(weight: w, stride: 2, padding: 1).scalars }
            }
        }
        #expect(results.allSatisfy { $0 == expected })
    }
}

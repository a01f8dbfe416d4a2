import Testing
@testable import MedTensor

@Suite struct StorageCacheTests {
    @Test func reusesFreedBlocksOfTheSameRoundedSize() {
        let cache = StorageCache(limitBytes: 1 << 20)
        let a = cache.allocate(byteCount: 100_000)
        cache.deallocate(a, byteCount: 100_000)
        #expect(cache.cachedBytes == StorageCache.roundedSize(100_000))
        // 100 001 bytes round to the same pages: the block is handed out again.
        let b = cache.allocate(byteCount: 100_001)
        #expect(b == a && cache.cachedBytes == 0)
        cache.deallocate(b, byteCount: 100_001)
        cache.releaseAll()
        #expect(cache.cachedBytes == 0)
    }

    @Test func smallBlocksAndBlocksBeyondTheLimitAreFreed() {
        let cache = StorageCache(limitBytes: 200_000)
        let small = cache.allocate(byteCount: 1000)
        cache.deallocate(small, byteCount: 1000)
        #expect(cache.cachedBytes == 0)
        let x = cache.allocate(byteCount: 150_000), y = cache.allocate(byteCount: 150_000)
        cache.deallocate(x, byteCount: 150_000)
        cache.deallocate(y, byteCount: 150_000)  // would exceed 200 000: freed
        #expect(cache.cachedBytes == StorageCache.roundedSize(150_000))
        cache.releaseAll()
    }

    @Test func tensorsStayCorrectWhenBuffersAreReused() {
        // Values written into a recycled block must be the new ones (nothing assumes fresh zeroed pages).
        for round in 0..<3 {
            let t = Tensor.full([64, 1024], Float(round))
            #expect(t.scalars.allSatisfy { $0 == Float(round) })
            let z = Tensor.zeros([64, 1024])
            #expect(z.scalars.allSatisfy { $0 == 0 })
        }
    }
}

@Suite struct BLASRuntimeTests {
    let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    @Test func asksForAVX512KernelsOnlyWhereTheCPUHasThem() {
        #expect(BLASRuntime.preferredCoreType(detectedCore: "Haswell", cpuFlags: avx512) == "SKYLAKEX")
        #expect(BLASRuntime.preferredCoreType(detectedCore: "Zen", cpuFlags: avx512) == "SKYLAKEX")
        #expect(BLASRuntime.preferredCoreType(detectedCore: "Haswell", cpuFlags: ["avx2", "fma", "avx512f"]) == nil)
        #expect(BLASRuntime.preferredCoreType(detectedCore: "SkylakeX", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.preferredCoreType(detectedCore: "Cooperlake", cpuFlags: avx512) == nil)
        #expect(!BLASRuntime.coreName.isEmpty)
    }
}

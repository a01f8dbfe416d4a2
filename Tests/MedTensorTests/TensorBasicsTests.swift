import MedCore
import Testing
@testable import MedTensor

/// Creation, value access, copy-on-write and random initialisation.
@Suite struct TensorBasicsTests {
    @Test func creationAndAccess() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(t.shape == [2, 3] && t.rank == 2 && t.count == 6)
        #expect(t[1, 2] == 6 && t[0, 1] == 2)
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.full([2], 7).scalars == [7, 7])
        #expect(Tensor(scalar: 3).shape == [] && Tensor(scalar: 3).item == 3)
        #expect(Tensor.zeros([0, 4]).count == 0)
        #expect(Tensor.zeros(like: t).shape == [2, 3])
        #expect("\(t)" == "Tensor[2, 3](1.0, 2.0, 3.0, 4.0, 5.0, 6.0)")
    }

    @Test func copyOnWriteLeavesTheOriginalUnchanged() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        var b = a
        #expect(b.sharesStorage(with: a))
        b[0, 0] = 10
        #expect(!b.sharesStorage(with: a))
        #expect(a.scalars == [1, 2, 3, 4])
        #expect(b.scalars == [10, 2, 3, 4])
        // A reshape shares storage; writing to it copies too.
        var r = a.reshaped([4])
        #expect(r.sharesStorage(with: a))
        r.withUnsafeMutableBufferPointer { $0[3] = -1 }
        #expect(a.scalars == [1, 2, 3, 4] && r.scalars == [1, 2, 3, -1])
    }

    @Test func uniquelyOwnedStorageIsWrittenInPlace() {
        var a = Tensor.zeros([8])
        let before = a.withUnsafeBufferPointer { $0.baseAddress }
        a[3] = 2
        #expect(a.withUnsafeBufferPointer { $0.baseAddress } == before)
        #expect(a.scalars == [0, 0, 0, 2, 0, 0, 0, 0])
    }

    @Test func storageIsAligned() {
        let t = Tensor.zeros([3, 5])
        let address = t.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        #expect(address % TensorStorage.alignment == 0)
    }

    @Test func seededRandomIsReproducibleWithTheRightMoments() {
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        let a = Tensor.randn([100, 100], mean: 2, std: 3, using: &g1)
        let b = Tensor.randn([100, 100], mean: 2, std: 3, using: &g2)
        #expect(a.scalars == b.scalars)
        let v = a.scalars.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        #expect(Swift.abs(mean - 2) < 0.1 && Swift.abs(std - 3) < 0.1)

        let u = Tensor.uniform([10_000], lower: -1, upper: 1, using: &g1).scalars
        #expect(u.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(Swift.abs(u.map(Double.init).reduce(0, +) / 10_000) < 0.05)
    }
}

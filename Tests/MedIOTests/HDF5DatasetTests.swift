import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    @Suite struct DatasetTests {
        /// value(k, j, i) = 1000k + 10j + i/4, exact in Float32.
        static func value(_ k: Int, _ j: Int, _ i: Int) -> Float { Float(1000 * k + 10 * j) + Float(i) / 4 }

        @Test func chunkedHyperslabSliceEqualsSliceOfFullRead() throws {
            let dir = try HDF5TestSupport.folder("slab")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("slab.h5")
            let (d, h, w) = (5, 6, 7)
            var all: [Float] = []
            for k in 0..<d { for j in 0..<h { for i in 0..<w { all.append(Self.value(k, j, i)) } } }
            do {
                let file = try HDF5File.create(url)
                let ds = try file.root.createDataset("v", elementType: .float32, shape: [d, h, w], chunkShape: [1, h, w],
                                                     shuffle: true, deflateLevel: 4)
                try ds.write(all)
                #expect(ds.chunkShape == [1, h, w])
                #expect(ds.filters == ["shuffle", "deflate(4)"])
                #expect(ds.maxShape == [d, h, w])
                #expect(ds.elementType == .float32 && ds.elementType.name == "float32")
            }
            let ds = try HDF5File.open(url).root.dataset("/v")
            let full = try ds.read(as: Float.self)
            #expect(full == all)
            let slice = try ds.read(start: [2, 0, 0], count: [1, h, w], as: Float.self)
            #expect(slice == Array(full[(2 * h * w)..<(3 * h * w)]))
            let block = try ds.read(start: [1, 2, 3], count: [2, 3, 4], as: Float.self)
            var expected: [Float] = []
            for k in 1..<3 { for j in 2..<5 { for i in 3..<7 { expected.append(Self.value(k, j, i)) } } }
            #expect(block == expected)
            #expect(try ds.read(start: [0, 0, 0], count: [0, h, w], as: Float.self) == [])
            HDF5TestSupport.expectError(.invalidArgument, mentioning: [url.path, "/v", "[5, 6, 7]", "axis 0"]) {
                _ = try ds.read(start: [4, 0, 0], count: [2, h, w], as: Float.self)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["one entry per axis"]) {
                _ = try ds.read(start: [0, 0], count: [1, 1], as: Float.self)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["axis 2"]) {
                _ = try ds.read(start: [0, 0, -1], count: [1, 1, 1], as: Float.self)
            }
        }

        @Test func hyperslabWritesAndTypeConversions() throws {
            let dir = try HDF5TestSupport.folder("convert")
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = try HDF5File.create(dir.appendingPathComponent("c.h5"))
            let ct = try file.root.createDataset("ct", elementType: .int16, shape: [2, 3])
            try ct.write([Int16](repeating: -1024, count: 6))
            try ct.write([Int16(3071), 0, -5], start: [1, 0], count: [1, 3])
            #expect(try ct.read(as: Float.self) == [-1024, -1024, -1024, 3071, 0, -5])
            #expect(try ct.read(as: Int32.self) == [-1024, -1024, -1024, 3071, 0, -5])
            #expect(try ct.read(as: Double.self) == [-1024, -1024, -1024, 3071, 0, -5])
            let mask = try file.root.createDataset("mask", elementType: .uint8, shape: [4])
            try mask.write([UInt8(0), 1, 255, 7])
            #expect(try mask.read(as: UInt8.self) == [0, 1, 255, 7])
            #expect(try mask.read(as: Int.self) == [0, 1, 255, 7])
            let f64 = try file.root.createDataset("f64", elementType: .float64, shape: [2])
            try f64.write([Float(0.5), -2])                               // Float widened by HDF5
            #expect(try f64.read(as: Double.self) == [0.5, -2])
            for t in [HDF5ElementType.int8, .uint16, .int32, .uint32, .int64, .uint64] {
                let ds = try file.root.createDataset("t_\(t.name)", elementType: t, shape: [3])
                try ds.write([Int32(1), 2, 3])
                #expect(ds.elementType == t)
                #expect(try ds.read(as: Float.self) == [1, 2, 3])
            }
            HDF5TestSupport.expectError(.mismatch, mentioning: ["/ct", "6 elements", "got 5"]) { try ct.write([Int16](repeating: 0, count: 5)) }
            HDF5TestSupport.expectError(.mismatch, mentioning: ["block [1, 2]", "got 3"]) {
                try ct.write([Int16(1), 2, 3], start: [0, 0], count: [1, 2])
            }
            HDF5TestSupport.expectError(.unsupported, mentioning: ["string"]) {
                _ = try file.root.createDataset("s", elementType: .string, shape: [1])
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["deflate level 12"]) {
                _ = try file.root.createDataset("z", elementType: .float32, shape: [4], deflateLevel: 12)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["chunk shape [8]", "[4]"]) {
                _ = try file.root.createDataset("z", elementType: .float32, shape: [4], chunkShape: [8])
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["shape [-1]"]) {
                _ = try file.root.createDataset("z", elementType: .float32, shape: [-1])
            }
            HDF5TestSupport.expectError(.writeFailed, mentioning: ["/ct", "already exists"]) {
                _ = try file.root.createDataset("ct", elementType: .float32, shape: [1])
            }
            #expect(HDF5ElementType(name: "Float32") == .float32 && HDF5ElementType(name: "complex64") == nil)
        }

        @Test func appendAndExtendAnExtendableDataset() throws {
            let dir = try HDF5TestSupport.folder("append")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("a.h5")
            do {
                let file = try HDF5File.create(url)
                let ds = try file.root.createDataset("rows", elementType: .float32, shape: [0, 3], maxShape: [nil, 3], chunkShape: [4, 3])
                #expect(ds.maxShape == [nil, 3])
                try ds.append([0, 1, 2, 10, 11, 12] as [Float], alongFirstAxis: 2)
                try ds.append([20, 21, 22] as [Float], alongFirstAxis: 1)
                #expect(ds.shape == [3, 3])
                try ds.extend(to: [5, 3])
                HDF5TestSupport.expectError(.mismatch, mentioning: ["/rows", "got 2"]) { try ds.append([1, 2] as [Float], alongFirstAxis: 1) }
                HDF5TestSupport.expectError(.invalidArgument, mentioning: ["[5, 4]", "[unlimited, 3]", "axis 1"]) { try ds.extend(to: [5, 4]) }
                let fixed = try file.root.createDataset("fixed", elementType: .float32, shape: [2])
                HDF5TestSupport.expectError(.invalidArgument, mentioning: ["/fixed", "[2]"]) { try fixed.extend(to: [3]) }
                // A default chunk is chosen when a maximum shape asks for chunked storage.
                let auto = try file.root.createDataset("auto", elementType: .float32, shape: [0, 512, 512], maxShape: [nil, 512, 512])
                #expect(auto.chunkShape == [1, 512, 512])
                let big = try file.root.createDataset("big", elementType: .float64, shape: [3, 1024, 1024], deflateLevel: 1)
                #expect(big.chunkShape == [1, 128, 1024])
            }
            let ds = try HDF5File.open(url).root.dataset("rows")
            #expect(ds.shape == [5, 3])
            #expect(try ds.read(as: Float.self) == [0, 1, 2, 10, 11, 12, 20, 21, 22, 0, 0, 0, 0, 0, 0])
            #expect(try ds.read(start: [2, 1], count: [1, 2], as: Float.self) == [21, 22])
            HDF5TestSupport.expectError(.writeFailed, mentioning: [url.path, "/rows"]) { try ds.append([1, 2, 3] as [Float], alongFirstAxis: 1) }
        }
    }
}

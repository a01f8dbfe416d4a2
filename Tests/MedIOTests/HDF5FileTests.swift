import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    @Suite struct FileAndGroupTests {
        @Test func groupsPathsAndChildren() throws {
            let dir = try HDF5TestSupport.folder("groups")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("g.h5")
            do {
                let file = try HDF5File.create(url)
                let c = try file.root.createGroups("a/b/c")
                #expect(c.path == "/a/b/c")
                _ = try file.root.createGroup("x")
                _ = try file.root.createDataset("a/b/data", elementType: .float32, shape: [2])
                #expect(try file.root.createGroups("/a/b").path == "/a/b")       // existing groups are reused
                let names = try file.root.children().map(\.name)
                #expect(names == ["a", "x"])
                let kinds = try file.root.group("a/b").children()
                #expect(kinds.map(\.name) == ["c", "data"])
                #expect(kinds.map(\.kind) == [.group, .dataset])
                #expect(file.root.exists("a/b/c") && file.root.exists("/a/b/data"))
                #expect(!file.root.exists("a/q") && !file.root.exists("a/b/data/deeper") && !file.root.exists(""))
                #expect(try file.root.group("a").group("/a/b/c").path == "/a/b/c")
                HDF5TestSupport.expectError(.notFound, mentioning: [url.path, "/a/nope"]) { _ = try file.root.group("a/nope") }
                HDF5TestSupport.expectError(.mismatch, mentioning: ["/a/b/data", "not a group"]) { _ = try file.root.group("a/b/data") }
                HDF5TestSupport.expectError(.mismatch, mentioning: ["/a/b/c", "not a dataset"]) { _ = try file.root.dataset("a/b/c") }
                HDF5TestSupport.expectError(.writeFailed, mentioning: ["/x", "already exists"]) { _ = try file.root.createGroup("x") }
                HDF5TestSupport.expectError(.invalidArgument, mentioning: ["'..'"]) { _ = try file.root.group("a/../x") }
                try file.flush()
                try file.close()
                try file.close()  // a second close does nothing
                HDF5TestSupport.expectError(.corrupt, mentioning: [url.path, "HDF5:"]) { _ = try file.root.children() }
            }
            HDF5TestSupport.expectError(.writeFailed, mentioning: [url.path, "already exists"]) { _ = try HDF5File.create(url) }
            let reopened = try HDF5File.open(url)
            #expect(try reopened.root.group("a").children().map(\.name) == ["b"])
            // Writing into a read-only file is refused by HDF5; its reason travels in the error.
            HDF5TestSupport.expectError(.writeFailed, mentioning: [url.path, "/y", "HDF5:"]) { _ = try reopened.root.createGroup("y") }
        }

        @Test func attributesOfEachKindRoundTrip() throws {
            let dir = try HDF5TestSupport.folder("attrs")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("attrs.h5")
            do {
                let file = try HDF5File.create(url)
                let ds = try file.root.createDataset("d", elementType: .int16, shape: [3])
                for owner in [file.root.attributes, ds.attributes] {
                    try owner.set("count", 42)
                    try owner.set("negative", -7)
                    try owner.set("scale", 0.1)
                    try owner.set("name", "Größe 👍")
                    try owner.set("spacing", [2.5, 0.5, 1.0 / 3.0])
                    try owner.set("dims", [64, 128, -1])
                    try owner.set("empty", [Double]())
                    try owner.set("temporary", "gone soon")
                    try owner.remove("temporary")
                    try owner.set("replaced", 1)
                    try owner.set("replaced", "now a string")   // another type replaces the old attribute
                }
                try file.close()
            }
            let file = try HDF5File.open(url)
            let ds = try file.root.dataset("d")
            for (object, owner) in [(file.root as HDF5Object, file.root.attributes), (ds, ds.attributes)] {
                #expect(try object.attributeNames() == ["count", "dims", "empty", "name", "negative", "replaced", "scale", "spacing"])
                #expect(try owner.int("count") == 42)
                #expect(try owner.int("negative") == -7)
                #expect(try owner.double("scale") == 0.1)
                #expect(try owner.double("count") == 42)             // integers widen to Double
                #expect(try owner.string("name") == "Größe 👍")
                #expect(try owner.doubles("spacing") == [2.5, 0.5, 1.0 / 3.0])
                #expect(try owner.ints("dims") == [64, 128, -1])
                #expect(try owner.doubles("dims") == [64, 128, -1])
                #expect(try owner.doubles("empty") == [])
                #expect(try owner.string("replaced") == "now a string")
                #expect(try owner.value("count") == .int(42))
                #expect(try owner.value("spacing") == .doubles([2.5, 0.5, 1.0 / 3.0]))
                #expect(try owner.string("missing") == nil)
                #expect(try owner.int("missing") == nil)
                #expect(try !owner.contains("temporary"))
                HDF5TestSupport.expectError(.mismatch, mentioning: [url.path, "'name'", "Größe", "expected a number"]) {
                    _ = try owner.double("name")
                }
                HDF5TestSupport.expectError(.mismatch, mentioning: ["'scale'", "expected an integer"]) { _ = try owner.int("scale") }
            }
            #expect(HDF5AttributeValue.doubles((0..<16).map(Double.init)).description == "[0, 1, 2, 3, 4, 5, … (16 values)]")
        }

        @Test func objectCountReturnsToZeroAfterFilesAreReleased() throws {
            try HDF5TestGate.exclusive { try checkObjectCountReturnsToZero() }
        }

        private func checkObjectCountReturnsToZero() throws {
            let dir = try HDF5TestSupport.folder("count")
            defer { try? FileManager.default.removeItem(at: dir) }
            let before = HDF5Library.transientIdentifierCounts()
            #expect(HDF5Library.openObjectCount() == 0)
            func work() throws {
                let url = dir.appendingPathComponent("count.h5")
                let file = try HDF5File.create(url)
                let ds = try file.root.createDataset("a/v", elementType: .float32, shape: [4, 3], maxShape: [nil, 3],
                                                     chunkShape: [2, 3], shuffle: true, deflateLevel: 1)
                try ds.write((0..<12).map(Float.init))
                try ds.append([1, 2, 3], alongFirstAxis: 1)
                try ds.attributes.set("s", "x")
                try ds.attributes.set("d", [1.0, 2.0])
                #expect(HDF5Library.openObjectCount() > 0)
                let volumes = [(caseID: "c", volume: Volume(shape: VolumeShape(depth: 2, height: 2, width: 2), filledWith: 1, modality: .ct))]
                try HDF5VolumeStore.write(volumes, to: dir.appendingPathComponent("store.h5"))
                _ = try HDF5VolumeStore.read(dir.appendingPathComponent("store.h5"), dataset: "/cases/c/CT")
                _ = try HDF5VolumeStore.tree(of: dir.appendingPathComponent("store.h5"))
                // Errors release what they opened too.
                _ = try? HDF5VolumeStore.read(dir.appendingPathComponent("store.h5"), dataset: "/cases/none")
                _ = try? file.root.dataset("a/v").read(start: [9, 9], count: [1, 1], as: Float.self)
                let reread = try HDF5File.open(dir.appendingPathComponent("store.h5"))
                _ = try reread.root.dataset("cases/c/CT").attributes.value("affine")
                _ = try file.root.children()
            }
            try work()
            #expect(HDF5Library.openObjectCount() == 0)
            #expect(HDF5Library.transientIdentifierCounts() == before)
        }

        @Test func concurrentReadersAndNoPrintedErrorStacks() throws {
            let dir = try HDF5TestSupport.folder("threads")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("t.h5")
            let volume = Volume(shape: VolumeShape(depth: 4, height: 8, width: 8), voxels: (0..<256).map(Float.init), modality: .t1)
            try HDF5VolumeStore.write([(caseID: "t", volume: volume)], to: url)
            let bad = Fixtures.url("bad-input/random-bytes.h5")
            // Capture stderr while fresh threads hit HDF5 errors: HDF5's own printing must be off on every thread.
            let capture = dir.appendingPathComponent("stderr.txt")
            _ = FileManager.default.createFile(atPath: capture.path, contents: nil)
            let saved = dup(2)
            let fd = open(capture.path, O_WRONLY)
            dup2(fd, 2)
            let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
            results.initialize(repeating: false)
            defer { results.deallocate() }
            nonisolated(unsafe) let r = results
            DispatchQueue.concurrentPerform(iterations: 8) { n in
                let good = (try? HDF5VolumeStore.read(url, dataset: "/cases/t/T1").volume.voxels) == volume.voxels
                let failed = (try? HDF5VolumeStore.read(bad, dataset: "/x")) == nil
                let missing = (try? HDF5VolumeStore.read(url, dataset: "/cases/t/nope-\(n)")) == nil
                r[n] = good && failed && missing
            }
            let thread = Thread { _ = try? HDF5File.open(Fixtures.url("bad-input/truncated.h5")) }
            thread.start()
            while !thread.isFinished { usleep(1000) }
            fflush(nil)
            dup2(saved, 2)
            close(saved)
            close(fd)
            #expect(results.allSatisfy { $0 })
            let printed = (try? String(contentsOf: capture, encoding: .utf8)) ?? ""
            #expect(!printed.contains("HDF5-DIAG"), "HDF5 printed: \(printed)")
        }
    }
}

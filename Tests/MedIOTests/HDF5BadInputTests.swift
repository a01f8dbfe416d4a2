import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    /// Damaged and hostile files under `Tests/Fixtures/bad-input/` (made by scripts/make_hdf5_fixtures.py):
    /// each must give a `MedSynthError` that names the file, never a crash or a huge allocation.
    @Suite struct BadInputTests {
        static func bad(_ name: String) -> URL { Fixtures.url("bad-input/\(name)") }

        /// Every entry point that opens a file, so each is checked against each bad file.
        static func everyReader(_ url: URL) -> [(String, () throws -> Void)] {
            [("open", { _ = try HDF5File.open(url) }),
             ("read", { _ = try HDF5VolumeStore.read(url, dataset: "/volume") }),
             ("datasetPaths", { _ = try HDF5VolumeStore.datasetPaths(in: url) }),
             ("tree", { _ = try HDF5VolumeStore.tree(of: url) })]
        }

        @Test(arguments: ["zero-bytes.h5", "random-bytes.h5"])
        func filesWithoutTheSignatureAreCorrupt(_ name: String) {
            let url = Self.bad(name)
            for (_, reader) in Self.everyReader(url) {
                HDF5TestSupport.expectError(.corrupt, mentioning: [url.path, "not an HDF5 file"], reader)
            }
        }

        @Test func truncatedFileIsCorruptWithHDF5sReason() {
            let url = Self.bad("truncated.h5")
            for (_, reader) in Self.everyReader(url) {
                HDF5TestSupport.expectError(.corrupt, mentioning: [url.path, "2048 bytes", "HDF5:", "truncated"], reader)
            }
        }

        @Test func missingPathsAndFolders() throws {
            let missing = URL(fileURLWithPath: "/nonexistent-medsynth/none.h5")
            for (_, reader) in Self.everyReader(missing) {
                HDF5TestSupport.expectError(.notFound, mentioning: [missing.path, "no such file"], reader)
            }
            let dir = try HDF5TestSupport.folder("folder")
            defer { try? FileManager.default.removeItem(at: dir) }
            HDF5TestSupport.expectError(.unreadable, mentioning: [dir.path, "is a folder"]) { _ = try HDF5File.open(dir) }
        }

        @Test func absurdShapeIsRefusedBeforeAllocating() throws {
            let url = Self.bad("huge-shape-unallocated.h5")
            let file = try HDF5File.open(url)
            let huge = try file.root.dataset("huge")
            #expect(huge.shape == [65536, 65536, 65536] && huge.elementCount == 1 << 48)
            HDF5TestSupport.expectError(.tooLarge, mentioning: [url.path, "/huge", "limit"]) { _ = try huge.read(as: Float.self) }
            HDF5TestSupport.expectError(.tooLarge, mentioning: [url.path, "/huge", "65536x65536x65536"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/huge")
            }
            // A small block of it reads (the fill value), without touching the rest.
            #expect(try huge.read(start: [7, 100, 0], count: [1, 1, 4], as: Float.self) == [0, 0, 0, 0])
            #expect(try HDF5VolumeStore.datasetPaths(in: url) == ["/huge"])
            #expect(try HDF5VolumeStore.tree(of: url).map(\.path) == ["/", "/huge"])
            HDF5TestSupport.expectError(.notFound, mentioning: [url.path, "/volume", "datasets: /huge"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/volume")
            }
        }

        @Test func elementCountOverflowIsRefusedNotTrapped() throws {
            let url = Self.bad("overflow-shape-unallocated.h5")
            let huge = try HDF5File.open(url).root.dataset("huge")
            #expect(huge.shape == [1 << 21, 1 << 21, 1 << 21] && huge.elementCount == nil)
            HDF5TestSupport.expectError(.tooLarge, mentioning: [url.path, "/huge", "limit"]) { _ = try huge.read(as: Float.self) }
            HDF5TestSupport.expectError(.tooLarge, mentioning: [url.path, "/huge", "2097152x2097152x2097152"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/huge")
            }
            #expect(try huge.read(start: [(1 << 21) - 1, 5, 5], count: [1, 2, 2], as: Float.self) == [0, 0, 0, 0])
        }
    }
}

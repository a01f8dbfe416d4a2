import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    /// Reads `Tests/Fixtures/io/hdf5/h5py-interop.h5`, written by h5py (scripts/make_hdf5_fixtures.py documents
    /// every dataset). Values are formulas of their indices, recomputed here.
    @Suite struct InteropTests {
        static let url = Fixtures.url("io/hdf5/h5py-interop.h5")

        /// /volumes/ct_int16[k, j, i] = 100k + 10j + i − 300, shape (4, 5, 6).
        static let ctValues: [Int16] = {
            var values: [Int16] = []
            for k in 0..<4 { for j in 0..<5 { for i in 0..<6 { values.append(Int16(100 * k + 10 * j + i - 300)) } } }
            return values
        }()

        /// /images/map_f64[j, i] = 0.5j − 0.25i + 0.125 + ji/3, shape (3, 7), evaluated left to right as numpy does.
        static let mapValues: [Double] = {
            var values: [Double] = []
            for j in 0..<3 {
                for i in 0..<7 {
                    let linear: Double = 0.5 * Double(j) - 0.25 * Double(i) + 0.125
                    values.append(linear + Double(j * i) / 3.0)
                }
            }
            return values
        }()

        @Test func int16VolumeWithGzipAndAttributes() throws {
            let file = try HDF5File.open(Self.url)
            let ds = try file.root.dataset("/volumes/ct_int16")
            #expect(ds.shape == [4, 5, 6] && ds.elementType == .int16)
            #expect(ds.chunkShape == [1, 5, 6] && ds.filters == ["shuffle", "deflate(4)"])
            #expect(try ds.read(as: Int16.self) == Self.ctValues)
            #expect(try ds.read(as: Float.self) == Self.ctValues.map(Float.init))
            #expect(try ds.read(start: [3, 4, 0], count: [1, 1, 6], as: Int16.self) == [40, 41, 42, 43, 44, 45])
            #expect(try ds.attributes.doubles("spacing_mm") == [2.5, 0.8, 0.7])     // float array
            #expect(try ds.attributes.int("slice_count") == 4)                       // int
            #expect(try ds.attributes.string("modality") == "CT")                    // fixed-length bytes (np.bytes_)
            #expect(try ds.attributes.value("modality") == .string("CT"))
            #expect(try ds.attributes.string("description") == "h5py fixture: CT, µ-units")   // variable-length str
            #expect(try file.root.attributes.string("creator") == "make_hdf5_fixtures.py")
            #expect(try file.root.attributes.int("fixture_version") == 1)

            let loaded = try HDF5VolumeStore.read(Self.url, dataset: "/volumes/ct_int16")
            #expect(loaded.storedDataType == "int16" && loaded.format == .hdf5)
            #expect(loaded.volume.voxels == Self.ctValues.map(Float.init))
            #expect(loaded.volume.shape == VolumeShape(depth: 4, height: 5, width: 6))
            #expect(loaded.volume.modality == .ct && loaded.volume.unit == .hounsfield)
            // spacing_mm is (z, y, x); without an affine attribute it becomes a diagonal affine.
            #expect(loaded.volume.affine == Affine(spacingMM: SIMD3(0.7, 0.8, 2.5)))
        }

        @Test func float64ImageWithoutAttributesGetsDefaults() throws {
            let ds = try HDF5File.open(Self.url).root.dataset("images/map_f64")
            #expect(ds.shape == [3, 7] && ds.elementType == .float64 && ds.chunkShape == nil && ds.filters == [])
            #expect(try ds.read(as: Double.self).map(\.bitPattern) == Self.mapValues.map(\.bitPattern))
            let loaded = try HDF5VolumeStore.read(Self.url, dataset: "/images/map_f64")
            #expect(loaded.volume.shape == VolumeShape(depth: 1, height: 3, width: 7))
            #expect(loaded.volume.voxels == Self.mapValues.map { Float($0) })
            #expect(loaded.volume.affine == .identity && loaded.volume.modality == .unknown)
            #expect(loaded.storedDataType == "float64")
            #expect(loaded.notes.contains { $0.contains("assumed 1 mm") })
        }

        @Test func extendableH5pyDatasetGrows() throws {
            let dir = try HDF5TestSupport.folder("interop-grow")
            defer { try? FileManager.default.removeItem(at: dir) }
            let copy = dir.appendingPathComponent("copy.h5")
            try FileManager.default.copyItem(at: Self.url, to: copy)
            do {
                let ds = try HDF5File.open(copy, writable: true).root.dataset("misc/growing")
                #expect(ds.maxShape == [nil, 3] && ds.chunkShape == [1, 3])
                try ds.append([20, 21, 22] as [Float], alongFirstAxis: 1)
            }
            #expect(try HDF5File.open(copy).root.dataset("misc/growing").read(as: Float.self) == [0, 1, 2, 10, 11, 12, 20, 21, 22])
        }

        @Test func absurdMaximumShapeDoesNotStopReadingTheCurrentShape() throws {
            let ds = try HDF5File.open(Self.url).root.dataset("misc/huge_maxshape")
            #expect(ds.shape == [1, 4, 4] && ds.maxShape == [nil, 1 << 40, 1 << 40])
            let loaded = try HDF5VolumeStore.read(Self.url, dataset: "/misc/huge_maxshape")
            #expect(loaded.volume.voxels == [Float](repeating: 0, count: 16))
        }

        @Test func listingSkipsAliasesAndNeverFollowsExternalLinks() throws {
            #expect(try HDF5VolumeStore.datasetPaths(in: Self.url)
                    == ["/images/map_f64", "/misc/growing", "/misc/huge_maxshape", "/volumes/ct_int16"])
            let tree = try HDF5VolumeStore.tree(of: Self.url)
            #expect(tree.map(\.path) == ["/", "/images", "/images/map_f64", "/links", "/links/ct_alias", "/links/elsewhere",
                                         "/misc", "/misc/growing", "/misc/huge_maxshape", "/misc/names", "/misc/stack_u8", "/misc/vector_f32",
                                         "/volumes", "/volumes/ct_int16"])
            #expect(tree.first { $0.path == "/links/elsewhere" }?.kind == .other)
            #expect(tree.first { $0.path == "/links/ct_alias" }?.kind == .other)
            #expect(tree.first { $0.path == "/misc/names" }?.elementType == "string")
            let ct = try #require(tree.first { $0.path == "/volumes/ct_int16" })
            #expect(ct.attributes.map(\.name) == ["description", "modality", "slice_count", "spacing_mm", "unit"])
            #expect(ct.attributes.first { $0.name == "modality" }?.value == "\"CT\"")
            // The soft link still opens when named explicitly.
            #expect(try HDF5File.open(Self.url).root.dataset("links/ct_alias").shape == [4, 5, 6])
            #expect(try HDF5File.open(Self.url).root.kind(at: "links/elsewhere") == .other)
        }

        @Test func nonVolumeDatasetsAreUnsupportedWithTheirShape() {
            for (path, mention) in [("/misc/vector_f32", "[5]"), ("/misc/stack_u8", "[2, 2, 2, 2]"), ("/misc/names", "string")] {
                HDF5TestSupport.expectError(.unsupported, mentioning: [Self.url.path, path, mention]) {
                    _ = try HDF5VolumeStore.read(Self.url, dataset: path)
                }
            }
            HDF5TestSupport.expectError(.unsupported, mentioning: ["/misc/names", "string", "float32"]) {
                _ = try HDF5File.open(Self.url).root.dataset("misc/names").read(as: Float.self)
            }
        }
    }
}

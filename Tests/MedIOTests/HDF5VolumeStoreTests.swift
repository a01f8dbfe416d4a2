import Foundation
import Testing
import MedCore
@testable import MedIO
import MedTestSupport

extension HDF5Tests {
    @Suite struct VolumeStoreTests {
        /// An oblique CT with awkward values (NaN, ±0, infinities, subnormals) to check bit-exact storage.
        static func obliqueCT() -> Volume {
            let shape = VolumeShape(depth: 3, height: 4, width: 5)
            var voxels = (0..<shape.voxelCount).map { Float($0) * 10.5 - 1024 }
            voxels[0] = .nan; voxels[1] = -0.0; voxels[2] = .infinity; voxels[3] = -.infinity
            voxels[4] = .leastNonzeroMagnitude; voxels[5] = .greatestFiniteMagnitude
            let c = 0.8, s = 0.6   // a rotation about z, spacing (0.7, 0.8, 2.5) mm, an origin
            let affine = Affine(rowMajor: [0.7 * c, -0.8 * s, 0, -90.25,
                                           0.7 * s, 0.8 * c, 0, 12.5,
                                           0, 0, 2.5, -40,
                                           0, 0, 0, 1])
            return Volume(shape: shape, voxels: voxels, affine: affine, modality: .ct)
        }

        static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

        @Test func roundTripIsBitExactWithGeometryAndMeaning() throws {
            let dir = try HDF5TestSupport.folder("store")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("cases.h5")
            let ct = Self.obliqueCT()
            let t1 = Volume(shape: ct.shape, voxels: (0..<60).map { Float($0) / 7 }, affine: ct.affine, modality: .t1)
            let image = Volume(shape: VolumeShape(depth: 1, height: 2, width: 3), voxels: [1, 2, 3, 4, 5, 6],
                               affine: Affine(spacingMM: SIMD3(0.5, 0.25, 1)), modality: .unknown)
            let pet = Volume(shape: VolumeShape(depth: 2, height: 2, width: 2), filledWith: 3.5, modality: .pet, unit: .arbitrary)
            try HDF5VolumeStore.write([(caseID: "brain01", volume: ct), (caseID: "brain01", volume: t1),
                                       (caseID: "b", volume: image), (caseID: "p", volume: pet)], to: url)
            #expect(HDF5TestSupport.contents(dir) == ["cases.h5"])   // no temporary file left
            #expect(try HDF5VolumeStore.datasetPaths(in: url) == ["/cases/b/image", "/cases/brain01/CT", "/cases/brain01/T1", "/cases/p/PET"])

            let loaded = try HDF5VolumeStore.read(url, dataset: "/cases/brain01/CT")
            #expect(Self.bits(loaded.volume.voxels) == Self.bits(ct.voxels))
            #expect(loaded.volume.affine == ct.affine)
            #expect(loaded.volume.shape == ct.shape)
            #expect(loaded.volume.modality == .ct && loaded.volume.unit == .hounsfield)
            #expect(loaded.format == .hdf5 && loaded.storedDataType == "float32" && loaded.notes.isEmpty)
            #expect(try HDF5VolumeStore.read(url, dataset: "cases/brain01/T1").volume == t1)
            let img = try HDF5VolumeStore.read(url, dataset: "/cases/b/image").volume
            #expect(img == image && img.modality == .unknown)
            let p = try HDF5VolumeStore.read(url, dataset: "/cases/p/PET").volume
            #expect(p.unit == .arbitrary && p.modality == .pet)   // an explicit unit wins over the modality's

            // The layout, checked through the generic API (what h5py sees).
            let file = try HDF5File.open(url)
            #expect(try file.root.attributes.string("medsynth_version") == MedSynthVersion.string)
            let ds = try file.root.dataset("cases/brain01/CT")
            #expect(ds.shape == [3, 4, 5] && ds.elementType == .float32)
            #expect(ds.chunkShape == [1, 4, 5] && ds.filters == ["shuffle", "deflate(4)"])
            #expect(try ds.attributeNames() == ["affine", "medsynth_version", "modality", "spacing_mm", "unit"])
            #expect(try ds.attributes.string("modality") == "CT")
            #expect(try ds.attributes.string("unit") == "HU")
            let spacing = try #require(try ds.attributes.doubles("spacing_mm"))
            #expect(Approx.maxAbsDifference(spacing, [2.5, 0.8, 0.7]) < 1e-12)   // (z, y, x)
            #expect(try ds.attributes.doubles("affine") == ct.affine.rowMajor)
            #expect(try file.root.dataset("cases/b/image").attributes.string("modality") == "unknown")
        }

        @Test func slicesReadAloneKeepTheirPlace() throws {
            let dir = try HDF5TestSupport.folder("slices")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("s.h5")
            let ct = Self.obliqueCT()
            try HDF5VolumeStore.write([(caseID: "c", volume: ct)], to: url, deflateLevel: nil)
            #expect(try HDF5File.open(url).root.dataset("cases/c/CT").filters == [])
            let part = try HDF5VolumeStore.read(url, dataset: "/cases/c/CT", slices: 1..<3).volume
            let expected = try Volume.stacking([ct.slice(1), ct.slice(2)])
            #expect(Self.bits(part.voxels) == Self.bits(expected.voxels))
            #expect(part.affine.isClose(to: ct.slice(1).affine, tolerance: 1e-12))
            HDF5TestSupport.expectError(.invalidArgument, mentioning: [url.path, "/cases/c/CT", "2..<4", "0..<3"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/cases/c/CT", slices: 2..<4)
            }
        }

        @Test func treeListsGroupsDatasetsAndAttributes() throws {
            let dir = try HDF5TestSupport.folder("tree")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("t.h5")
            try HDF5VolumeStore.write([(caseID: "a", volume: Self.obliqueCT())], to: url)
            let tree = try HDF5VolumeStore.tree(of: url)
            #expect(tree.map(\.path) == ["/", "/cases", "/cases/a", "/cases/a/CT"])
            #expect(tree.map(\.kind) == [.group, .group, .group, .dataset])
            let ct = tree[3]
            #expect(ct.shape == [3, 4, 5] && ct.elementType == "float32" && ct.chunkShape == [1, 4, 5])
            #expect(ct.filters == ["shuffle", "deflate(4)"])
            #expect(ct.attributes.first { $0.name == "modality" }?.value == "\"CT\"")
            #expect(ct.attributes.first { $0.name == "spacing_mm" }?.value == "[2.5, 0.8, 0.7]")
            #expect(ct.attributes.first { $0.name == "affine" }?.value.hasSuffix("… (16 values)]") == true)
            #expect(tree[0].attributes.map(\.name) == ["medsynth_version"])
            #expect(ct.summaryLine == "/cases/a/CT  dataset  float32 [3, 4, 5]  chunks [1, 4, 5]  shuffle, deflate(4)")
        }

        @Test func badArgumentsAndOutputsLeaveNothingBehind() throws {
            let dir = try HDF5TestSupport.folder("badout")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("out.h5")
            let v = Volume(shape: VolumeShape(depth: 1, height: 2, width: 2), filledWith: 1, modality: .t2)
            HDF5TestSupport.expectError(.invalidArgument, mentioning: [url.path, "'a/b'"]) {
                try HDF5VolumeStore.write([(caseID: "a/b", volume: v)], to: url)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["'..'"]) { try HDF5VolumeStore.write([(caseID: "..", volume: v)], to: url) }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["'/cases/x/T2'"]) {
                try HDF5VolumeStore.write([(caseID: "x", volume: v), (caseID: "x", volume: v)], to: url)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["deflate level -1"]) {
                try HDF5VolumeStore.write([(caseID: "x", volume: v)], to: url, deflateLevel: -1)
            }
            HDF5TestSupport.expectError(.invalidArgument, mentioning: ["no volumes"]) { try HDF5VolumeStore.write([], to: url) }
            #expect(HDF5TestSupport.contents(dir) == [])

            let missingFolder = dir.appendingPathComponent("no-such-folder/out.h5")
            HDF5TestSupport.expectError(.writeFailed, mentioning: [missingFolder.path, "does not exist"]) {
                try HDF5VolumeStore.write([(caseID: "x", volume: v)], to: missingFolder)
            }
            let notAFolder = dir.appendingPathComponent("plain-file")
            try Data([1]).write(to: notAFolder)
            HDF5TestSupport.expectError(.writeFailed, mentioning: [notAFolder.path + "/out.h5", "not a folder"]) {
                try HDF5VolumeStore.write([(caseID: "x", volume: v)], to: notAFolder.appendingPathComponent("out.h5"))
            }
            if getuid() != 0 {   // root may write anywhere, so a read-only folder only stops other users
                let locked = dir.appendingPathComponent("locked")
                try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
                try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
                defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
                HDF5TestSupport.expectError(.writeFailed, mentioning: [locked.path, "not writable"]) {
                    try HDF5VolumeStore.write([(caseID: "x", volume: v)], to: locked.appendingPathComponent("out.h5"))
                }
                #expect(HDF5TestSupport.contents(locked) == [])
            }
            #expect(HDF5TestSupport.contents(dir) == ["plain-file"])

            // Replacing an existing file works, and a missing dataset names the file, the path and what exists.
            try HDF5VolumeStore.write([(caseID: "x", volume: v)], to: url)
            try HDF5VolumeStore.write([(caseID: "y", volume: v)], to: url)
            #expect(try HDF5VolumeStore.datasetPaths(in: url) == ["/cases/y/T2"])
            HDF5TestSupport.expectError(.notFound, mentioning: [url.path, "/cases/x/T2", "/cases/y/T2"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/cases/x/T2")
            }
            HDF5TestSupport.expectError(.mismatch, mentioning: [url.path, "/cases/y", "not a dataset"]) {
                _ = try HDF5VolumeStore.read(url, dataset: "/cases/y")
            }
        }
    }
}

import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// The DICOM reader against the fixtures of scripts/make_dicom_fixtures.py: every voxel and the affine against
/// expected.json (computed from the tags by the script, which checked them against dcm2niix + nibabel), every voxel
/// against dcm2niix's own NIfTI (committed, read back through the affines), lossless encodings against their
/// uncompressed twin, and the series that must be refused.
@Suite struct DICOMReaderTests {
    struct Series: Decodable {
        var shape: [Int]
        var affine: [Double]
        var modality: String
        var values: [Double]
        var dcm2niix: String?
        var suvFactor: Double?
        var seriesNumber: Int?
    }
    struct Entry: Decodable {
        var shape: [Int]?
        var affine: [Double]?
        var modality: String?
        var values: [Double]?
        var dcm2niix: String?
        var suvFactor: Double?
        var error: String?
        var badFile: String?
        var series: [Series]?

        var single: Series? {
            guard let shape, let affine, let modality, let values else { return nil }
            return Series(shape: shape, affine: affine, modality: modality, values: values, dcm2niix: dcm2niix,
                          suvFactor: suvFactor, seriesNumber: nil)
        }
    }

    static let expected: [String: Entry] = {
        guard let data = try? Data(contentsOf: Fixtures.url("dicom/expected.json")),
              let decoded = try? JSONDecoder().decode([String: Entry].self, from: data) else {
            fatalError("Tests/Fixtures/dicom/expected.json is missing or unreadable: run scripts/make_dicom_fixtures.py")
        }
        return decoded
    }()

    /// Fixtures holding one readable series.
    static let readable: [String] = expected.filter { $0.value.single != nil }.map(\.key).sorted()

    @Test func theFixtureListIsComplete() {
        #expect(Self.readable.count >= 12, "\(Self.readable)")
        #expect(Self.expected["two-series"]?.series?.count == 2)
    }

    /// Largest |a − b| / max(1, |b|); NaN anywhere gives infinity, so a NaN never passes.
    static func maxRelativeDifference(_ a: [Float], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        var worst = 0.0
        for (x, y) in zip(a, b) {
            let d = abs(Double(x) - y) / max(1, abs(y))
            if !(d <= worst) { worst = d.isNaN ? .infinity : d }
        }
        return worst
    }

    @Test func nanNeverCompares() {
        #expect(Self.maxRelativeDifference([.nan, 1], [0, 1]) == .infinity)
        #expect(Self.maxRelativeDifference([0, 1], [0, 1]) == 0)
    }

    func check(_ loaded: LoadedVolume, against e: Series, name: String) {
        let v = loaded.volume
        #expect([v.shape.depth, v.shape.height, v.shape.width] == e.shape, "\(name)")
        #expect(v.affine.isClose(to: Affine(rowMajor: e.affine), tolerance: 1e-4), "\(name): \(v.affine) vs \(e.affine)")
        let expectedValues = e.values.map { $0 * (e.suvFactor ?? 1) }
        #expect(Self.maxRelativeDifference(v.voxels, expectedValues) <= 1e-6, "\(name): values differ")
        switch e.modality {
        case "CT": #expect(v.modality == .ct && v.unit == .hounsfield, "\(name)")
        case "PT": #expect(v.modality == .pet && v.unit == .suv, "\(name)")
        default: #expect(v.modality == .unknown, "\(name)")
        }
        #expect(loaded.format == .dicom)
    }

    @Test(arguments: readable)
    func voxelsAndAffineMatchTheTags(name: String) throws {
        let e = try #require(Self.expected[name]?.single)
        check(try DICOMReader.read(Fixtures.url("dicom/\(name)")), against: e, name: name)
    }

    @Test func twoSeriesNeedAChoiceAndEachReads() throws {
        let url = Fixtures.url("dicom/two-series")
        #expect {
            try DICOMReader.read(url)
        } throws: { error in
            let e = error as? MedSynthError
            return e?.kind == .invalidArgument && e?.message.contains("holds 2 series; choose one with --series") == true
        }
        let all = try #require(Self.expected["two-series"]?.series)
        let scan = try DICOMScan.scan(url)
        for s in all {
            let number = try #require(scan.series.first { $0.seriesNumber == s.seriesNumber }?.number)
            check(try DICOMReader.read(url, options: DICOMReadOptions(series: String(number))), against: s,
                  name: "two-series #\(number)")
            let uid = scan.series[number - 1].seriesInstanceUID
            check(try DICOMReader.read(url, options: DICOMReadOptions(series: uid)), against: s, name: "two-series \(uid)")
        }
        #expect(throws: MedSynthError.self) { try DICOMReader.read(url, options: DICOMReadOptions(series: "3")) }
    }

    /// dcm2niix's NIfTI, read back by MedSynth's NIfTI reader, holds the same values at the same world positions.
    @Test(arguments: readable.filter { expected[$0]?.dcm2niix != nil } + ["two-series"])
    func voxelsMatchDcm2niix(name: String) throws {
        let entry = try #require(Self.expected[name])
        let list = entry.series ?? [entry.single!]
        let scan = try DICOMScan.scan(Fixtures.url("dicom/\(name)"))
        for e in list {
            let nifti = try NIfTIFile.read(Fixtures.url("dicom/\(try #require(e.dcm2niix))")).volume
            let number = e.seriesNumber.flatMap { n in scan.series.first { $0.seriesNumber == n }?.number }
            let ours = try DICOMReader.read(Fixtures.url("dicom/\(name)"), options: DICOMReadOptions(series: number.map(String.init)))
            let factor = Float(e.suvFactor ?? 1)
            try expectSameWorldVolume(ours.volume, nifti, scale: factor, name: name)
        }
    }

    /// Maps every voxel of `a` to `b` through the affines (a signed permutation for dcm2niix, which flips rows)
    /// and compares values (`b` × `scale`) and positions.
    func expectSameWorldVolume(_ a: Volume, _ b: Volume, scale: Float, name: String) throws {
        #expect(a.shape.voxelCount == b.shape.voxelCount, "\(name)")
        let inverse = try #require(Self.inverse(b.affine), "\(name): singular dcm2niix affine")
        var mismatches = 0, offGrid = 0
        for k in 0..<a.shape.depth {
            for j in 0..<a.shape.height {
                for i in 0..<a.shape.width {
                    let world = a.affine.apply(SIMD3(Double(i), Double(j), Double(k)))
                    let ijk = inverse.apply(world)
                    let r = ijk.rounded(.toNearestOrEven)
                    if ((ijk - r) * (ijk - r)).sum().squareRoot() > 1e-3 { offGrid += 1; continue }
                    let (bi, bj, bk) = (Int(r.x), Int(r.y), Int(r.z))
                    guard bi >= 0, bj >= 0, bk >= 0, bi < b.shape.width, bj < b.shape.height, bk < b.shape.depth else {
                        offGrid += 1; continue
                    }
                    let x = a[k, j, i], y = b[bk, bj, bi] * scale
                    if !(abs(x - y) <= 1e-5 * max(1, abs(y))) { mismatches += 1 }
                }
            }
        }
        #expect(offGrid == 0, "\(name): \(offGrid) voxels do not land on dcm2niix's grid")
        #expect(mismatches == 0, "\(name): \(mismatches) voxels differ from dcm2niix")
    }

    /// The inverse of an affine (last row 0 0 0 1), nil when singular.
    static func inverse(_ m: Affine) -> Affine? {
        let a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], i = m[2, 2]
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        guard abs(det) > 1e-12 else { return nil }
        let r = [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
                 (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
                 (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]
        let t = SIMD3(m[0, 3], m[1, 3], m[2, 3])
        var out = [Double](repeating: 0, count: 16)
        for row in 0..<3 {
            out[row * 4 + 0] = r[row * 3]; out[row * 4 + 1] = r[row * 3 + 1]; out[row * 4 + 2] = r[row * 3 + 2]
            out[row * 4 + 3] = -(r[row * 3] * t.x + r[row * 3 + 1] * t.y + r[row * 3 + 2] * t.z)
        }
        out[15] = 1
        return Affine(rowMajor: out)
    }

    /// Every transfer syntax of the same image gives the same voxels (all encodings here are lossless).
    @Test(arguments: ["axial-ct-implicit", "axial-ct-bigendian", "axial-ct-jpeg-lossless", "axial-ct-jpegls",
                      "axial-ct-j2k", "axial-ct-rle"])
    func losslessEncodingsGiveIdenticalVoxels(name: String) throws {
        let twin = try DICOMReader.read(Fixtures.url("dicom/axial-ct")).volume
        let loaded = try DICOMReader.read(Fixtures.url("dicom/\(name)")).volume
        #expect(loaded.voxels == twin.voxels, "\(name)")
        #expect(loaded.affine == twin.affine, "\(name)")
        let scan = try DICOMScan.scan(Fixtures.url("dicom/\(name)"))
        let syntaxes = Set(scan.series.flatMap(\.transferSyntaxes))
        #expect(!syntaxes.contains("1.2.840.10008.1.2.1") || name == "axial-ct", "\(name): \(syntaxes)")
    }

    /// Reading fails with every phrase in the message, and so does the streaming conversion (children decoding
    /// into the shared ring), leaving no output file.
    static func expectFailure(_ name: String, options: DICOMReadOptions = DICOMReadOptions(),
                              _ phrases: [String]) {
        let input = Fixtures.url("dicom/\(name)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("medsynth-fail-\(name)-\(getpid()).nii")
        defer { try? FileManager.default.removeItem(at: out) }
        for path in ["read", "writeNIfTI"] {
            do {
                if path == "read" {
                    _ = try DICOMReader.read(input, options: options)
                } else {
                    _ = try DICOMReader.writeNIfTI(input, options: options, to: out, windowPlanes: 2)
                }
                Issue.record("\(name): \(path) succeeded, expected an error")
            } catch let e as MedSynthError {
                for p in phrases { #expect(e.description.contains(p), "\(name) \(path): '\(p)' not in: \(e)") }
            } catch {
                Issue.record("\(name) \(path): \(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(name) \(path): output left")
        }
    }

    /// The folder walk: recursive, sorted, hidden names skipped, links to files followed and links to folders not;
    /// then the DICOM filter keeps preamble files and DICOM-like names. A folder that cannot be listed is an error.
    @Test func folderWalkAndTheDICOMFilter() throws {
        let root = try Fixtures.temporaryFolder("dicom-walk")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent(".hidden"), withIntermediateDirectories: true)
        var preamble = Data(count: 128)
        preamble.append(contentsOf: Array("DICM".utf8))
        try preamble.write(to: root.appendingPathComponent("sub/scan.txt"))    // preamble wins over the name
        try Data([1]).write(to: root.appendingPathComponent("sub/deeper/IM0001"))
        try Data([1]).write(to: root.appendingPathComponent("a.dcm"))
        try Data([1]).write(to: root.appendingPathComponent("notes.txt"))
        try Data([1]).write(to: root.appendingPathComponent(".DS_Store"))
        try Data([1]).write(to: root.appendingPathComponent(".hidden/IM0002"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("link.dcm").path, withDestinationPath: root.appendingPathComponent("a.dcm").path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("loop").path, withDestinationPath: root.path)
        let all = try DICOMScan.candidateFiles(in: root)
        let names = all.map { String($0.dropFirst(root.path.count + 1)) }
        #expect(names == ["a.dcm", "link.dcm", "notes.txt", "sub/deeper/IM0001", "sub/scan.txt"])
        let kept = DICOMScan.filesThatLookLikeDICOM(all).map { String($0.dropFirst(root.path.count + 1)) }
        #expect(kept == ["a.dcm", "link.dcm", "sub/deeper/IM0001", "sub/scan.txt"])
        let e = #expect(throws: MedSynthError.self) { try DICOMScan.candidateFiles(in: root.appendingPathComponent("absent")) }
        #expect(e?.kind == .unreadable && e?.subject?.hasSuffix("absent") == true)
    }

    @Test func aMissingSliceIsRefusedNamingTheGap() {
        Self.expectFailure("missing-slice", ["uneven slice spacing", "4 mm", "IMG58cce", "IM_8b1c.dcm", "missing"])
    }

    @Test func gantryTiltIsRefused() {
        Self.expectFailure("gantry-tilt", ["gantry tilt", "GantryDetectorTilt 12"])
    }

    @Test func aTruncatedSliceRefusesItsSeriesNamingTheFile() throws {
        let bad = try #require(Self.expected["bad-in-series"]?.badFile)
        Self.expectFailure("bad-in-series", [bad, "cut short", "series (5 slices) is refused"])
    }

    @Test func petWithoutWeightNamesTheTagAndTheEscapeWorks() throws {
        Self.expectFailure("pet-missing-weight", ["PatientWeight (0010,1030)", "--suv-factor"])
        let e = try #require(Self.expected["pet-suv"]?.single)
        let loaded = try DICOMReader.read(Fixtures.url("dicom/pet-missing-weight"),
                                          options: DICOMReadOptions(suvFactor: e.suvFactor))
        check(loaded, against: e, name: "pet-missing-weight with --suv-factor")
        #expect(loaded.notes.contains { $0.contains("--suv-factor") })
    }

    @Test func petAdminDecayIsNotDecayedAgain() throws {
        let start = try DICOMReader.read(Fixtures.url("dicom/pet-suv")).volume
        let admin = try DICOMReader.read(Fixtures.url("dicom/pet-suv-admin")).volume
        // 3300 s of F-18 decay (half-life 6586.2 s): START values are 2^(3300/6586.2) = 1.4147 × ADMIN's.
        let ratio = Double(start.voxels.reduce(0, +) / admin.voxels.reduce(0, +))
        #expect(abs(ratio - pow(2, 3300 / 6586.2)) < 1e-4, "\(ratio)")
    }

    @Test func localizersAreSkippedWithANote() throws {
        let loaded = try DICOMReader.read(Fixtures.url("dicom/localizer"))
        #expect(loaded.notes.contains { $0.contains("skipped localizer") }, "\(loaded.notes)")
    }

    @Test func infoListsSeriesWithoutIdentifiers() throws {
        let report = try FileReport.make(Fixtures.url("dicom/two-series"))
        #expect(report.series?.count == 2)
        #expect(report.images.isEmpty)
        let json = try report.jsonString()
        for uid in try Self.phi().uids { #expect(!json.contains(uid), "info --json shows \(uid)") }
        for s in try Self.phi().strings { #expect(!json.contains(s), "info --json shows \(s)") }
        let one = try FileReport.make(Fixtures.url("dicom/two-series"), dicom: DICOMReadOptions(series: "2"))
        #expect(one.images.count == 1)
    }

    struct PHI: Decodable { var strings: [String]; var uids: [String] }
    static func phi() throws -> PHI {
        try JSONDecoder().decode(PHI.self, from: Data(contentsOf: Fixtures.url("dicom/phi.json")))
    }

    /// The streaming DICOM → NIfTI path writes the same file as reading the volume and writing it, whatever the window
    /// size (1, 2 and 16 planes), for integer and float output, rescaled PET and the enhanced multi-frame fallback.
    @Test(arguments: ["axial-ct", "oblique-mr", "pet-suv", "enhanced-ct", "axial-ct-j2k"])
    func streamingConversionEqualsReadThenWrite(name: String) throws {
        let folder = try Fixtures.temporaryFolder("dicom-stream")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = Fixtures.url("dicom/\(name)")
        let loaded = try DICOMReader.read(input)
        for dataType in [NIfTIDataType.float32, .int32] {
            let reference = folder.appendingPathComponent("ref-\(dataType.rawValue).nii")
            try NIfTIFile.write(loaded.volume, to: reference, dataType: dataType)
            for slab in [1, 2, 16] {
                let out = folder.appendingPathComponent("s\(slab)-\(dataType.rawValue).nii")
                let c = try DICOMReader.writeNIfTI(input, to: out, dataType: dataType, windowPlanes: slab)
                #expect(try Data(contentsOf: out) == Data(contentsOf: reference), "\(name) \(dataType) slab \(slab)")
                #expect(c.shape == loaded.volume.shape && c.modality == loaded.volume.modality)
                #expect(c.storedDataType == loaded.storedDataType && c.notes == loaded.notes)
            }
        }
        // A value the output type cannot hold is an error, and no file is left.
        if name == "pet-suv" {
            let out = folder.appendingPathComponent("bad.nii")
            #expect(throws: MedSynthError.self) {
                try DICOMReader.writeNIfTI(input, options: DICOMReadOptions(suvFactor: 1), to: out, dataType: .uint8)
            }
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test func formatDetection() throws {
        #expect(try FileFormatDetector.detect(Fixtures.url("dicom/axial-ct")) == .dicom)
        #expect(try FileFormatDetector.detect(Fixtures.url("dicom/axial-ct/IM_38af.dcm")) == .dicom)
        // A preamble-less or extension-less DICOM file is found by content.
        #expect(try FileFormatDetector.detect(Fixtures.url("dicom/axial-ct/e0992907")) == .dicom)
    }
}

import Foundation
import Testing
import MedTestSupport

/// `medsynth info` and `convert` on files written by nibabel and Pillow report exactly the values those tools
/// wrote (expected.json is written by scripts/make_png_nifti_fixtures.py from the same arrays).
@Suite struct InteropInfoTests {
    struct UnreadableExpectations: Error, CustomStringConvertible {
        let description: String
    }

    /// io/`folder`/expected.json: one object per fixture file. Throws for a missing, unparsable or
    /// wrongly shaped file (never a silent empty dictionary).
    static func expected(_ folder: String) throws -> [String: [String: Any]] {
        let url = Fixtures.url("io/\(folder)/expected.json")
        guard let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: Any]] else {
            throw UnreadableExpectations(description: "\(url.path) is not an object of objects")
        }
        return cases
    }

    /// The parameter lists. Computed before any test runs, so a failure to read cannot be recorded here: it
    /// yields an empty list, and `expectationFilesListEveryFixture` fails on it, quoting the error.
    static let niftiFixtures = ((try? expected("nifti")) ?? [:]).keys.sorted()
    static let pngFixtures = ((try? expected("png")) ?? [:]).keys.sorted()

    /// Each expected.json parses, is not empty, names exactly the fixture files beside it, and the parameter
    /// lists above hold all of them (so the parameterised tests below cannot silently run zero cases).
    @Test(arguments: ["nifti", "png"])
    func expectationFilesListEveryFixture(folder: String) throws {
        let cases = try Self.expected(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.url("io/\(folder)").path)
            .filter { !$0.hasPrefix(".") && $0 != "expected.json" }.sorted()
        #expect(!cases.isEmpty, "io/\(folder)/expected.json lists no fixtures")
        #expect(cases.keys.sorted() == files, "io/\(folder)/expected.json lists \(cases.keys.sorted()), the folder holds \(files)")
        let arguments = folder == "nifti" ? Self.niftiFixtures : Self.pngFixtures
        #expect(arguments == files, "parameters \(arguments), fixtures \(files)")
    }

    static func info(_ path: String) throws -> [String: Any] {
        let r = try CommandRunner.run(["info", path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        return (report["images"] as! [[String: Any]])[0]
    }

    @Test(arguments: niftiFixtures)
    func niftiFromNibabel(name: String) throws {
        let want = try Self.expected("nifti")[name]!
        let got = try Self.info(Fixtures.url("io/nifti/\(name)").path)
        #expect(got["shape"] as! [Int] == want["shape_dhw"] as! [Int])
        for key in ["min", "max", "mean"] {
            #expect(Approx.isClose(got[key] as! Double, want[key] as! Double, rtol: 1e-6, atol: 1e-6), "\(name) \(key)")
        }
        // For a file with only pixdim, nibabel invents a centred, x-flipped affine; MedSynth uses diag(pixdim),
        // recorded by the fixture script as medsynth_affine.
        let affine = got["affine"] as! [Double]
        let wantAffine = (want["medsynth_affine"] as? [Double]) ?? (want["affine"] as! [Double])
        #expect(Approx.maxAbsDifference(affine, wantAffine) < 1e-4, "\(name): \(affine) vs \(wantAffine)")
    }

    @Test(arguments: pngFixtures)
    func pngFromPillow(name: String) throws {
        let want = try Self.expected("png")[name]!
        let got = try Self.info(Fixtures.url("io/png/\(name)").path)
        #expect(got["shape"] as! [Int] == want["shape_dhw"] as! [Int])
        // Color to gray goes through libpng's fixed-point Rec. 709 weights, which may differ from Pillow's
        // floating-point luma by one gray level per pixel; gray images must match exactly.
        let tolerance = name == "rgb.png" ? 1.0 : 1e-6
        for key in ["min", "max", "mean"] {
            #expect(Approx.isClose(got[key] as! Double, want[key] as! Double, rtol: 1e-6, atol: tolerance), "\(name) \(key)")
        }
    }

    /// h5py-written datasets convert to NIfTI and back with identical statistics.
    @Test func h5pyDatasetsConvertExactly() throws {
        let dir = try Fixtures.temporaryFolder("interop-h5")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Fixtures.url("io/hdf5/h5py-interop.h5").path
        let r = try CommandRunner.run(["info", source, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let images = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["images"] as! [[String: Any]]
        #expect(!images.isEmpty)
        for image in images {
            let dataset = image["dataset"] as! String
            let out = dir.appendingPathComponent("x\(abs(dataset.hashValue)).nii").path
            let c = try CommandRunner.run(["convert", source, out, "--dataset", dataset, "--dtype", "float64"])
            #expect(c.status == 0, "\(c.stderr)")
            let back = try Self.info(out)
            for key in ["min", "max", "mean", "std"] {
                #expect(Approx.isClose(back[key] as! Double, image[key] as! Double, rtol: 1e-12), "\(dataset) \(key)")
            }
            #expect(back["shape"] as! [Int] == image["shape"] as! [Int])
        }
    }
}

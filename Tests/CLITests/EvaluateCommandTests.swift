import Foundation
import Testing
import MedCore
import MedIO
import MedMetrics
import MedTestSupport

/// `medsynth evaluate` end to end: the numbers it writes are the library's, cases are matched by id, and bad
/// pairings are refused with a message saying how the images differ.
@Suite struct EvaluateCommandTests {
    /// A smooth CT-like 2-slice volume and a perturbed copy.
    static func pair(shape: VolumeShape = VolumeShape(depth: 12, height: 20, width: 24), shift: Float = 30) -> (Volume, Volume) {
        let affine = Affine(spacingMM: SIMD3(0.8, 0.8, 2.0))
        var a = [Float](repeating: 0, count: shape.voxelCount), b = a
        for n in 0..<shape.voxelCount {
            let x = Float(n % shape.width), y = Float((n / shape.width) % shape.height)
            a[n] = 400 * sin(x / 5) * cos(y / 7) + 40
            b[n] = a[n] + shift * sin(Float(n) * 0.37)
        }
        return (Volume(shape: shape, voxels: a, affine: affine, modality: .ct),
                Volume(shape: shape, voxels: b, affine: affine, modality: .ct))
    }

    static func readJSON(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func summaryValue(_ json: [String: Any], column: String, label: Int? = nil) -> Double? {
        let rows = json["summary"] as! [[String: Any]]
        let row = rows.first { ($0["column"] as? String) == column && ($0["label"] as? Int) == label }
        return (row?["summary"] as? [String: Any])?["mean"] as? Double
    }

    @Test func singlePairMatchesTheLibrary() throws {
        let dir = try Fixtures.temporaryFolder("eval-single")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ref, pred) = Self.pair()
        try NIfTIFile.write(ref, to: dir.appendingPathComponent("ref.nii.gz"))
        try NIfTIFile.write(pred, to: dir.appendingPathComponent("pred.nii.gz"))
        let out = dir.appendingPathComponent("eval")
        let r = try CommandRunner.run(["evaluate", "--pred", dir.appendingPathComponent("pred.nii.gz").path,
                                       "--ref", dir.appendingPathComponent("ref.nii.gz").path,
                                       "--data-range", "4095", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try Self.readJSON(out.appendingPathComponent("summary.json"))
        let psnr = try ImageMetrics.psnr(ref, pred, dataRange: 4095)
        let ssim = try SSIM.mean(ref, pred, dataRange: 4095)
        let mae = try ImageMetrics.mae(ref, pred)
        #expect(Approx.isClose(Self.summaryValue(json, column: "psnr_db")!, psnr, rtol: 1e-12))
        #expect(Approx.isClose(Self.summaryValue(json, column: "ssim")!, ssim, rtol: 1e-12))
        #expect(Approx.isClose(Self.summaryValue(json, column: "mae")!, mae, rtol: 1e-12))
        let csv = try String(contentsOf: out.appendingPathComponent("per_case.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("case_id,psnr_db,ssim,ms_ssim,mae,rmse,ncc\nref,"))
        #expect(r.stdout.contains("psnr_db") && r.stdout.contains("95% CI"))
    }

    @Test func identicalImagesGiveInfinitePSNRWithoutACrash() throws {
        let dir = try Fixtures.temporaryFolder("eval-identical")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ref, _) = Self.pair()
        let file = dir.appendingPathComponent("ref.nii")
        try NIfTIFile.write(ref, to: file)
        let out = dir.appendingPathComponent("eval")
        let r = try CommandRunner.run(["evaluate", "--pred", file.path, "--ref", file.path, "--data-range", "4095", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let csv = try String(contentsOf: out.appendingPathComponent("per_case.csv"), encoding: .utf8)
        let fields = csv.split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        #expect(fields[1] == "inf" && fields[2] == "1")
    }

    @Test func foldersArePairedByCaseIDAndSummarised() throws {
        let dir = try Fixtures.temporaryFolder("eval-folders")
        defer { try? FileManager.default.removeItem(at: dir) }
        let preds = dir.appendingPathComponent("pred"), refs = dir.appendingPathComponent("ref")
        try FileManager.default.createDirectory(at: preds, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        var maes: [Double] = []
        for (n, shift) in [10, 20, 40].enumerated() {
            let (ref, pred) = Self.pair(shift: Float(shift))
            try NIfTIFile.write(ref, to: refs.appendingPathComponent("case\(n).nii.gz"))
            try NIfTIFile.write(pred, to: preds.appendingPathComponent("case\(n).nii.gz"))
            maes.append(try ImageMetrics.mae(ref, pred))
        }
        let out = dir.appendingPathComponent("eval")
        let r = try CommandRunner.run(["evaluate", "--pred", preds.path, "--ref", refs.path, "--data-range", "4095", "--out", out.path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["cases"] as? Int == 3)
        let expected = SampleSummary(maes)
        let row = (json["summary"] as! [[String: Any]]).first { $0["column"] as? String == "mae" }!["summary"] as! [String: Any]
        #expect(Approx.isClose(row["mean"] as! Double, expected.mean, rtol: 1e-12))
        #expect(Approx.isClose(row["ciLower"] as! Double, expected.ciLower, rtol: 1e-12))
        #expect(Approx.isClose(row["median"] as! Double, expected.median, rtol: 1e-12))

        // A reference case without a prediction is an error naming it.
        try NIfTIFile.write(Self.pair().0, to: refs.appendingPathComponent("extra.nii.gz"))
        let missing = try CommandRunner.run(["evaluate", "--pred", preds.path, "--ref", refs.path, "--data-range", "1", "--out", out.path])
        #expect(missing.status == 1 && missing.stderr.contains("extra"), "\(missing.stderr)")
    }

    @Test func differentGeometryIsRefusedSayingHow() throws {
        let dir = try Fixtures.temporaryFolder("eval-geometry")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ref, pred) = Self.pair()
        try NIfTIFile.write(ref, to: dir.appendingPathComponent("ref.nii"))
        var resampled = pred
        resampled.affine = Affine(spacingMM: SIMD3(1.0, 0.8, 2.0))
        try NIfTIFile.write(resampled, to: dir.appendingPathComponent("spacing.nii"))
        let (small, _) = Self.pair(shape: VolumeShape(depth: 12, height: 20, width: 20))
        try NIfTIFile.write(small, to: dir.appendingPathComponent("shape.nii"))
        for (name, phrase) in [("spacing.nii", "voxel spacing"), ("shape.nii", "shape 12x20x20 differs")] {
            let r = try CommandRunner.run(["evaluate", "--pred", dir.appendingPathComponent(name).path,
                                           "--ref", dir.appendingPathComponent("ref.nii").path, "--data-range", "1",
                                           "--out", dir.appendingPathComponent("eval").path])
            #expect(r.status == 1 && r.stderr.contains(phrase) && r.stderr.contains(name), "\(r.stderr)")
        }
        let noRange = try CommandRunner.run(["evaluate", "--pred", dir.appendingPathComponent("ref.nii").path,
                                             "--ref", dir.appendingPathComponent("ref.nii").path])
        #expect(noRange.status != 0 && noRange.stderr.contains("data range"))
    }

    @Test func labelsAndSynthRADPresetOnThePhantomDataset() throws {
        let dir = try Fixtures.temporaryFolder("eval-phantom")
        defer { try? FileManager.default.removeItem(at: dir) }
        let demo = try CommandRunner.run(["sample", "--cases", "2", "--shape", "16", "32", "32", "--out", dir.path])
        #expect(demo.status == 0, "\(demo.stderr)")
        let h5 = dir.appendingPathComponent("phantom.h5").path
        // The same HDF5 file as prediction and reference: perfect scores, cases matched by /cases/<id>.
        let seg = try CommandRunner.run(["evaluate", "--pred", h5, "--ref", h5, "--modality", "label", "--labels",
                                         "--label-list", "7,8", "--out", dir.appendingPathComponent("seg").path, "--json"])
        #expect(seg.status == 0, "\(seg.stderr)")
        let segJSON = try JSONSerialization.jsonObject(with: Data(seg.stdout.utf8)) as! [String: Any]
        #expect(segJSON["cases"] as? Int == 2)
        #expect(Self.summaryValue(segJSON, column: "dice", label: 7) == 1)
        #expect(Self.summaryValue(segJSON, column: "hd95_mm", label: 8) == 0)

        // SynthRAD 2023 on CT with the label map as body mask (non-zero = inside the head).
        let ct = try CommandRunner.run(["evaluate", "--pred", h5, "--ref", h5, "--modality", "CT", "--mask", h5,
                                        "--preset", "synthrad2023", "--out", dir.appendingPathComponent("ct").path, "--json"])
        #expect(ct.status == 0, "\(ct.stderr)")
        let ctJSON = try JSONSerialization.jsonObject(with: Data(ct.stdout.utf8)) as! [String: Any]
        #expect(Self.summaryValue(ctJSON, column: "mae_hu") == 0)
        #expect(Self.summaryValue(ctJSON, column: "ssim") == 1)

        let ambiguous = try CommandRunner.run(["evaluate", "--pred", h5, "--ref", h5, "--data-range", "1",
                                               "--out", dir.appendingPathComponent("x").path])
        #expect(ambiguous.status == 1 && ambiguous.stderr.contains("--modality"), "\(ambiguous.stderr)")
    }
}

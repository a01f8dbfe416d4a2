import ArgumentParser
import Foundation
import MedCore
import MedIO
import MedMetrics

/// `medsynth evaluate`: synthesis quality (PSNR, SSIM, MS-SSIM, MAE, RMSE, NCC), SynthRAD presets, or
/// segmentation overlap (Dice, IoU, HD95, ASSD) over one case or many, with a summary.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare predictions with references: image similarity, SynthRAD presets, or label overlap.",
        discussion: """
        --pred and --ref are single files (PNG, NIfTI), folders of such files (cases matched by file name without extension), or MedSynth HDF5 files (cases matched by /cases/<id>; choose the dataset with --modality). Images must share shape, spacing and orientation.

        SSIM follows scikit-image's structural_similarity: default 7x7 uniform window with sample covariance (--ssim-mode skimage), or Wang et al. 2004 (--ssim-mode wang2004: Gaussian sigma 1.5, 11 taps, population covariance). HD95 follows MONAI (larger of the two directed 95th percentiles). Writes OUT/per_case.csv and OUT/summary.json (mean, std, median, 95% CI per metric).

        Examples: two one-case sample sets (different seeds) compared, then a trained CT → T1 translator scored on new phantom cases:
          medsynth sample --cases 1 --out Outputs/sample-a
          medsynth sample --cases 1 --seed 7 --out Outputs/sample-b
          medsynth evaluate --pred Outputs/sample-b/case000_CT.nii.gz --ref Outputs/sample-a/case000_CT.nii.gz --mask Outputs/sample-a/case000_labels.nii.gz --preset synthrad2023
          medsynth evaluate --pred Outputs/sample-b/phantom.h5 --ref Outputs/sample-a/phantom.h5 --modality T1 --data-range 1000 --ssim-mode wang2004
          medsynth evaluate --pred Outputs/sample-b/phantom.h5 --ref Outputs/sample-a/phantom.h5 --modality label --labels --label-list 7,8,9 --json
          medsynth train --config Configs/cyclegan-ct2t1.yaml
          medsynth phantom --cases 2 --shape 32 64 64 --seed 2 --out Outputs/small.h5
          medsynth translate --checkpoint Outputs/cyclegan-ct2t1/checkpoints/best.h5 --in Outputs/small.h5 --out Outputs/small_T1_translated.h5
          medsynth evaluate --pred Outputs/small_T1_translated.h5 --ref Outputs/small.h5 --modality T1 --data-range 1000 --out Outputs/evaluate-translation
        """
    )

    @Option(help: "Predicted / synthetic image(s): file, folder or HDF5 dataset file.")
    var pred: String

    @Option(help: "Reference image(s), same form as --pred.")
    var ref: String

    @Option(help: "Evaluation mask(s): non-zero voxels count (body mask for SynthRAD).")
    var mask: String?

    @Option(help: "Data range R of the images (e.g. 4024 for CT in [-1024, 3000] HU); required for image metrics.")
    var dataRange: Double?

    @Option(help: "A preset instead of --data-range: synthrad2023 or synthrad2025 (CT in HU).")
    var preset: String?

    @Flag(help: "Segmentation mode: Dice, IoU, HD95, Hausdorff, ASSD per label.")
    var labels = false

    @Option(help: "Only these labels (comma-separated), with --labels.")
    var labelList: String?

    @Option(help: "SSIM mode: skimage (default) or wang2004.")
    var ssimMode: String = "skimage"

    @Option(help: "HDF5 inputs: the dataset name under each case (CT, T1, T2, FLAIR, PET, label).")
    var modality: String?

    @Option(help: "HDF5 mask input: the dataset name under each case (default: label).")
    var maskModality: String = "label"

    @Option(help: "Folder for per_case.csv and summary.json.")
    var out: String = "Outputs/evaluate"

    @Flag(help: "Print the summary as JSON instead of a table.")
    var json = false

    func validate() throws {
        let modes = [dataRange != nil, preset != nil, labels].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("give exactly one of --data-range R, --preset NAME or --labels (got \(modes)); image metrics need an explicit data range, as scikit-image does for float data")
        }
        if let dataRange, !(dataRange > 0 && dataRange.isFinite) {
            throw ValidationError("--data-range must be positive and finite, got \(dataRange)")
        }
        if let preset, !["synthrad2023", "synthrad2025"].contains(preset) {
            throw ValidationError("--preset '\(preset)' is not one of synthrad2023, synthrad2025")
        }
        if !["skimage", "wang2004"].contains(ssimMode) {
            throw ValidationError("--ssim-mode '\(ssimMode)' is not one of skimage, wang2004")
        }
        if labelList != nil && !labels { throw ValidationError("--label-list needs --labels") }
        if let labelList, parsedLabels(labelList) == nil {
            throw ValidationError("--label-list '\(labelList)' must be comma-separated positive integers, e.g. 1,2,4")
        }
    }

    private func parsedLabels(_ s: String) -> [Int]? {
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let mode: Evaluator.Mode
        if let dataRange {
            mode = .image(dataRange: dataRange, ssim: ssimMode == "wang2004" ? .wang2004 : .scikitImageDefault)
        } else if let preset {
            mode = .synthrad(preset == "synthrad2023" ? .synthrad2023 : .synthrad2025)
        } else {
            mode = .labels(labelList.flatMap(parsedLabels))
        }
        let evaluator = Evaluator(mode: mode)
        let predictions = try CaseCollection(URL(fileURLWithPath: pred), modality: modality)
        let references = try CaseCollection(URL(fileURLWithPath: ref), modality: modality)
        let masks = try mask.map { try CaseCollection(URL(fileURLWithPath: $0), modality: maskModality) }
        let pairs = try matchCases(predictions, references)

        var rows: [Evaluator.Row] = []
        var notes: [String] = []
        for (n, (p, r)) in pairs.enumerated() {
            let pv = try predictions.load(p).volume, rv = try references.load(r).volume
            notes += try GeometryCheck.requireComparable(pv, CaseCollection.describe(p), rv, CaseCollection.describe(r))
                .map { "\(p.caseID): \($0)" }
            var mv: Volume? = nil
            if let masks {
                let entry = masks.entries.count == 1 ? masks.entries[0] : masks.entries.first { $0.caseID == r.caseID }
                guard let entry else {
                    throw MedSynthError(.notFound, masks.source, "no mask for case '\(r.caseID)'")
                }
                let m = try masks.load(entry).volume
                try GeometryCheck.requireComparable(m, CaseCollection.describe(entry), rv, CaseCollection.describe(r))
                mv = m
            }
            rows += try evaluator.score(caseID: r.caseID, prediction: pv, reference: rv, mask: mv)
            if !json && pairs.count > 1 {
                FileHandle.standardError.write(Data("evaluated \(r.caseID) (\(n + 1)/\(pairs.count))\n".utf8))
            }
        }
        let summary = evaluator.summarize(rows)
        let folder = URL(fileURLWithPath: out)
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw MedSynthError(.writeFailed, out, "cannot create the output folder: \(error.localizedDescription)")
        }
        let report = EvaluateReport(prediction: pred, reference: ref, mask: mask, mode: modeName, cases: pairs.count,
                                    columns: evaluator.columns, summary: summary, notes: notes)
        try AtomicFile.write(Data(evaluator.csv(rows).utf8), to: folder.appendingPathComponent("per_case.csv"))
        try AtomicFile.write(try PrettyJSON.data(report), to: folder.appendingPathComponent("summary.json"))
        if json {
            print(try PrettyJSON.string(report))
            return
        }
        printTable(summary, cases: pairs.count)
        notes.forEach { print("note: \($0)") }
        print("wrote \(folder.appendingPathComponent("per_case.csv").path) and summary.json")
    }

    private var modeName: String {
        if let dataRange { return "image (data range \(dataRange), SSIM \(ssimMode))" }
        if let preset { return preset }
        return "labels"
    }

    /// Pairs predictions with references by case id; a single file on each side is one pair.
    private func matchCases(_ p: CaseCollection, _ r: CaseCollection) throws -> [(CaseCollection.Entry, CaseCollection.Entry)] {
        if p.entries.count == 1 && r.entries.count == 1 { return [(p.entries[0], r.entries[0])] }
        let byID = Dictionary(uniqueKeysWithValues: p.entries.map { ($0.caseID, $0) })
        let pairs = r.entries.compactMap { e in byID[e.caseID].map { ($0, e) } }
        let missing = r.entries.map(\.caseID).filter { byID[$0] == nil }
        if !missing.isEmpty {
            throw MedSynthError(.mismatch, p.source, "no prediction for \(missing.count) reference case(s): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
        }
        return pairs
    }

    private func printTable(_ summary: [Evaluator.ColumnSummary], cases: Int) {
        print("\(cases) case(s), mode \(modeName)")
        print("metric".padding(toLength: 22, withPad: " ", startingAt: 0) + "      mean       std    median   95% CI")
        for s in summary {
            let name = s.label.map { "label \($0) \(s.column)" } ?? s.column
            let v = s.summary
            func f(_ x: Double) -> String { x.isNaN ? "       n/a" : String(format: "%10.4f", x) }
            var line = name.padding(toLength: 22, withPad: " ", startingAt: 0) + f(v.mean) + f(v.std) + f(v.median)
            line += v.ciLower.isNaN ? "   n/a" : String(format: "   [%.4f, %.4f]", v.ciLower, v.ciUpper)
            if s.undefinedCount > 0 { line += "  (\(s.undefinedCount) not defined\(s.infiniteCount > 0 ? ", \(s.infiniteCount) infinite" : ""))" }
            print(line)
        }
    }
}

/// The JSON summary of an evaluation (`summary.json`).
struct EvaluateReport: Encodable {
    var prediction: String
    var reference: String
    var mask: String?
    var mode: String
    var cases: Int
    var columns: [String]
    var summary: [Evaluator.ColumnSummary]
    var notes: [String]
}

import Foundation
import MedCore
import MedIO

/// Scores prediction/reference pairs case by case, as `medsynth evaluate` does, and summarises the scores.
///
/// Columns by mode:
/// - `.image`: `psnr_db`, `ssim`, `ms_ssim`, `mae`, `rmse`, `ncc` — inside the mask when one is given (SSIM:
///   the SSIM map averaged over mask voxels of the cropped interior). MS-SSIM is reported as not defined
///   (empty) for images with an extent below `MSSSIM.minimumExtent`, and when a mask is given (the masked
///   MS-SSIM of the `synthrad2025` preset is the masked variant).
/// - `.synthrad`: `mae_hu`, `psnr_db`, and `ssim` (2023) or `ms_ssim` (2025), as the challenge computes them.
/// - `.labels`: one row per label: `dice`, `iou`, `hd95_mm`, `hausdorff_mm`, `assd_mm` (distances empty when
///   not defined: a label absent from one of the maps).
public struct Evaluator: Sendable {
    /// What is computed.
    public enum Mode: Sendable {
        /// Image similarity with an explicit data range.
        case image(dataRange: Double, ssim: SSIMOptions)
        /// A SynthRAD challenge preset (CT in HU; the mask is the body mask).
        case synthrad(SynthRADPreset)
        /// Segmentation overlap and surface distances per label (nil: every label present).
        case labels([Int]?)
    }

    /// One row of scores: a case, or a case and a label.
    public struct Row: Codable, Sendable, Equatable {
        /// The case id.
        public var caseID: String
        /// The label, in `.labels` mode.
        public var label: Int?
        /// One value per column; nil when not defined for this case.
        public var values: [Double?]
    }

    /// The summary of one column (and label) over all cases.
    public struct ColumnSummary: Codable, Sendable {
        /// Column name.
        public var column: String
        /// The label, in `.labels` mode.
        public var label: Int?
        /// Statistics over the finite values.
        public var summary: SampleSummary
        /// Cases where the value was not defined (empty) or infinite (PSNR of identical images).
        public var undefinedCount: Int
        /// Cases with an infinite value.
        public var infiniteCount: Int
    }

    /// The mode.
    public let mode: Mode

    /// Creates an evaluator.
    public init(mode: Mode) { self.mode = mode }

    /// The column names for this mode.
    public var columns: [String] {
        switch mode {
        case .image: return ["psnr_db", "ssim", "ms_ssim", "mae", "rmse", "ncc"]
        case .synthrad(let p):
            return ["mae_hu", "psnr_db", p.structuralIndex == .maskedSSIM ? "ssim" : "ms_ssim"]
        case .labels: return ["dice", "iou", "hd95_mm", "hausdorff_mm", "assd_mm"]
        }
    }

    /// Scores one case.
    /// - Parameters:
    ///   - caseID: the case's name.
    ///   - prediction: the synthetic / predicted volume.
    ///   - reference: the ground truth, same grid.
    ///   - mask: optional evaluation mask (non-zero voxels count), same grid.
    /// - Returns: one row (image and SynthRAD modes) or one per label.
    /// - Throws: `MedSynthError` from the metrics (shape mismatch, empty mask, too small for SSIM).
    public func score(caseID: String, prediction: Volume, reference: Volume, mask: Volume?) throws -> [Row] {
        switch mode {
        case .image(let range, let options):
            let m = mask.map { VoxelMask($0) }
            let ssim = try SSIM.compute(reference, prediction, dataRange: range, options: options, mask: m)
            var msssim: Double? = nil
            if reference.shape.height >= MSSSIM.minimumExtent, reference.shape.width >= MSSSIM.minimumExtent,
               reference.shape.depth == 1 || reference.shape.depth >= MSSSIM.minimumExtent, mask == nil {
                msssim = try MSSSIM.compute(reference, prediction, dataRange: range)
            }
            let mse = try ImageMetrics.mse(reference, prediction, mask: m)
            return [Row(caseID: caseID, label: nil, values: [
                ImageMetrics.psnr(mse: mse, dataRange: range),
                m == nil ? ssim.mean : ssim.maskedMean,
                msssim,
                try ImageMetrics.mae(reference, prediction, mask: m),
                mse.squareRoot(),
                try ImageMetrics.normalizedCrossCorrelation(reference, prediction, mask: m),
            ])]
        case .synthrad(let preset):
            let body = mask ?? Volume(shape: reference.shape, filledWith: 1, affine: reference.affine)
            let s = try preset.evaluate(realCT: reference, syntheticCT: prediction, bodyMask: body)
            return [Row(caseID: caseID, label: nil, values: [s.maeHU, s.psnrDB, s.ssim ?? s.msSSIM])]
        case .labels(let labels):
            return try SegmentationMetrics.evaluate(reference: reference, prediction: prediction, labels: labels).map {
                Row(caseID: caseID, label: $0.label, values: [$0.dice, $0.iou, $0.hd95MM, $0.hausdorffMM, $0.assdMM])
            }
        }
    }

    /// Summarises rows column by column (and label by label in `.labels` mode) over the finite values.
    public func summarize(_ rows: [Row]) -> [ColumnSummary] {
        let labels = Array(Set(rows.map { $0.label ?? -1 })).sorted()
        var out: [ColumnSummary] = []
        for label in labels {
            let group = rows.filter { ($0.label ?? -1) == label }
            for (c, name) in columns.enumerated() {
                let values = group.map { $0.values[c] }
                let finite = values.compactMap { $0 }.filter(\.isFinite)
                let infinite = values.compactMap { $0 }.filter(\.isInfinite).count
                out.append(ColumnSummary(column: name, label: label < 0 ? nil : label, summary: SampleSummary(finite),
                                         undefinedCount: values.count - finite.count, infiniteCount: infinite))
            }
        }
        return out
    }

    /// The rows as CSV: `case_id[,label],<columns>`; empty fields for values that are not defined, `inf` for
    /// infinite ones; numbers with 10 significant digits.
    public func csv(_ rows: [Row]) -> String {
        let hasLabel: Bool = { if case .labels = mode { return true } else { return false } }()
        var lines = [(["case_id"] + (hasLabel ? ["label"] : []) + columns).joined(separator: ",")]
        for r in rows {
            var fields = [Evaluator.csvField(r.caseID)]
            if hasLabel { fields.append(r.label.map(String.init) ?? "") }
            fields += r.values.map { v in
                guard let v else { return "" }
                if v.isInfinite { return v > 0 ? "inf" : "-inf" }
                return String(format: "%.10g", v)
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

import Foundation

/// A training run's `report.html`: loss curves and validation metrics as inline SVG, the metric table, sample
/// grids embedded as PNG data, and the resolved configuration — one file that opens in a browser with no server.
public struct RunReport {
    /// One row of the loss log: the step and each loss by name.
    public struct LossRow {
        public var step: Int
        public var losses: [String: Double]
        public init(step: Int, losses: [String: Double]) {
            self.step = step
            self.losses = losses
        }
    }

    /// One validation: the step and each metric by name (e.g. "PSNR dB", "SSIM", "MAE HU").
    public struct MetricRow {
        public var step: Int
        public var metrics: [String: Double]
        public init(step: Int, metrics: [String: Double]) {
            self.step = step
            self.metrics = metrics
        }
    }

    /// A picture to show: its caption and PNG bytes.
    public struct Figure {
        public var caption: String
        public var png: Data
        public init(caption: String, png: Data) {
            self.caption = caption
            self.png = png
        }
    }

    public var title: String
    /// Lines of the summary at the top (what was trained, on what, for how long, the best checkpoint).
    public var summary: [String]
    public var lossNames: [String]
    public var losses: [LossRow]
    public var metricNames: [String]
    public var metrics: [MetricRow]
    public var figures: [Figure]
    /// The resolved configuration (YAML).
    public var configuration: String

    public init(title: String, summary: [String], lossNames: [String], losses: [LossRow], metricNames: [String],
                metrics: [MetricRow], figures: [Figure], configuration: String) {
        self.title = title
        self.summary = summary
        self.lossNames = lossNames
        self.losses = losses
        self.metricNames = metricNames
        self.metrics = metrics
        self.figures = figures
        self.configuration = configuration
    }

    /// Averages the loss log over windows of `window` rows, so that thousands of steps draw as a readable curve.
    static func smoothed(_ rows: [LossRow], names: [String], maximumPoints: Int = 400) -> [SVGLineChart.Series] {
        let window = max(1, (rows.count + maximumPoints - 1) / maximumPoints)
        return names.map { name in
            var points: [(x: Double, y: Double)] = []
            var i = 0
            while i < rows.count {
                let chunk = rows[i..<min(rows.count, i + window)]
                let values = chunk.compactMap { $0.losses[name] }.filter(\.isFinite)
                if !values.isEmpty {
                    points.append((Double(chunk.last!.step), values.reduce(0, +) / Double(values.count)))
                }
                i += window
            }
            return SVGLineChart.Series(name: name, points: points)
        }
    }

    /// The whole page.
    public func html() -> String {
        let e = SVGLineChart.escape
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(e(title))</title>
        <style>
        body { font-family: sans-serif; margin: 24px; max-width: 1100px; color: #222; }
        table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
        th { background: #f4f4f4; } figure { display: inline-block; margin: 8px 16px 8px 0; } figcaption { font-size: 12px; color: #555; }
        img { image-rendering: pixelated; max-width: 100%; border: 1px solid #ddd; } pre { background: #f7f7f7; padding: 8px; overflow-x: auto; font-size: 12px; }
        </style></head><body>
        <h1>\(e(title))</h1>

        """
        page += "<ul>" + summary.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n"
        page += "<h2>Losses</h2>\n"
        page += SVGLineChart(title: "Training losses", xLabel: "step", yLabel: "loss",
                             series: Self.smoothed(losses, names: lossNames), logarithmic: true).render() + "\n"
        page += "<h2>Validation</h2>\n"
        if metrics.isEmpty {
            page += "<p>No validation yet.</p>\n"
        } else {
            for name in metricNames {
                let series = SVGLineChart.Series(name: name, points: metrics.compactMap { row in
                    row.metrics[name].map { (Double(row.step), $0) }
                })
                page += SVGLineChart(title: name, xLabel: "step", yLabel: name, series: [series]).render() + "\n"
            }
            page += "<table><tr><th>step</th>" + metricNames.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
            for row in metrics {
                page += "<tr><td>\(row.step)</td>" + metricNames.map { name in
                    "<td>\(row.metrics[name].map { String(format: "%.4f", $0) } ?? "")</td>"
                }.joined() + "</tr>\n"
            }
            page += "</table>\n"
        }
        if !figures.isEmpty {
            page += "<h2>Samples</h2>\n"
            for f in figures {
                page += "<figure><img alt=\"\(e(f.caption))\" src=\"data:image/png;base64,\(f.png.base64EncodedString())\">"
                    + "<figcaption>\(e(f.caption))</figcaption></figure>\n"
            }
        }
        page += "<h2>Configuration</h2>\n<pre>\(e(configuration))</pre>\n</body></html>\n"
        return page
    }
}

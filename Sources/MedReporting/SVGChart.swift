import Foundation

/// Line charts as inline SVG (no scripts, no external files), for run reports that open in any browser.
public struct SVGLineChart {
    /// One named series of (x, y) points, optionally with an interval per point (drawn as an error bar).
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Per point, the interval around it (a 95% CI), index-aligned with `points`; empty: no bars.
        public var intervals: [(lower: Double, upper: Double)]
        public init(name: String, points: [(x: Double, y: Double)], intervals: [(lower: Double, upper: Double)] = []) {
            precondition(intervals.isEmpty || intervals.count == points.count, "\(intervals.count) intervals for \(points.count) points")
            self.name = name
            self.points = points
            self.intervals = intervals
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 640.0
    public var height = 300.0
    /// Plot y on a log10 axis (losses spanning decades); non-positive values are left out.
    public var logarithmic = false
    /// Plot x on a log2 axis (cohort sizes 2, 4, 8, 16 evenly spaced), ticks at the data's x values; x must be > 0.
    public var logarithmicX = false
    /// A fixed y range (Dice: 0...1); nil fits the data.
    public var yRange: ClosedRange<Double>? = nil
    /// Dot every point (sparse series such as a learning curve).
    public var markers = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logarithmic: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logarithmic = logarithmic
    }

    /// Colour-blind-safe palette (Okabe–Ito).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    /// The chart as an `<svg>` element.
    public func render() -> String {
        let (left, right, top, bottom) = (60.0, 150.0, 28.0, 40.0)
        let plotW = width - left - right, plotH = height - top - bottom
        let transform: (Double) -> Double? = { y in
            guard y.isFinite else { return nil }
            if logarithmic { return y > 0 ? log10(y) : nil }
            return y
        }
        let xOf: (Double) -> Double? = { x in
            guard x.isFinite else { return nil }
            if logarithmicX { return x > 0 ? log2(x) : nil }
            return x
        }
        var all = series.flatMap { $0.points }.compactMap { p in transform(p.y).flatMap { y in xOf(p.x).map { ($0, y) } } }
        for s in series {
            for (p, i) in zip(s.points, s.intervals) {
                guard let x = xOf(p.x) else { continue }
                for v in [i.lower, i.upper] { if let y = transform(v) { all.append((x, y)) } }
            }
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"\(Int(left))\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(Self.escape(title))</text>"
        guard let xMin = all.map(\.0).min(), let xMax = all.map(\.0).max(),
              let yMin0 = all.map(\.1).min(), let yMax0 = all.map(\.1).max() else {
            return svg + "<text x=\"\(Int(left))\" y=\"\(Int(top + plotH / 2))\">no data yet</text></svg>"
        }
        var (yMin, yMax) = yMin0 == yMax0 ? (yMin0 - 1, yMax0 + 1) : (yMin0, yMax0)
        if let yRange, !logarithmic { (yMin, yMax) = (yRange.lowerBound, yRange.upperBound) }
        let xSpan = xMax == xMin ? 1 : xMax - xMin
        func px(_ x: Double) -> Double { left + (x - xMin) / xSpan * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#999\"/>"
        for i in 0...4 {
            let v = yMin + (yMax - yMin) * Double(i) / 4
            let label = logarithmic ? Self.format(pow(10, v)) : Self.format(v)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(py(v))\" y2=\"\(py(v))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(label)</text>"
            if !logarithmicX {
                let xv = xMin + xSpan * Double(i) / 4
                svg += "<text x=\"\(px(xv))\" y=\"\(top + plotH + 14)\" text-anchor=\"middle\">\(Self.format(xv))</text>"
            }
        }
        if logarithmicX {
            for x in Set(series.flatMap { $0.points.map(\.x) }).sorted() where x > 0 && x.isFinite {
                svg += "<text x=\"\(px(log2(x)))\" y=\"\(top + plotH + 14)\" text-anchor=\"middle\">\(Self.format(x))</text>"
            }
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>"
        svg += "<text transform=\"translate(12 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">"
            + "\(Self.escape(yLabel + (logarithmic ? " (log)" : "")))</text>"
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let pts = s.points.compactMap { p in
                transform(p.y).flatMap { y in xOf(p.x).map { String(format: "%.1f,%.1f", px($0), py(min(max(y, yMin), yMax))) } }
            }
            // Error bars, nudged sideways per series so that overlapping ones stay readable.
            let nudge = (Double(i) - Double(series.count - 1) / 2) * 3
            for (p, iv) in zip(s.points, s.intervals) {
                guard let x = xOf(p.x), let lo = transform(iv.lower), let hi = transform(iv.upper) else { continue }
                let (cx, y0, y1) = (px(x) + nudge, py(min(max(lo, yMin), yMax)), py(min(max(hi, yMin), yMax)))
                svg += String(format: "<path d=\"M%.1f,%.1fV%.1fM%.1f,%.1fH%.1fM%.1f,%.1fH%.1f\" ", cx, y0, y1, cx - 3, y0, cx + 3, cx - 3, y1, cx + 3)
                    + "stroke=\"\(colour)\" stroke-width=\"1\" fill=\"none\"/>"
            }
            if markers {
                for xy in pts {
                    let c = xy.split(separator: ",")
                    svg += "<circle cx=\"\(c[0])\" cy=\"\(c[1])\" r=\"2.5\" fill=\"\(colour)\"/>"
                }
            }
            if pts.count == 1 {
                let xy = pts[0].split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(colour)\"/>"
            } else if !pts.isEmpty {
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>"
            }
            let ly = top + 12 + Double(i) * 16
            svg += "<line x1=\"\(left + plotW + 10)\" x2=\"\(left + plotW + 28)\" y1=\"\(ly - 4)\" y2=\"\(ly - 4)\" "
                + "stroke=\"\(colour)\" stroke-width=\"2\"/>"
            svg += "<text x=\"\(left + plotW + 32)\" y=\"\(ly)\">\(Self.escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    static func format(_ v: Double) -> String {
        let a = Swift.abs(v)
        if a != 0 && (a < 0.01 || a >= 100_000) { return String(format: "%.2e", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        return String(format: "%.3g", v)
    }

    /// Text made safe for HTML and SVG.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

import Foundation

/// Line charts as inline SVG (no scripts, no external files), for run reports that open in any browser.
public struct SVGLineChart {
    /// One named series of (x, y) points.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
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
        let all = series.flatMap { $0.points }.compactMap { p in transform(p.y).map { (p.x, $0) } }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"\(Int(left))\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(Self.escape(title))</text>"
        guard let xMin = all.map(\.0).min(), let xMax = all.map(\.0).max(),
              let yMin0 = all.map(\.1).min(), let yMax0 = all.map(\.1).max() else {
            return svg + "<text x=\"\(Int(left))\" y=\"\(Int(top + plotH / 2))\">no data yet</text></svg>"
        }
        let (yMin, yMax) = yMin0 == yMax0 ? (yMin0 - 1, yMax0 + 1) : (yMin0, yMax0)
        let xSpan = xMax == xMin ? 1 : xMax - xMin
        func px(_ x: Double) -> Double { left + (x - xMin) / xSpan * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#999\"/>"
        for i in 0...4 {
            let v = yMin + (yMax - yMin) * Double(i) / 4
            let label = logarithmic ? Self.format(pow(10, v)) : Self.format(v)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotW)\" y1=\"\(py(v))\" y2=\"\(py(v))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(label)</text>"
            let xv = xMin + xSpan * Double(i) / 4
            svg += "<text x=\"\(px(xv))\" y=\"\(top + plotH + 14)\" text-anchor=\"middle\">\(Self.format(xv))</text>"
        }
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>"
        svg += "<text transform=\"translate(12 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">"
            + "\(Self.escape(yLabel + (logarithmic ? " (log)" : "")))</text>"
        for (i, s) in series.enumerated() {
            let colour = Self.palette[i % Self.palette.count]
            let pts = s.points.compactMap { p in transform(p.y).map { String(format: "%.1f,%.1f", px(p.x), py($0)) } }
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

import Foundation

/// Tukey box plots of several groups (e.g. per-case Dice of each training arm) as one inline SVG element (no
/// scripts, no external files), in the style of `SVGLineChart`.
///
/// Per group, over its finite values (NaN and ±inf are left out and counted under the label):
/// - the box spans the first to the third quartile, numpy's default linear interpolation (Hyndman–Fan type 7,
///   `np.percentile(x, [25, 50, 75])`), with a line at the median;
/// - whiskers reach the most extreme values within 1.5·IQR of the box; values beyond are outliers, drawn as
///   open circles; the mean is a filled diamond;
/// - the label (wrapped onto up to three lines) and "n = …" sit under the box; a group without finite values
///   shows "no data". Hovering a group shows its numbers (an SVG `<title>`).
/// The chart widens beyond `width` so that every group gets at least 72 px.
public struct SVGBoxPlot {
    /// One named sample.
    public struct Group {
        /// The name under the box (any text; escaped when drawn).
        public var label: String
        /// The sample; non-finite values are left out of the box and counted.
        public var values: [Double]

        /// A group named `label` holding `values`.
        public init(label: String, values: [Double]) {
            self.label = label
            self.values = values
        }
    }

    /// The five numbers, mean and outliers of one group, as drawn.
    public struct Box: Equatable, Sendable {
        /// First quartile (numpy linear interpolation).
        public var q1: Double
        /// Median.
        public var median: Double
        /// Third quartile.
        public var q3: Double
        /// The smallest value ≥ q1 − 1.5·IQR.
        public var lowerWhisker: Double
        /// The largest value ≤ q3 + 1.5·IQR.
        public var upperWhisker: Double
        /// Arithmetic mean of the finite values.
        public var mean: Double
        /// Values beyond the whiskers, ascending.
        public var outliers: [Double]
        /// Number of finite values.
        public var count: Int

        /// A box from its parts.
        public init(q1: Double, median: Double, q3: Double, lowerWhisker: Double, upperWhisker: Double,
                    mean: Double, outliers: [Double], count: Int) {
            self.q1 = q1
            self.median = median
            self.q3 = q3
            self.lowerWhisker = lowerWhisker
            self.upperWhisker = upperWhisker
            self.mean = mean
            self.outliers = outliers
            self.count = count
        }
    }

    /// Title above the plot.
    public var title: String
    /// Label of the value axis.
    public var yLabel: String
    /// The groups, drawn left to right.
    public var groups: [Group]
    /// Width in px; the chart grows past it to give every group `minimumSlotWidth`.
    public var width = 640.0
    /// Height in px; it grows when the plot area would get shorter than `minimumPlotHeight`.
    public var height = 320.0
    /// A fixed value axis (e.g. 0...1 for Dice, so that charts compare at a glance); nil fits the axis to the
    /// data. Data outside a fixed range widens the axis rather than being cut off.
    public var yRange: ClosedRange<Double>?

    /// A box plot of `groups`.
    /// - Parameters:
    ///   - title: the chart's title.
    ///   - yLabel: the value axis label (with its unit, e.g. "HD95 (mm)").
    ///   - groups: the samples, left to right.
    ///   - yRange: a fixed value axis, or nil to fit the data.
    public init(title: String, yLabel: String, groups: [Group], yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.yLabel = yLabel
        self.groups = groups
        self.yRange = yRange
    }

    /// The narrowest horizontal space per group, px.
    static let minimumSlotWidth = 72.0
    /// The shortest plot area, px.
    static let minimumPlotHeight = 120.0
    /// Lines of a wrapped group label at most; the last one ends in "…" when the label is longer.
    static let maximumLabelLines = 3
    /// Mean advance of one character at font size 11, px (sans-serif; wrapping estimate).
    static let characterWidth = 6.2
    /// Spacing of the text lines under the plot, px.
    static let lineHeight = 13.0

    /// The box of `values`, or nil when none is finite.
    ///
    /// Quartiles as `np.percentile(x, [25, 50, 75])` computes them (sorted x, index h = (n − 1)·p,
    /// x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]), in numpy's order of operations); whiskers and outliers as
    /// matplotlib's `boxplot` (whis = 1.5).
    public static func box(_ values: [Double]) -> Box? {
        let x = values.filter(\.isFinite).sorted()
        guard !x.isEmpty else { return nil }
        let q1 = quantile(sorted: x, 0.25), median = quantile(sorted: x, 0.5), q3 = quantile(sorted: x, 0.75)
        let iqr = q3 - q1
        let lowFence = q1 - 1.5 * iqr, highFence = q3 + 1.5 * iqr
        let inside = x.filter { $0 >= lowFence && $0 <= highFence }
        // With linear quartiles a data value always lies in [lowFence, q1]; min/max keep the whisker off the
        // wrong side of the box should rounding ever say otherwise (matplotlib does the same).
        let lower = Swift.min(inside.first ?? q1, q1), upper = Swift.max(inside.last ?? q3, q3)
        return Box(q1: q1, median: median, q3: q3, lowerWhisker: lower, upperWhisker: upper,
                   mean: x.reduce(0, +) / Double(x.count),
                   outliers: x.filter { $0 < lowFence || $0 > highFence }, count: x.count)
    }

    /// numpy's "linear" quantile of sorted, non-empty `x` at probability `p` in [0, 1], including its two-sided
    /// interpolation (`b − (b − a)·(1 − γ)` for γ ≥ ½), so results match numpy bit for bit.
    static func quantile(sorted x: [Double], _ p: Double) -> Double {
        let h = Double(x.count - 1) * p
        guard h < Double(x.count - 1) else { return x[x.count - 1] }
        let i = Int(h.rounded(.down))
        let gamma = h - Double(i)
        let a = x[i], b = x[i + 1], diff = b - a
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma
    }

    /// The chart as an `<svg>` element.
    public func render() -> String {
        let boxes = groups.map { Self.box($0.values) }
        let undefined = groups.map { g in g.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
        let (left, right, top) = (60.0, 16.0, 44.0)
        let chartWidth = Swift.max(width, left + right + Double(groups.count) * Self.minimumSlotWidth)
        let plotW = chartWidth - left - right
        let slot = plotW / Double(Swift.max(groups.count, 1))
        let perLine = Swift.max(6, Int((slot - 8) / Self.characterWidth))
        let labels = groups.map { Self.wrap(Self.plain($0.label), perLine: perLine, maxLines: Self.maximumLabelLines) }
        let textLines = (labels.map(\.count).max() ?? 1) + 1 + (undefined.contains { $0 > 0 } ? 1 : 0)
        let bottom = 10 + Self.lineHeight * Double(textLines)
        let chartHeight = Swift.max(height, top + bottom + Self.minimumPlotHeight)
        let plotH = chartHeight - top - bottom
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(chartWidth.rounded(.up)))\" "
            + "height=\"\(Int(chartHeight.rounded(.up)))\" viewBox=\"0 0 \(f(chartWidth)) \(f(chartHeight))\" "
            + "font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<text x=\"\(f(left))\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(Self.text(title))</text>"
        guard !groups.isEmpty else {
            return svg + "<text x=\"\(f(left))\" y=\"\(f(top + plotH / 2))\">no data</text></svg>"
        }

        // Value axis: the fixed range widened to the data, or the data padded by 5% and rounded out to ticks.
        let drawn = boxes.compactMap { $0 }.flatMap { [$0.lowerWhisker, $0.upperWhisker, $0.mean] + $0.outliers }
        let dataMin = drawn.min(), dataMax = drawn.max()
        var (lo, hi) = (0.0, 1.0)
        // The ends that come from the data are rounded out to a tick; a fixed range's own ends are kept.
        var (roundLo, roundHi) = (true, true)
        if let r = yRange {
            lo = Swift.min(r.lowerBound, dataMin ?? r.lowerBound)
            hi = Swift.max(r.upperBound, dataMax ?? r.upperBound)
            (roundLo, roundHi) = (lo < r.lowerBound, hi > r.upperBound)
        } else if let dataMin, let dataMax {
            let pad = dataMax > dataMin ? 0.05 * (dataMax - dataMin) : Swift.max(0.05 * Swift.abs(dataMin), 0.5)
            // The padding does not cross zero: non-negative data (distances, overlaps) keep 0 as the floor.
            (lo, hi) = (dataMin >= 0 ? Swift.max(0, dataMin - pad) : dataMin - pad,
                        dataMax <= 0 ? Swift.min(0, dataMax + pad) : dataMax + pad)
        }
        if !(hi > lo) { hi = lo + 1 }
        let step = Self.tickStep(lo, hi)
        if let step {
            let (outLo, outHi) = ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
            if roundLo && outLo.isFinite { lo = outLo }
            if roundHi && outHi.isFinite { hi = outHi }
        }
        let span = hi - lo
        func py(_ v: Double) -> Double { top + (1 - (v - lo) / span) * plotH }

        svg += "<g transform=\"translate(\(f(left)) 32)\" fill=\"#333\">"
            + "<polygon points=\"0,-4 4,0 0,4 -4,0\"/><text x=\"8\" y=\"4\">mean</text>"
            + "<circle cx=\"52\" cy=\"0\" r=\"2.5\" fill=\"none\" stroke=\"#333\"/>"
            + "<text x=\"58\" y=\"4\">outlier (beyond 1.5 IQR from the box)</text></g>"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#999\"/>"
        for v in step.map({ Self.ticks(lo, hi, step: $0) }) ?? [] {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py(v)))\" y2=\"\(f(py(v)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\">\(SVGLineChart.format(v))</text>"
        }
        svg += "<text transform=\"translate(12 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(Self.text(yLabel))</text>"

        for (i, group) in groups.enumerated() {
            let colour = SVGLineChart.palette[i % SVGLineChart.palette.count]
            let cx = left + slot * (Double(i) + 0.5)
            svg += "<g><title>\(Self.text(Self.summary(group.label, boxes[i], undefined: undefined[i])))</title>"
            if let b = boxes[i] {
                let boxW = Swift.min(slot * 0.5, 60), cap = boxW / 4
                for (end, whisker) in [(b.q3, b.upperWhisker), (b.q1, b.lowerWhisker)] {
                    svg += "<line x1=\"\(f(cx))\" x2=\"\(f(cx))\" y1=\"\(f(py(end)))\" y2=\"\(f(py(whisker)))\" stroke=\"#555\"/>"
                    svg += "<line x1=\"\(f(cx - cap))\" x2=\"\(f(cx + cap))\" y1=\"\(f(py(whisker)))\" y2=\"\(f(py(whisker)))\" stroke=\"#555\"/>"
                }
                svg += "<rect x=\"\(f(cx - boxW / 2))\" y=\"\(f(py(b.q3)))\" width=\"\(f(boxW))\" "
                    + "height=\"\(f(py(b.q1) - py(b.q3)))\" fill=\"\(colour)\" fill-opacity=\"0.25\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
                svg += "<line x1=\"\(f(cx - boxW / 2))\" x2=\"\(f(cx + boxW / 2))\" y1=\"\(f(py(b.median)))\" "
                    + "y2=\"\(f(py(b.median)))\" stroke=\"\(colour)\" stroke-width=\"2.5\"/>"
                for o in b.outliers {
                    svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(py(o)))\" r=\"2.5\" fill=\"none\" stroke=\"\(colour)\"/>"
                }
                let my = py(b.mean)
                svg += "<polygon points=\"\(f(cx)),\(f(my - 4)) \(f(cx + 4)),\(f(my)) \(f(cx)),\(f(my + 4)) \(f(cx - 4)),\(f(my))\" fill=\"#333\"/>"
            } else {
                svg += "<text x=\"\(f(cx))\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" fill=\"#777\">no data</text>"
            }
            var y = top + plotH + 14
            for line in labels[i] {
                svg += "<text x=\"\(f(cx))\" y=\"\(f(y))\" text-anchor=\"middle\">\(SVGLineChart.escape(line))</text>"
                y += Self.lineHeight
            }
            svg += "<text x=\"\(f(cx))\" y=\"\(f(y))\" text-anchor=\"middle\" fill=\"#555\">n = \(boxes[i]?.count ?? 0)</text>"
            if undefined[i] > 0 {
                y += Self.lineHeight
                svg += "<text x=\"\(f(cx))\" y=\"\(f(y))\" text-anchor=\"middle\" fill=\"#555\">\(undefined[i]) undefined</text>"
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// The hover text of one group: its numbers in words.
    static func summary(_ label: String, _ box: Box?, undefined: Int) -> String {
        let format = SVGLineChart.format
        var s = "\(label): "
        if let b = box {
            s += "n = \(b.count), median \(format(b.median)), quartiles \(format(b.q1)) to \(format(b.q3)), "
                + "whiskers \(format(b.lowerWhisker)) to \(format(b.upperWhisker)), mean \(format(b.mean)), "
                + "\(b.outliers.count) outlier\(b.outliers.count == 1 ? "" : "s")"
        } else {
            s += "no data"
        }
        return undefined > 0 ? s + ", \(undefined) undefined value\(undefined == 1 ? "" : "s") left out" : s
    }

    /// A 1-2-5 step giving about five ticks across [lo, hi]; nil for an empty or non-finite range.
    static func tickStep(_ lo: Double, _ hi: Double) -> Double? {
        let raw = (hi - lo) / 5
        guard raw.isFinite, raw > 0 else { return nil }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let n = raw / magnitude
        let step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * magnitude
        return step.isFinite && step > 0 ? step : nil
    }

    /// The multiples of `step` within [lo, hi] (with a tolerance of 10⁻⁹ steps at both ends).
    static func ticks(_ lo: Double, _ hi: Double, step: Double) -> [Double] {
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        guard first.isFinite, last.isFinite, last >= first, last - first <= 50 else { return [] }
        // k · step rather than a running sum, so that 0.6 prints as 0.6; + 0 drops the sign of −0.
        return stride(from: first, through: last, by: 1).map { $0 * step + 0 }
    }

    /// Splits `text` into at most `maxLines` lines of at most `perLine` characters, at spaces where it can and
    /// inside words longer than a line; the last line ends in "…" when text is left over.
    static func wrap(_ text: String, perLine: Int, maxLines: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            var rest = Substring(word)
            if !current.isEmpty && current.count + 1 + rest.count <= perLine {
                current += " " + String(rest)
                continue
            }
            if !current.isEmpty { lines.append(current); current = "" }
            while rest.count > perLine {
                lines.append(String(rest.prefix(perLine)))
                rest = rest.dropFirst(perLine)
            }
            current = String(rest)
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        guard lines.count > maxLines else { return lines }
        let rest = lines[(maxLines - 1)...].joined(separator: " ")
        return Array(lines.prefix(maxLines - 1)) + [String(rest.prefix(Swift.max(perLine - 1, 1))) + "…"]
    }

    /// `text` with the characters XML 1.0 cannot hold (C0 controls other than tab and line breaks, U+FFFE,
    /// U+FFFF) replaced by spaces.
    static func plain(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let forbidden = (s.value < 0x20 && s.value != 0x09 && s.value != 0x0A && s.value != 0x0D)
                || s.value == 0xFFFE || s.value == 0xFFFF
            scalars.append(forbidden ? " " : s)
        }
        return String(scalars)
    }

    /// `text` made safe for XML character data.
    static func text(_ text: String) -> String { SVGLineChart.escape(plain(text)) }
}

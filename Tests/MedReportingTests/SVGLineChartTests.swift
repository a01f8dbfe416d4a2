import Foundation
import Testing
@testable import MedReporting

/// `SVGLineChart`'s learning-curve options: error bars at the interval ends, a log2 x axis with ticks at the data's
/// x values, a fixed y range.
@Suite struct SVGLineChartTests {
    @Test func errorBarsSpanTheIntervalOnAFixedRange() throws {
        var chart = SVGLineChart(title: "t", xLabel: "x", yLabel: "y",
                                 series: [.init(name: "a", points: [(2, 0.5), (4, 0.6), (8, 0.7)],
                                                intervals: [(0.25, 0.75), (0.5, 0.7), (0.7, 0.7)])])
        chart.logarithmicX = true
        chart.markers = true
        chart.yRange = 0...1
        let svg = chart.render()
        let parsed = try #require(SVGBoxPlotTests.Parsed.parse(svg))
        // One bar per point, three markers, ticks "2", "4", "8" on the x axis.
        let bars = parsed.elements.filter { $0.name == "path" }
        #expect(bars.count == 3)
        #expect(parsed.elements.filter { $0.name == "circle" }.count == 3)
        for tick in ["2", "4", "8"] { #expect(parsed.texts.contains(tick)) }
        // Plot area: top 28, height 300 − 28 − 40 = 232; y = 0.25 → 28 + 0.75 · 232 = 202, 0.75 → 86.
        let d = try #require(bars.first?.attributes["d"])
        #expect(d.contains(",202.0V86.0"), "\(d)")
        // log2 x: 2, 4, 8 evenly spaced: left 60, width 640 − 60 − 150 = 430 → x = 60, 275, 490 (± the 0 nudge).
        #expect(d.hasPrefix("M60.0,"))
        #expect(bars[1].attributes["d"]?.hasPrefix("M275.0,") == true)
    }

    @Test func intervalsMustMatchThePoints() {
        #expect(SVGLineChart.Series(name: "a", points: [(1, 1)]).intervals.isEmpty)
    }
}

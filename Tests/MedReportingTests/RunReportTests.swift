import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import MedReporting

@Suite struct RunReportTests {
    private func isWellFormedXML(_ text: String) -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }

    @Test func chartIsWellFormedSVGWithOneLinePerSeries() {
        let chart = SVGLineChart(title: "losses <G & D>", xLabel: "step", yLabel: "loss", series: [
            .init(name: "G_A", points: (1...50).map { (Double($0), 1 / Double($0)) }),
            .init(name: "D_A", points: (1...50).map { (Double($0), 0.25) }),
            .init(name: "single", points: [(3, 0.5)]),
        ], logarithmic: true)
        let svg = chart.render()
        #expect(isWellFormedXML(svg))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("<circle") && svg.contains("losses &lt;G &amp; D&gt;"))
        // Non-finite and (on a log axis) non-positive values are left out rather than breaking the drawing.
        let odd = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "a", points: [(0, .nan), (1, 0), (2, 1), (3, .infinity), (4, 2)])], logarithmic: true).render()
        #expect(isWellFormedXML(odd) && !odd.contains("nan") && !odd.contains("inf"))
        let empty = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", series: []).render()
        #expect(isWellFormedXML(empty) && empty.contains("no data yet"))
    }

    @Test func reportEmbedsCurvesTableFiguresAndConfiguration() {
        let losses = (1...1000).map { RunReport.LossRow(step: $0, losses: ["G": 1 / Double($0), "D": 0.3]) }
        let report = RunReport(
            title: "ct2t1", summary: ["CycleGAN CT→T1, 1000 steps"], lossNames: ["G", "D"], losses: losses,
            metricNames: ["PSNR dB", "SSIM"],
            metrics: [.init(step: 500, metrics: ["PSNR dB": 20.5, "SSIM": 0.71]),
                      .init(step: 1000, metrics: ["PSNR dB": 24.25, "SSIM": 0.8])],
            figures: [.init(caption: "step 1000", png: Data([0x89, 0x50, 0x4E, 0x47]))],
            configuration: "training:\n  steps: 1000 # <b>")
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<td>24.2500</td>") && html.contains("data:image/png;base64,iVBORw=="))
        #expect(html.contains("steps: 1000 # &lt;b&gt;"))
        // 1000 rows are drawn as at most 400 averaged points per curve.
        let series = RunReport.smoothed(losses, names: ["G"])
        #expect(series[0].points.count <= 400 && series[0].points.count >= 300)
        #expect(series[0].points.last!.x == 1000)
    }
}

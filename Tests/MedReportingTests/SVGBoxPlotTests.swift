import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import MedReporting

/// `SVGBoxPlot`: the box numbers against numpy (`np.percentile(x, [25, 50, 75])`, numpy 2.4.6, bit for bit where
/// the inputs are decimal fractions) and matplotlib's Tukey rule, and the SVG as parsed XML.
@Suite struct SVGBoxPlotTests {
    /// The elements and the text of a parsed document, or nil when it is not well-formed XML.
    final class Parsed: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var texts: [String] = []
        private var current = ""

        static func parse(_ svg: String) -> Parsed? {
            let parser = XMLParser(data: Data(svg.utf8))
            let parsed = Parsed()
            parser.delegate = parsed
            return parser.parse() ? parsed : nil
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
            current = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" || name == "title" { texts.append(current) }
            current = ""
        }

        func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }
    }

    /// Sorted x, index h = (n − 1)·p, numpy's lerp (a + (b − a)·γ for γ < ½, b − (b − a)·(1 − γ) for γ ≥ ½):
    /// - [1, 2, 3, 4, 10]: h = 1, 2, 3 → 2, 3, 4 (numpy: 2.0, 3.0, 4.0);
    /// - [1, 2, 3, 4]: h = 0.75, 1.5, 2.25 → 1.75, 2.5, 3.25;
    /// - [3, 1, 2] (unsorted input): sorted [1, 2, 3], h = 0.5, 1, 1.5 → 1.5, 2, 2.5;
    /// - [7]: 7, 7, 7;
    /// - [0.1, …, 0.7]: h = 1.5, 3, 4.5 → numpy 0x1p-2 (0.25), 0x1.999999999999ap-2 (0.4), 0x1.199999999999ap-1
    ///   (0.55) — exact bits, which only the two-sided lerp reproduces.
    @Test func quartilesMatchNumpy() throws {
        let cases: [(values: [Double], quartiles: [Double])] = [
            ([1, 2, 3, 4, 10], [2, 3, 4]),
            ([1, 2, 3, 4], [1.75, 2.5, 3.25]),
            ([3, 1, 2], [1.5, 2, 2.5]),
            ([7], [7, 7, 7]),
            ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], [0x1p-2, 0x1.999999999999ap-2, 0x1.199999999999ap-1]),
        ]
        for c in cases {
            let b = try #require(SVGBoxPlot.box(c.values))
            #expect([b.q1, b.median, b.q3] == c.quartiles, "\(c.values)")
            #expect(b.count == c.values.count)
        }
    }

    /// [1, 2, 3, 4, 10]: IQR = 4 − 2 = 2, fences 2 − 3 = −1 and 4 + 3 = 7, so the whiskers end at 1 and 4 and 10 is
    /// an outlier; mean 20/5 = 4.
    /// Sorted [−5, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0, 8]: q1 (h = 1.75) = 0.5 − 0.25·0.25 = 0.4375, median (h = 3.5)
    /// 0.675 (numpy 0x1.599999999999ap-1), q3 (h = 5.25) = 0.9 + 0.25·0.1 = 0.925 (numpy 0x1.d99999999999ap-1);
    /// IQR 0.4875, fences −0.29375 and 1.65625: whiskers 0.25 and 1.0, outliers −5 and 8; mean 7/8 = 0.875.
    @Test func tukeyWhiskersAndOutliers() throws {
        let a = try #require(SVGBoxPlot.box([10, 4, 3, 2, 1]))
        #expect(a == SVGBoxPlot.Box(q1: 2, median: 3, q3: 4, lowerWhisker: 1, upperWhisker: 4, mean: 4, outliers: [10], count: 5))
        let b = try #require(SVGBoxPlot.box([-5, 0.5, 0.25, 0.75, 1.0, 0.6, 8, 0.9]))
        #expect(b.q1 == 0.4375 && b.median == 0x1.599999999999ap-1 && b.q3 == 0x1.d99999999999ap-1)
        #expect(b.lowerWhisker == 0.25 && b.upperWhisker == 1.0 && b.outliers == [-5, 8])
        #expect(b.mean == 0.875 && b.count == 8)
        // A value exactly on a fence is inside: [0, 1, 1, 1, 2.5] has q1 = q3 = 1, IQR 0, fences at 1, so 0 and
        // 2.5 are outliers and both whiskers sit on the box; [1, 2, 3, 4, 7] has its upper fence at 7.
        let flat = try #require(SVGBoxPlot.box([0, 1, 1, 1, 2.5]))
        #expect(flat.lowerWhisker == 1 && flat.upperWhisker == 1 && flat.outliers == [0, 2.5])
        #expect(SVGBoxPlot.box([1, 2, 3, 4, 7])?.outliers == [] && SVGBoxPlot.box([1, 2, 3, 4, 7])?.upperWhisker == 7)
    }

    /// NaN and ±inf are ignored (HD95 of an empty prediction is +inf); nothing finite gives no box.
    @Test func nonFiniteValuesAreIgnored() {
        #expect(SVGBoxPlot.box([1, .nan, 2, .infinity, 3, -.infinity, 4, 10]) == SVGBoxPlot.box([1, 2, 3, 4, 10]))
        #expect(SVGBoxPlot.box([]) == nil && SVGBoxPlot.box([.nan, .infinity]) == nil)
    }

    /// A full chart is well-formed XML with one box per non-empty group, one circle per outlier (plus the
    /// legend's), one mean diamond per box (plus the legend's), escaped labels, "n = …" under each label, and
    /// "no data" for an empty group.
    @Test func rendersWellFormedSVG() throws {
        let chart = SVGBoxPlot(title: "Dice <test & set>", yLabel: "Dice", groups: [
            .init(label: "arm a", values: [1, 2, 3, 4, 10].map { $0 / 10 }),
            .init(label: "arm <b> & \"c\"", values: [0.5, 0.6, .nan, 0.7, 0.8]),
            .init(label: "arm d", values: []),
        ], yRange: 0...1)
        let svg = chart.render()
        let doc = try #require(Parsed.parse(svg), "not well-formed XML:\n\(svg)")
        #expect(svg.hasPrefix("<svg ") && svg.hasSuffix("</svg>") && !svg.contains("<script"))
        #expect(doc.elements.first?.name == "svg")
        #expect(doc.count("rect") == 1 + 2)          // frame + two boxes
        #expect(doc.count("circle") == 1 + 1)        // legend + the outlier 1.0 of arm a
        #expect(doc.count("polygon") == 1 + 2)       // legend + two means
        #expect(doc.texts.contains("Dice <test & set>") && doc.texts.contains("arm <b> & \"c\""))
        #expect(svg.contains("arm &lt;b&gt; &amp; &quot;c&quot;") && !svg.contains("<b>"))
        #expect(doc.texts.contains("n = 5") && doc.texts.contains("n = 4") && doc.texts.contains("n = 0"))
        #expect(doc.texts.contains("1 undefined") && doc.texts.contains("no data"))
        // The fixed axis 0…1 gets ticks 0, 0.2, …, 1.
        for tick in ["0", "0.2", "0.4", "0.6", "0.8", "1"] { #expect(doc.texts.contains(tick), "tick \(tick)") }
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    /// Degenerate inputs still give well-formed charts: no groups, only empty groups, one constant value, data
    /// beyond a fixed range (the axis widens to the next tick, 1.6 with steps of 0.2), non-negative data (no
    /// negative ticks), and label text XML cannot hold.
    @Test func degenerateInputs() throws {
        let none = SVGBoxPlot(title: "t", yLabel: "y", groups: []).render()
        #expect(try #require(Parsed.parse(none)).texts.contains("no data"))
        let empty = SVGBoxPlot(title: "t", yLabel: "y", groups: [.init(label: "a", values: [.nan]), .init(label: "b", values: [])]).render()
        let e = try #require(Parsed.parse(empty))
        #expect(e.texts.filter { $0 == "no data" }.count == 2 && e.count("polygon") == 1)
        let constant = SVGBoxPlot(title: "t", yLabel: "y", groups: [.init(label: "a", values: [0.5, 0.5])]).render()
        #expect(Parsed.parse(constant) != nil && !constant.contains("nan"))
        let beyond = SVGBoxPlot(title: "t", yLabel: "y", groups: [.init(label: "a", values: [0.2, 1.5])], yRange: 0...1).render()
        #expect(try #require(Parsed.parse(beyond)).texts.contains("1.6"))
        // Non-negative data keep 0 as the axis floor however far the padding would reach.
        let distances = try #require(Parsed.parse(SVGBoxPlot(title: "t", yLabel: "mm", groups: [.init(label: "a", values: [2, 3, 4, 30])]).render()))
        #expect(distances.texts.contains("0") && !distances.texts.contains { $0.hasPrefix("-") })
        let control = SVGBoxPlot(title: "t\u{1}", yLabel: "y", groups: [.init(label: "a\u{0}b", values: [1])]).render()
        #expect(Parsed.parse(control) != nil)
    }

    /// Many groups widen the chart (72 px each at least); long labels wrap onto at most three lines that fit the
    /// slot, the last ending in "…".
    @Test func manyGroupsAndLongLabels() throws {
        let groups = (0..<20).map { SVGBoxPlot.Group(label: "arm \($0) with a rather long descriptive name", values: [1, 2, 3]) }
        let svg = SVGBoxPlot(title: "t", yLabel: "y", groups: groups).render()
        let doc = try #require(Parsed.parse(svg))
        let width = try #require(doc.elements.first?.attributes["width"].flatMap { Double($0) })
        #expect(width >= 60 + 16 + 20 * 72)

        #expect(SVGBoxPlot.wrap("arm c (synthetic + real)", perLine: 10, maxLines: 3) == ["arm c", "(synthetic", "+ real)"])
        #expect(SVGBoxPlot.wrap("abcdefghijklmnop", perLine: 6, maxLines: 3) == ["abcdef", "ghijkl", "mnop"])
        #expect(SVGBoxPlot.wrap("one two three four five six", perLine: 8, maxLines: 2) == ["one two", "three f…"])
        #expect(SVGBoxPlot.wrap("", perLine: 8, maxLines: 2) == [""])
    }
}

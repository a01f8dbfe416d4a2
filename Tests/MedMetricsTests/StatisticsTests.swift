import Foundation
import Testing
import MedTestSupport
@testable import MedMetrics

/// Student t quantiles and the sample summary against scipy.stats.
@Suite struct StatisticsTests {
    @Test func studentTQuantilesMatchScipy() {
        for row in MetricsFixture.expected["student_t"] as! [[String: Any]] {
            let df = MetricsFixture.double(row, "df"), p = MetricsFixture.double(row, "p")
            let t = StudentT(degreesOfFreedom: df).quantile(p)
            #expect(Approx.isClose(t, MetricsFixture.double(row, "t"), rtol: 1e-10), "df \(df) p \(p)")
            #expect(Approx.isClose(StudentT(degreesOfFreedom: df).quantile(1 - p), -t, rtol: 1e-10))
        }
    }

    @Test func summaryMatchesScipy() {
        let e = MetricsFixture.section("summary")
        let s = SampleSummary(e["values"] as! [Double])
        #expect(s.count == 7)
        for (v, key) in [(s.mean, "mean"), (s.std, "std"), (s.median, "median"), (s.ciLower, "ci_lower"), (s.ciUpper, "ci_upper")] {
            #expect(Approx.isClose(v, MetricsFixture.double(e, key), rtol: 1e-10), "\(key)")
        }
        let one = SampleSummary([3])
        #expect(one.mean == 3 && one.median == 3 && one.std.isNaN && one.ciLower.isNaN)
        #expect(SampleSummary([4, 1, 3, 2]).median == 2.5)
    }
}

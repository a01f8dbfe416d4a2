import Testing
import MedIO
@testable import MedMetrics

/// The benchmark entry point runs on small inputs and reports sane values.
@Suite struct MetricsBenchmarkTests {
    @Test func smallRunReportsEveryCase() throws {
        let r = try MetricsBenchmark.run(repetitions: 1, volumeSide: 24, imageSide: 32)
        #expect(r.map(\.name) == ["ssim_2d_32", "ssim_3d_24", "hd95_3d_24"])
        #expect(r.allSatisfy { $0.medianMS >= 0 && $0.value.isFinite })
        #expect(r[0].value > 0 && r[0].value < 1)
    }
}

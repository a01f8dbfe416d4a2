import Foundation
import Testing
import MedIO
@testable import MedMetrics

/// The benchmark entry point runs on small inputs and computes what the Python peer computes.
@Suite struct MetricsBenchmarkTests {
    @Test func smallRunMatchesThePeerValues() throws {
        let r = try MetricsBenchmark.run(repetitions: 1, volumeSide: 24, imageSide: 32)
        #expect(r.map(\.name) == ["ssim_2d_32", "ssim_3d_24", "hd95_3d_24"])
        #expect(r.allSatisfy { $0.medianMS >= 0 })
        // `python3 benchmarks/metrics_peer.py --repetitions 1 --volume-side 24 --image-side 32` (skimage computes
        // float32 inputs in float32, hence 1e-5 for SSIM; HD95 is exact).
        #expect(abs(r[0].value - 0.911251520704941) < 1e-5)
        #expect(abs(r[1].value - 0.9177906330679997) < 1e-5)
        #expect(abs(r[2].value - 4.842520005121301) < 1e-12)
    }
}

import Foundation
import MedIO

/// One timed benchmark case.
public struct MetricsBenchResult: Equatable, Codable, Sendable {
    /// Case name, e.g. "ssim_2d_512".
    public var name: String
    /// Median wall time over the repetitions, milliseconds.
    public var medianMS: Double
    /// Fastest repetition, milliseconds.
    public var minMS: Double
    /// Number of timed repetitions (after one untimed warm-up).
    public var repetitions: Int
    /// The metric's value, to check that Swift and the peer computed the same thing.
    public var value: Double
}

/// The metrics benchmark behind `medsynth bench metrics`: SSIM (scikit-image defaults) on a 512² image and a
/// 256³ volume, and HD95 on a pair of 256³ masks (spacing 0.8 × 0.8 × 1.5 mm), on the inputs of
/// `SyntheticMetricsInputs` — the same arrays `benchmarks/metrics_peer.py` builds for scikit-image/scipy.
public enum MetricsBenchmark {
    /// Voxel spacing of the HD95 masks (width, height, depth), mm.
    public static let maskSpacingMM = SIMD3<Double>(0.8, 0.8, 1.5)

    /// Runs every case.
    /// - Parameters:
    ///   - repetitions: timed runs per case (median reported); at least 1.
    ///   - volumeSide: side of the 3D cases (256 for the reported numbers; smaller for smoke tests).
    ///   - imageSide: side of the 2D case (512 for the reported numbers).
    /// - Returns: one result per case.
    /// - Throws: what the metrics throw (not expected for these inputs).
    public static func run(repetitions: Int = 5, volumeSide: Int = 256, imageSide: Int = 512) throws -> [MetricsBenchResult] {
        let reps = max(1, repetitions)
        var results: [MetricsBenchResult] = []
        let (a2, b2) = SyntheticMetricsInputs.imagePair(shape: VolumeShape(depth: 1, height: imageSide, width: imageSide))
        results.append(try time("ssim_2d_\(imageSide)", reps) { try SSIM.mean(a2, b2, dataRange: 1) })
        let cube = VolumeShape(depth: volumeSide, height: volumeSide, width: volumeSide)
        let (a3, b3) = SyntheticMetricsInputs.imagePair(shape: cube)
        results.append(try time("ssim_3d_\(volumeSide)", reps) { try SSIM.mean(a3, b3, dataRange: 1) })
        let (ma, mb) = SyntheticMetricsInputs.maskPair(shape: cube, spacingMM: maskSpacingMM)
        results.append(try time("hd95_3d_\(volumeSide)", reps) {
            try SegmentationMetrics.evaluate(reference: ma, prediction: mb, labels: [1])[0].hd95MM ?? .nan
        })
        return results
    }

    /// Times `body` `reps` times after one warm-up.
    static func time(_ name: String, _ reps: Int, _ body: () throws -> Double) throws -> MetricsBenchResult {
        var value = try body()
        var ms: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            value = try body()
            ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        ms.sort()
        let median = ms.count % 2 == 1 ? ms[ms.count / 2] : 0.5 * (ms[ms.count / 2 - 1] + ms[ms.count / 2])
        return MetricsBenchResult(name: name, medianMS: median, minMS: ms[0], repetitions: reps, value: value)
    }
}

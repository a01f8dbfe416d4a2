import Foundation
import MedIO
import MedTestSupport

/// Loads `Tests/Fixtures/metrics/` (written by scripts/make_metrics_fixtures.py): raw little-endian float32
/// volumes and the expected values in expected.json.
enum MetricsFixture {
    /// The parsed expected.json.
    nonisolated(unsafe) static let expected: [String: Any] = {
        let data = try! Data(contentsOf: Fixtures.url("metrics/expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    /// A section of expected.json.
    static func section(_ name: String) -> [String: Any] { expected[name] as! [String: Any] }

    /// The shape recorded in a section.
    static func shape(_ section: [String: Any]) -> VolumeShape {
        let s = section["shape"] as! [Int]
        return VolumeShape(depth: s[0], height: s[1], width: s[2])
    }

    /// A float32 volume from `name`.bin.
    static func volume(_ name: String, shape: VolumeShape, spacingMM: SIMD3<Double> = SIMD3(1, 1, 1)) -> Volume {
        let data = try! Data(contentsOf: Fixtures.url("metrics/\(name).bin"))
        precondition(data.count == shape.voxelCount * 4, "\(name).bin has \(data.count) bytes, expected \(shape.voxelCount * 4)")
        let voxels: [Float] = data.withUnsafeBytes { raw in
            (0..<shape.voxelCount).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        return Volume(shape: shape, voxels: voxels, affine: Affine(spacingMM: spacingMM))
    }

    /// A Double at a key path like "ssim_default.mean".
    static func double(_ section: [String: Any], _ path: String) -> Double {
        var node: Any = section
        for key in path.split(separator: ".") { node = (node as! [String: Any])[String(key)]! }
        return (node as! NSNumber).doubleValue
    }
}

/// A grid axis by name, as written in YAML: `width` (i, x, fastest in memory), `height` (j, y) and `depth`
/// (k, z, the slice axis).
public enum SpatialAxis: String, Codable, Sendable, CaseIterable, Comparable {
    /// i: columns, NIfTI's first axis.
    case width
    /// j: rows.
    case height
    /// k: slices.
    case depth

    /// 0 for width, 1 for height, 2 for depth (the component of `spacingMM` and of SIMD3 parameters).
    public var index: Int {
        switch self {
        case .width: return 0
        case .height: return 1
        case .depth: return 2
        }
    }

    /// The extent of this axis in `shape`.
    public func extent(of shape: VolumeShape) -> Int {
        switch self {
        case .width: return shape.width
        case .height: return shape.height
        case .depth: return shape.depth
        }
    }

    /// The distance in memory between neighbours along this axis, in voxels.
    public func stride(in shape: VolumeShape) -> Int {
        switch self {
        case .width: return 1
        case .height: return shape.width
        case .depth: return shape.width * shape.height
        }
    }

    public static func < (a: SpatialAxis, b: SpatialAxis) -> Bool { a.index < b.index }
}

import MedIO

import MedCore
import MedIO

/// Rotates the case by k quarter turns in one plane (MONAI's RandRotate90). Exact (a permutation of voxels).
/// An odd k swaps the plane's two axes, so it is drawn only when the plane is square with equal spacing (the
/// grid and its affine then stay valid); otherwise only k = 0 or 2 are drawn.
public struct Rot90Augmentation: AugmentationTransform {
    /// Rot90 settings.
    public struct Settings: TransformSettings {
        /// The rotation plane, two distinct axes; turning goes from the first towards the second. Default
        /// width → height (in the axial plane).
        public var plane: [SpatialAxis] = [.width, .height]
        /// The quarter-turn counts to choose from, uniformly. Default 0, 1, 2, 3.
        public var quarterTurns: [Int] = [0, 1, 2, 3]

        /// The defaults.
        public init() {}
    }

    /// The drawn rotation.
    public struct Parameters: Codable, Sendable, Equatable {
        /// The plane (two axes).
        public var plane: [SpatialAxis]
        /// Quarter turns, 0…3.
        public var quarterTurns: Int
        /// Creates parameters.
        public init(plane: [SpatialAxis], quarterTurns: Int) {
            self.plane = plane
            self.quarterTurns = quarterTurns
        }
    }

    public static let name = "rot90"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` unless the plane has two distinct axes and the turn counts
    ///   are in 0…3.
    public init(settings: Settings = Settings()) throws {
        guard settings.plane.count == 2, settings.plane[0] != settings.plane[1] else {
            throw MedSynthError(.invalidArgument, "plane", "is \(settings.plane.map(\.rawValue)); expected two distinct axes")
        }
        try SettingsCheck.nonEmpty(settings.quarterTurns, "quarterTurns")
        for k in settings.quarterTurns { try SettingsCheck.value(k, within: 0...3, "quarterTurns") }
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let (u, v) = (settings.plane[0], settings.plane[1])
        let square = u.extent(of: geometry.shape) == v.extent(of: geometry.shape)
            && abs(geometry.spacingMM[u.index] - geometry.spacingMM[v.index]) <= 1e-9 * geometry.spacingMM[u.index]
        let allowed = square ? settings.quarterTurns : settings.quarterTurns.filter { $0 % 2 == 0 }
        let pick = Int(generator.nextUnitDouble() * Double(max(1, allowed.count)))
        return Parameters(plane: settings.plane, quarterTurns: allowed.isEmpty ? 0 : allowed[pick])
    }

    /// - Throws: `MedSynthError(.mismatch)` for an odd turn count on a non-square plane.
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        let k = ((parameters.quarterTurns % 4) + 4) % 4
        guard k != 0 else { return }
        let shape = workspace.geometry.shape
        let (u, v) = (parameters.plane[0], parameters.plane[1])
        if k % 2 == 1, u.extent(of: shape) != v.extent(of: shape) {
            throw MedSynthError(.mismatch, "rot90", "an odd quarter-turn count \(k) needs a square \(u.rawValue)–\(v.rawValue) plane; the grid is \(shape)")
        }
        // A permutation that is not a set of swaps: written into other arrays, all volumes in one pass.
        let names = workspace.augmentationCase.imageNames
        workspace.replaceAll(images: names, labels: workspace.augmentationCase.labels != nil) { sources, destinations in
            for (src, dst) in zip(sources, destinations) { Self.rotate(src, dst, shape: shape, plane: (u, v), quarterTurns: k) }
        }
    }

    /// Output (…, a along u, b along v, …) takes the input at, for k = 1, 2, 3: (n−1−b, a), (n−1−a, n−1−b),
    /// (b, n−1−a); other axes unchanged. `dst` and `src` are distinct. Parallel over slices.
    static func rotate(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, shape: VolumeShape,
                       plane: (SpatialAxis, SpatialAxis), quarterTurns k: Int) {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        let nu = plane.0.extent(of: shape), nv = plane.1.extent(of: shape)
        let su = plane.0.stride(in: shape), sv = plane.1.stride(in: shape)
        Parallel.forEachChunk(count: d) { slices in
            for z in slices { for y in 0..<h { for x in 0..<w {
                let c = SIMD3(x, y, z)
                let a = c[plane.0.index], b = c[plane.1.index]
                let (sa, sb): (Int, Int)
                switch k {
                case 1: (sa, sb) = (nu - 1 - b, a)
                case 2: (sa, sb) = (nu - 1 - a, nv - 1 - b)
                default: (sa, sb) = (b, nv - 1 - a)
                }
                let base = (z * h + y) * w + x - a * su - b * sv
                dst[(z * h + y) * w + x] = src[base + sa * su + sb * sv]
            } } }
        }
    }
}

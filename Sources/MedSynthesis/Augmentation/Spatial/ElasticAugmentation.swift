import MedCore
import MedIO

/// Random elastic deformation (TorchIO's RandomElasticDeformation): a coarse grid of control points carries
/// random displacements in mm; a uniform cubic B-spline turns them into a smooth dense field, and every volume is
/// resampled once through it (images trilinear, labels nearest neighbour).
///
/// The control grid spans the volume: control point m along an axis of n voxels sits at voxel m·(n − 1)/(N − 1).
/// The field at voxel coordinate t (in control units) is Σ_{q=−1…2} B_q(frac t)·C[⌊t⌋ + q] per axis, indices
/// clamped to the grid, with the cubic B-spline weights B. Output voxel o reads the input at o + u(o)/spacing.
public struct ElasticAugmentation: AugmentationTransform {
    /// Elastic settings (defaults follow TorchIO: 7 control points per axis, displacements up to 7.5 mm).
    public struct Settings: TransformSettings {
        /// Control points per axis (x, y, z), each 4…64. Default 7.
        public var controlPoints: [Int] = [7, 7, 7]
        /// Displacement range in mm per axis, drawn independently at every control point. Default [−7.5, 7.5].
        public var displacementMM = AxisRanges(all: ValueRange(-7.5, 7.5))
        /// When true (default), control points on the outer faces of the grid do not move.
        public var lockBorders = true

        /// The defaults.
        public init() {}
    }

    /// The drawn control-point displacements.
    public struct Parameters: Codable, Sendable, Equatable {
        /// Control points along x, y, z.
        public var controlPoints: [Int]
        /// Displacements in mm, [z][y][x][component x, y, z] flattened (x fastest, then components last).
        public var displacementsMM: [Float]

        /// Creates parameters.
        /// - Precondition: `displacementsMM.count == 3 · Π controlPoints`.
        public init(controlPoints: [Int], displacementsMM: [Float]) {
            precondition(controlPoints.count == 3 && displacementsMM.count == 3 * controlPoints.reduce(1, *),
                         "elastic parameters: \(displacementsMM.count) values for control grid \(controlPoints)")
            self.controlPoints = controlPoints
            self.displacementsMM = displacementsMM
        }
    }

    public static let name = "elastic"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for control-point counts outside 4…64 or displacement
    ///   ranges outside [−100, 100] mm.
    public init(settings: Settings = Settings()) throws {
        guard settings.controlPoints.count == 3 else {
            throw MedSynthError(.invalidArgument, "controlPoints", "is \(settings.controlPoints); expected three counts (x, y, z)")
        }
        for n in settings.controlPoints { try SettingsCheck.value(n, within: 4...64, "controlPoints") }
        try SettingsCheck.ranges(settings.displacementMM, within: -100...100, "displacementMM")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let n = settings.controlPoints
        var values = [Float](repeating: 0, count: 3 * n[0] * n[1] * n[2])
        let ranges = [settings.displacementMM.x, settings.displacementMM.y, settings.displacementMM.z]
        for z in 0..<n[2] { for y in 0..<n[1] { for x in 0..<n[0] {
            let border = x == 0 || y == 0 || z == 0 || x == n[0] - 1 || y == n[1] - 1 || z == n[2] - 1
            for c in 0..<3 {
                // Always consume the draw, so lockBorders does not shift the other points' values.
                let v = ranges[c].draw(using: &generator)
                values[((z * n[1] + y) * n[0] + x) * 3 + c] = settings.lockBorders && border ? 0 : Float(v)
            }
        } } }
        return Parameters(controlPoints: n, displacementsMM: values)
    }

    /// - Throws: `MedSynthError(.invalidArgument)` for a record whose control grid is malformed.
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        let n = parameters.controlPoints
        guard n.count == 3, n.allSatisfy({ $0 >= 2 }), parameters.displacementsMM.count == 3 * n.reduce(1, *) else {
            throw MedSynthError(.invalidArgument, Self.name, "control grid \(n) with \(parameters.displacementsMM.count) values is malformed")
        }
        let g = workspace.geometry
        let field = BSplineField(controlPoints: n, valuesMM: parameters.displacementsMM, shape: g.shape, spacingMM: g.spacingMM)
        SpatialResampling.resample(&workspace) { k, j, xs, ys, zs in field.fillRow(k: k, j: j, xs, ys, zs) }
    }
}

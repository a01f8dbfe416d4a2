import MedCore
import MedIO

/// A random affine transform about the volume centre (TorchIO's RandomAffine), in physical units: rotations in
/// degrees, scaling, shearing and translation in mm. One resampling pass: images trilinear (outside filled with
/// each image's minimum), labels nearest neighbour (outside filled with 0, background).
///
/// Geometry: with voxel spacing S = diag(sx, sy, sz) and centre c = (extent − 1)/2, voxel o sits at
/// p = S(o − c) mm in the grid's own frame. The content moves by T(p) = R·H·Z·p + t (R = Rz·Ry·Rx, H the shear,
/// Z the scale); output voxel o reads the input at S⁻¹·T⁻¹(S(o − c)) + c.
public struct AffineAugmentation: AugmentationTransform {
    /// Affine settings (defaults follow TorchIO's RandomAffine, except a 10 mm translation range instead of 0).
    public struct Settings: TransformSettings {
        /// Rotation about x, y, z in degrees. Default [−10, 10] on every axis.
        public var rotationDegrees = AxisRanges(all: ValueRange(-10, 10))
        /// Scale factor per axis. Default [0.9, 1.1].
        public var scale = AxisRanges(all: ValueRange(0.9, 1.1))
        /// When true (default) one scale factor, drawn from `scale.x`, applies to all axes.
        public var isotropicScale = true
        /// Shear coefficients (x by y, x by z, y by z), each drawn from this range. Default [0, 0] (none).
        public var shear = ValueRange(0, 0)
        /// Translation along x, y, z in mm. Default [−10, 10].
        public var translationMM = AxisRanges(all: ValueRange(-10, 10))

        /// The defaults.
        public init() {}
    }

    /// The drawn transform.
    public struct Parameters: Codable, Sendable, Equatable {
        /// Rotation about x, y, z (degrees).
        public var rotationDegrees: SIMD3<Double>
        /// Scale along x, y, z.
        public var scale: SIMD3<Double>
        /// Shear coefficients (xy, xz, yz).
        public var shear: SIMD3<Double>
        /// Translation (mm).
        public var translationMM: SIMD3<Double>

        /// Creates parameters.
        public init(rotationDegrees: SIMD3<Double> = .zero, scale: SIMD3<Double> = .one, shear: SIMD3<Double> = .zero,
                    translationMM: SIMD3<Double> = .zero) {
            self.rotationDegrees = rotationDegrees
            self.scale = scale
            self.shear = shear
            self.translationMM = translationMM
        }

        /// The physical forward matrix M = R·H·Z (3×3, row-major).
        public var forwardMatrix: Matrix3 {
            let r = rotationDegrees * (Double.pi / 180)
            let rx = Matrix3(rows: [1, 0, 0, 0, cos(r.x), -sin(r.x), 0, sin(r.x), cos(r.x)])
            let ry = Matrix3(rows: [cos(r.y), 0, sin(r.y), 0, 1, 0, -sin(r.y), 0, cos(r.y)])
            let rz = Matrix3(rows: [cos(r.z), -sin(r.z), 0, sin(r.z), cos(r.z), 0, 0, 0, 1])
            let h = Matrix3(rows: [1, shear.x, shear.y, 0, 1, shear.z, 0, 0, 1])
            let z = Matrix3(rows: [scale.x, 0, 0, 0, scale.y, 0, 0, 0, scale.z])
            return rz * ry * rx * h * z
        }
    }

    public static let name = "affine"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` naming the setting: rotations outside [−180, 180]°, scales
    ///   outside [0.2, 5], shear outside [−1, 1], translations outside [−1000, 1000] mm.
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.ranges(settings.rotationDegrees, within: -180...180, "rotationDegrees")
        try SettingsCheck.ranges(settings.scale, within: 0.2...5, "scale")
        try SettingsCheck.range(settings.shear, within: -1...1, "shear")
        try SettingsCheck.ranges(settings.translationMM, within: -1000...1000, "translationMM")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let rotation = settings.rotationDegrees.draw(using: &generator)
        var scale = settings.scale.draw(using: &generator)
        if settings.isotropicScale { scale = SIMD3(repeating: scale.x) }
        let shear = SIMD3(settings.shear.draw(using: &generator), settings.shear.draw(using: &generator),
                          settings.shear.draw(using: &generator))
        let translation = settings.translationMM.draw(using: &generator)
        return Parameters(rotationDegrees: rotation, scale: scale, shear: shear, translationMM: translation)
    }

    /// - Throws: `MedSynthError(.invalidArgument)` for a singular (non-invertible) transform.
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        guard let inverse = parameters.forwardMatrix.inverse else {
            throw MedSynthError(.invalidArgument, Self.name, "parameters \(parameters) give a singular matrix")
        }
        let g = workspace.geometry
        let map = VoxelAffineMap(physicalInverse: inverse, translationMM: parameters.translationMM,
                                 spacingMM: g.spacingMM, extents: g.extentsXYZ)
        SpatialResampling.resample(&workspace, affine: map)
    }
}

/// src = A·o + b in voxel coordinates for a physical inverse transform about the grid centre:
/// A = S⁻¹M⁻¹S, b = c − A·c − S⁻¹M⁻¹t. A is built entry by entry as M⁻¹[r][c]·s[c]/s[r], so the identity gives
/// exactly A = I, b = 0 and resampling copies the input bit for bit.
struct VoxelAffineMap: Sendable {
    /// The 3×3 voxel matrix.
    let a: Matrix3
    /// The voxel offset.
    let b: SIMD3<Double>
    /// The number of voxels per row (the grid's width).
    let width: Int

    init(physicalInverse m: Matrix3, translationMM t: SIMD3<Double>, spacingMM s: SIMD3<Double>, extents: SIMD3<Int>) {
        var rows = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for c in 0..<3 { rows[r * 3 + c] = r == c ? m[r, c] : m[r, c] * s[c] / s[r] } }
        a = Matrix3(rows: rows)
        let centre = SIMD3<Double>(extents &- 1) * 0.5
        b = centre - a.apply(centre) - m.apply(t) / s
        width = extents.x
    }

    /// The source coordinates of voxel 0 of output row (k, j): A·(0, j, k) + b, in Float.
    @inline(__always)
    func rowBase(k: Int, j: Int) -> SIMD3<Float> {
        let v = a.apply(SIMD3(0, Double(j), Double(k))) + b
        return SIMD3(Float(v.x), Float(v.y), Float(v.z))
    }

    /// The change of the source coordinates from one voxel of a row to the next: A's first column, in Float.
    var rowStep: SIMD3<Float> { SIMD3(Float(a[0, 0]), Float(a[1, 0]), Float(a[2, 0])) }

    /// Source coordinates of output row (k, j): xs[i] = base.x + Float(i)·step.x and so on (the arithmetic
    /// `AffineRowResampler` repeats).
    @inline(__always)
    func fillRow(k: Int, j: Int, _ xs: UnsafeMutablePointer<Float>, _ ys: UnsafeMutablePointer<Float>,
                 _ zs: UnsafeMutablePointer<Float>) {
        let base = rowBase(k: k, j: j), step = rowStep
        for i in 0..<width {
            let fi = Float(i)
            xs[i] = base.x + fi * step.x
            ys[i] = base.y + fi * step.y
            zs[i] = base.z + fi * step.z
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

import MedCore
import MedIO

/// MR motion artifact (after TorchIO's RandomMotion), for a 2D multi-slice acquisition: the phase-encoding
/// lines (ky along height, acquired in order from −H/2 to H/2) are split into segments at drawn times; during
/// segment 0 the head is at rest, during segment m it is rotated in-plane by θ_m and translated by t_m. Each
/// slice's k-space is assembled line by line from the spectra of the moved slices (rotation by bilinear
/// resampling about the slice centre in mm, translation exactly as a k-space phase ramp
/// exp(−2πi(kx·tx/W + ky·ty/H))), then transformed back. MR only by default.
///
/// The image is the real part of the inverse transform, as in TorchIO (`np.real`). Lines ky and −ky are
/// usually acquired in different poses; for real slices, the real part equals the inverse of the spectrum in
/// which each line holds the mean of the two poses' values at that line — which is what is assembled, so the
/// half-complex spectrum stays consistent (copying each line from its own pose alone would add the Hilbert
/// transform of the imaginary part). The centred order puts an even H's Nyquist line −H/2 first, as in TorchIO.
///
/// Differences from TorchIO: motion is in-plane (rotation about the depth axis, translation along width and
/// height) and shared by every slice, the physics of a 2D multi-slice scan; TorchIO moves a 3D volume.
public struct MotionAugmentation: AugmentationTransform {
    /// Motion settings (defaults follow TorchIO: two movements, ±10°, ±10 mm).
    public struct Settings: TransformSettings {
        /// The number of movements, an integer range. Default [2, 2].
        public var movementCount = ValueRange(2, 2)
        /// In-plane rotation per movement in degrees. Default [−10, 10].
        public var rotationDegrees = ValueRange(-10, 10)
        /// Translation along width and height per movement in mm. Default [−10, 10].
        public var translationMM = ValueRange(-10, 10)
        /// The modalities changed. Default T1, T2, FLAIR.
        public var modalities: [Modality]? = [.t1, .t2, .flair]

        /// The defaults.
        public init() {}
    }

    /// One movement: from `startFraction` of the acquisition on, the head holds this pose.
    public struct Movement: Codable, Sendable, Equatable {
        /// The acquisition time (fraction of the phase-encoding lines, 0…1) at which the pose is taken.
        public var startFraction: Double
        /// In-plane rotation (degrees).
        public var rotationDegrees: Double
        /// Translation along width and height (mm).
        public var translationMM: SIMD2<Double>
        /// Creates a movement.
        public init(startFraction: Double, rotationDegrees: Double, translationMM: SIMD2<Double>) {
            self.startFraction = startFraction
            self.rotationDegrees = rotationDegrees
            self.translationMM = translationMM
        }
    }

    /// The drawn movements, by increasing start time.
    public struct Parameters: Codable, Sendable, Equatable {
        /// Movements; none is the identity.
        public var movements: [Movement]
        /// Creates parameters.
        public init(movements: [Movement]) { self.movements = movements }
    }

    public static let name = "motion"
    public let settings: Settings

    /// - Throws: `MedSynthError(.invalidArgument)` for movement counts outside 0…8 or not whole, rotations
    ///   outside [−90, 90]°, translations outside [−100, 100] mm.
    public init(settings: Settings = Settings()) throws {
        try SettingsCheck.range(settings.movementCount, within: 0...8, "movementCount")
        guard settings.movementCount.isIntegral else {
            throw MedSynthError(.invalidArgument, "movementCount", "is \(settings.movementCount); expected whole numbers")
        }
        try SettingsCheck.range(settings.rotationDegrees, within: -90...90, "rotationDegrees")
        try SettingsCheck.range(settings.translationMM, within: -100...100, "translationMM")
        self.settings = settings
    }

    public func draw(using generator: inout SeededGenerator, geometry: AugmentationGeometry) -> Parameters {
        let count = settings.movementCount.drawInteger(using: &generator)
        let times = (0..<count).map { _ in generator.nextUnitDouble() }.sorted()
        return Parameters(movements: times.map { t in
            let angle = settings.rotationDegrees.draw(using: &generator)
            let tx = settings.translationMM.draw(using: &generator), ty = settings.translationMM.draw(using: &generator)
            return Movement(startFraction: t, rotationDegrees: angle, translationMM: SIMD2(tx, ty))
        })
    }

    /// - Throws: `MedSynthError(.invalidArgument)` when the record's start times are not sorted within [0, 1].
    public func apply(_ parameters: Parameters, in workspace: inout AugmentationWorkspace) throws {
        let starts = parameters.movements.map(\.startFraction)
        guard starts.allSatisfy({ (0...1).contains($0) }), starts == starts.sorted() else {
            throw MedSynthError(.invalidArgument, Self.name, "movement start times \(starts) must be sorted within [0, 1]")
        }
        guard !parameters.movements.isEmpty else { return }
        let g = workspace.geometry
        let (h, w) = (g.shape.height, g.shape.width)
        let half = w / 2 + 1
        // The pose (0 = at rest, m = movement m) of every FFT row, by its acquisition time: its centred index / H.
        let pose = (0..<h).map { row -> Int in
            let time = Double((row + h / 2) % h) / Double(h)   // the row's index in the centred spectrum
            return starts.lastIndex(where: { $0 <= time }).map { $0 + 1 } ?? 0
        }
        let sliceShape = VolumeShape(depth: 1, height: h, width: w)
        let rotations = parameters.movements.map { m -> VoxelAffineMap? in
            guard m.rotationDegrees != 0 else { return nil }
            let inverse = AffineAugmentation.Parameters(rotationDegrees: SIMD3(0, 0, m.rotationDegrees)).forwardMatrix.inverse!
            return VoxelAffineMap(physicalInverse: inverse, translationMM: .zero, spacingMM: g.spacingMM, extents: SIMD3(w, h, 1))
        }
        // Phase ramps per movement (shifts in voxels) and the FFT rows each pose contributes.
        let ramps = parameters.movements.map {
            PhaseRamp(shift: SIMD2($0.translationMM.x / g.spacingMM.x, $0.translationMM.y / g.spacingMM.y), height: h, width: w)
        }
        let rowsOfPose = (0...parameters.movements.count).map { m in pose.indices.filter { pose[$0] == m } }
        let fft = SliceFFT(height: h, width: w)
        workspace.updateImages(matching: settings.modalities) { _, source, destination in
            let fill = IntensityStatistics.range(UnsafeBufferPointer(start: source, count: g.shape.voxelCount)).lowerBound
            fft.transformSlices(source, destination, depth: g.shape.depth, spectra: 3) { _, slice, out, b in
                let rest = b.spectra[0], composite = b.spectra[1], moved = b.spectra[2]
                b.real.update(from: slice, count: h * w)
                fft.forward(b.real, rest)
                composite.update(repeating: 0, count: 2 * h * half)
                Self.addHalfRows(from: rest, to: composite, rows: rowsOfPose[0], height: h, half: half)
                for (m, rotation) in rotations.enumerated() {
                    let rows = rowsOfPose[m + 1]
                    if rows.isEmpty { continue }
                    var source = rest
                    if let rotation {
                        // Bilinear rotation of the slice into the real buffer (the affine row kernel on a one-slice
                        // grid; the voxel map is `affine`'s).
                        for j in 0..<h {
                            AffineRowResampler.bilinearRow(slice, shape: sliceShape, base: rotation.rowBase(k: 0, j: j),
                                                           step: rotation.rowStep, fill: fill, out: b.real + j * w)
                        }
                        fft.forward(b.real, moved)
                        source = moved
                    }
                    Self.addHalfRows(from: source, to: composite, rows: rows, height: h, half: half, ramp: ramps[m])
                }
                fft.inverse(composite, out)
            }
        }
    }

    /// The phase ramp of a shift (tx, ty) in voxels as separable factors: row factors exp(−2πi·ky·ty/H) for every
    /// FFT row and column factors exp(−2πi·kx·tx/W) for kx = 0…W/2, interleaved (re, im); nil for no shift.
    struct PhaseRamp {
        let rows: [SIMD2<Float>]
        let columns: [SIMD2<Float>]

        init?(shift: SIMD2<Double>, height: Int, width: Int) {
            guard shift != .zero else { return nil }
            func factor(_ phase: Double) -> SIMD2<Float> { SIMD2(Float(cos(phase)), Float(sin(phase))) }
            rows = (0..<height).map { factor(-2 * Double.pi * Double(SliceFFT.signedFrequency($0, count: height)) * shift.y / Double(height)) }
            columns = (0..<(width / 2 + 1)).map { factor(-2 * Double.pi * Double($0) * shift.x / Double(width)) }
        }
    }

    /// Adds half of each given spectrum row, and half of its mirror row (H − ky) mod H, to `dst`, multiplied by a
    /// phase ramp when given: once every pose has added its rows, each row holds the mean of the values of the
    /// poses of ky and −ky (a row that is its own mirror gets both halves from one pose).
    private static func addHalfRows(from src: UnsafeMutablePointer<Float>, to dst: UnsafeMutablePointer<Float>, rows: [Int],
                                    height h: Int, half: Int, ramp: PhaseRamp? = nil) {
        func addHalf(_ ky: Int) {
            let s = src + 2 * ky * half, d = dst + 2 * ky * half
            guard let ramp else {
                for m in 0..<(2 * half) { d[m] += 0.5 * s[m] }
                return
            }
            let r = ramp.rows[ky]
            for kx in 0..<half {
                let col = ramp.columns[kx]
                let c = r.x * col.x - r.y * col.y, sn = r.x * col.y + r.y * col.x
                let re = s[2 * kx], im = s[2 * kx + 1]
                d[2 * kx] += 0.5 * (re * c - im * sn)
                d[2 * kx + 1] += 0.5 * (re * sn + im * c)
            }
        }
        for row in rows {
            addHalf(row)
            addHalf((h - row) % h)
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

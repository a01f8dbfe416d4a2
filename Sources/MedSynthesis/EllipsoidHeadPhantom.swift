import MedCore
import MedIO

/// A seeded geometric head phantom built from ellipsoids (in the spirit of the 3D Shepp–Logan phantom):
/// scalp/soft tissue, skull, brain, two lateral ventricles and an optional lesion, rendered as a label map and
/// a CT volume in HU.
///
/// It is the foundation's built-in data: small, fast and anatomically plausible in layout, with per-case
/// variation of size, position, skull thickness and asymmetry. The multimodal tissue phantom of the synthetic-
/// data engine (MR, PET, realistic tissue classes) builds on the same conventions.
public struct EllipsoidHeadPhantom: Sendable {
    /// Label values of the phantom's label map.
    public enum Label: Int, CaseIterable, Sendable {
        /// Air outside the head.
        case background = 0
        /// Scalp and soft tissue.
        case softTissue = 1
        /// Skull (cortical bone).
        case bone = 2
        /// Brain parenchyma.
        case brain = 3
        /// Cerebrospinal fluid in the lateral ventricles.
        case csf = 4
        /// A lesion inside the brain.
        case lesion = 5
    }

    /// Settings of the phantom; defaults give a 1 mm adult-sized head at the given grid.
    public struct Settings: Codable, Sendable, Equatable {
        /// Grid extents.
        public var shape: VolumeShape
        /// Voxel size in mm along x (width), y (height), z (depth).
        public var spacingMM: SIMD3<Double>
        /// Standard deviation of CT noise in HU.
        public var ctNoiseHU: Double
        /// Probability that a case carries a lesion.
        public var lesionProbability: Double
        /// Mean HU per label: air, soft tissue, bone, brain, CSF, lesion (published typical values).
        public var meanHU: [Double]

        /// Creates settings; see the properties for meanings.
        public init(shape: VolumeShape, spacingMM: SIMD3<Double>? = nil, ctNoiseHU: Double = 8,
                    lesionProbability: Double = 0.5,
                    meanHU: [Double] = [-1000, 40, 1200, 33, 8, 65]) {
            self.shape = shape
            // Fit an adult head (about 190 mm front to back) into the grid unless told otherwise.
            self.spacingMM = spacingMM ?? SIMD3(repeating: 200.0 / Double(max(shape.width, shape.height)))
            self.ctNoiseHU = ctNoiseHU
            self.lesionProbability = lesionProbability
            self.meanHU = meanHU
        }
    }

    /// One generated case.
    public struct Case: Sendable {
        /// Label map (`Label` raw values as Float).
        public var labels: Volume
        /// CT in HU.
        public var ct: Volume
        /// Whether a lesion was placed.
        public var hasLesion: Bool
    }

    /// The settings in use.
    public let settings: Settings

    /// Creates a phantom generator.
    public init(settings: Settings) { self.settings = settings }

    private struct Ellipsoid {
        var center: SIMD3<Double>   // mm, relative to the grid centre
        var radii: SIMD3<Double>    // mm
        func contains(_ p: SIMD3<Double>) -> Bool {
            let d = (p - center) / radii
            return (d * d).sum() <= 1
        }
    }

    /// Generates case `index` of the stream seeded by `seed`; the same (seed, index) gives the same bytes.
    public func makeCase(seed: UInt64, index: Int) -> Case {
        var rng = SeededGenerator(seed: seed).split(UInt64(index))
        let s = settings
        let scale = rng.uniform(0.88, 1.08)
        let aspect = SIMD3(rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.05))
        let shift = SIMD3(rng.uniform(-4, 4), rng.uniform(-4, 4), rng.uniform(-3, 3))
        let head = Ellipsoid(center: shift, radii: SIMD3(72, 92, 80) * scale * aspect)
        let skullThickness = rng.uniform(5, 9)
        let scalp = rng.uniform(3, 6)
        let skullOuter = Ellipsoid(center: shift, radii: head.radii - scalp)
        let brain = Ellipsoid(center: shift, radii: skullOuter.radii - skullThickness)
        let asym = rng.uniform(-2.5, 2.5)
        let ventricleRadii = SIMD3(rng.uniform(5, 9), rng.uniform(18, 26), rng.uniform(10, 15)) * scale
        let leftVentricle = Ellipsoid(center: shift + SIMD3(-9 + asym, -4, 6), radii: ventricleRadii)
        let rightVentricle = Ellipsoid(center: shift + SIMD3(9 + asym, -4, 6), radii: ventricleRadii * SIMD3(1, rng.uniform(0.9, 1.1), 1))
        let hasLesion = rng.nextUnitDouble() < s.lesionProbability
        var lesion: Ellipsoid?
        if hasLesion {
            // Place the lesion inside the brain, away from the ventricles' centre line.
            let dir = SIMD3(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-0.6, 0.6))
            let radius = SIMD3(rng.uniform(6, 14), rng.uniform(6, 14), rng.uniform(6, 12))
            lesion = Ellipsoid(center: shift + dir * brain.radii * 0.55, radii: radius)
        }

        let shape = s.shape
        let centre = SIMD3(Double(shape.width - 1), Double(shape.height - 1), Double(shape.depth - 1)) / 2
        var labels = [Float](repeating: 0, count: shape.voxelCount)
        labels.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachChunk(count: shape.depth) { ks in
                for k in ks { for j in 0..<shape.height { for i in 0..<shape.width {
                    let p = (SIMD3(Double(i), Double(j), Double(k)) - centre) * s.spacingMM
                    var label = Label.background
                    if head.contains(p) {
                        label = .softTissue
                        if skullOuter.contains(p) { label = .bone }
                        if brain.contains(p) {
                            label = .brain
                            if leftVentricle.contains(p) || rightVentricle.contains(p) { label = .csf }
                            if let lesion, lesion.contains(p) { label = .lesion }
                        }
                    }
                    out[(k * shape.height + j) * shape.width + i] = Float(label.rawValue)
                } } }
            }
        }
        // CT: tissue means, then Gaussian noise from a per-slice stream so threads do not change the result.
        var ct = [Float](repeating: 0, count: shape.voxelCount)
        let labelMap = labels
        let noiseBase = rng.split(1_000_003)
        ct.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            Parallel.forEachChunk(count: shape.depth) { ks in
                for k in ks {
                    var noise = noiseBase.split(UInt64(k))
                    for n in (k * shape.sliceCount)..<((k + 1) * shape.sliceCount) {
                        let hu = s.meanHU[Int(labelMap[n])]
                        out[n] = Float(hu + (labelMap[n] == 0 ? 0 : s.ctNoiseHU * noise.nextNormal()))
                    }
                }
            }
        }
        let affine = Affine(spacingMM: s.spacingMM, originMM: -centre * s.spacingMM)
        return Case(labels: Volume(shape: shape, voxels: labels, affine: affine, modality: .label),
                    ct: Volume(shape: shape, voxels: ct, affine: affine, modality: .ct),
                    hasLesion: hasLesion)
    }
}

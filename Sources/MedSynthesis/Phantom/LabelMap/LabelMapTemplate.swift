import Foundation
import MedCore
import MedIO

/// A user's label map (FreeSurfer aseg, SynthSeg, …) turned into a `BrainTemplate`, so the phantom renders its
/// anatomy (`LabelMapPhantom`), and the grids that take the rendered case back onto the label map.
///
/// - Tissue grid: 1 mm, RAS, in the label map's world millimetres, centred on the middle of the label map's field
///   of view (the point the phantom places at its grid centre). Each 1 mm voxel holds the share of each brain
///   tissue among S³ nearest-neighbour samples of the label map (S = ⌈1 mm / smallest voxel size⌉, at most 4), so
///   a 1 mm label map's voxel centres get exactly its labels (one-hot), finer maps are box-averaged.
/// - Brain envelope: the brain mask (every label the table does not call background) on a 2 mm grid reaching
///   `envelopeMarginMM` beyond it, closed over the sulci by a 6 mm ball, holes filled, smoothed (Gaussian σ 2 mm,
///   > 0.5) and united with the mask itself (so no labelled voxel falls outside), then its exact signed Euclidean
///   distance (`DistanceTransform`, MedIO's exact EDT) — the recipe of `scripts/make_brain_template.py`. A coarse cell counts as
///   brain when brain lies within 2 mm of it, so the envelope runs up to 2 mm outside the labelled brain (which
///   keeps every labelled voxel wholly inside; the gap renders as CSF).
/// - Output grid: for a label map whose axes are the RAS axes in any order and direction (FreeSurfer's LIA 256³,
///   RAS, LPS, …) the phantom renders on the RAS grid of the same voxel centres and `reoriented` puts the volumes
///   back in the label map's own voxel order, shape and affine, so they overlay it voxel for voxel. An oblique
///   label map is rendered on the RAS grid that covers its field of view at its smallest voxel size, with that
///   grid's affine (in the label map's world millimetres).
public final class LabelMapTemplate: Sendable {
    /// Margin (mm) of the envelope grid beyond the brain: the brain template's 36 mm plus a cell.
    public static let envelopeMarginMM: Float = 40
    /// Spacing of the envelope grid (mm).
    public static let envelopeSpacingMM: Float = 2
    /// Radius of the ball that closes the brain mask over the sulci (mm).
    public static let closingRadiusMM: Float = 6
    /// σ of the Gaussian that smooths the closed mask (mm).
    public static let smoothingSigmaMM: Double = 2

    /// The label map file (for messages).
    public let source: String
    /// SHA-256 of the label map file's bytes (hex): how provenance names it.
    public let digest: String
    /// The label table used.
    public let table: LabelTable
    /// The tissue of every label value the map holds.
    public let labelTissues: [Float: LabelTissue]
    /// The brain template built from the map.
    let template: BrainTemplate
    /// The grid the phantom renders on (RAS; `HeadPhantomSettings.shape`).
    public let renderShape: VolumeShape
    /// Its voxel size (mm; `HeadPhantomSettings.spacingMM`).
    public let renderSpacingMM: SIMD3<Double>
    /// The grid of the volumes `reoriented` returns: the label map's own for an axis-aligned map.
    public let outputShape: VolumeShape
    /// Their affine (the label map's world millimetres).
    public let outputAffine: Affine
    /// The label map's value at every output voxel (nearest neighbour; the map itself for an axis-aligned map).
    public let sourceLabels: [Float]
    /// For an axis-aligned map, per label-map axis (i, j, k): the RAS axis it runs along and whether it runs
    /// backwards; nil for an oblique map.
    let axes: [(ras: Int, flipped: Bool)]?

    /// Whether the output volumes lie on the label map's own grid (an axis-aligned map); false for an oblique
    /// map, whose output is a RAS grid over its field of view.
    public var overlaysLabelMap: Bool { axes != nil }

    /// Builds the template of a label map.
    /// - Parameters:
    ///   - labels: the label map (integer values, any orientation).
    ///   - table: label value → tissue.
    ///   - unknown: the tissue of values the table lacks, or nil to refuse them.
    ///   - source: the file it came from (for messages).
    ///   - digest: the file's SHA-256 (hex).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `source`: label values the table lacks (listed),
    ///   non-integer values, a degenerate affine, or no brain label at all; `.tooLarge` for a render grid beyond
    ///   `VolumeShape.maximumVoxelCount`.
    public init(labels: Volume, table: LabelTable, unknown: LabelTissue?, source: String, digest: String) throws {
        self.source = source
        self.digest = digest
        self.table = table
        let tissueOf = try table.resolve(Set(labels.voxels), unknown: unknown, source: source)
        labelTissues = tissueOf
        guard tissueOf.values.contains(where: { $0 != .background }) else {
            throw MedSynthError(.invalidArgument, source, "holds no label that table '\(table.name)' maps to a brain tissue; expected a brain segmentation")
        }
        let a = labels.affine
        guard let inverse = a.inverted() else {
            throw MedSynthError(.invalidArgument, source, "has a singular affine \(a); expected a voxel-to-world transform")
        }
        let shape = labels.shape
        let extents = [shape.width, shape.height, shape.depth]
        let columnLengths = a.columnLengthsMM
        // Axis-aligned: each column has one non-zero entry, in distinct rows.
        var found: [(ras: Int, flipped: Bool)] = []
        for c in 0..<3 {
            let column = (0..<3).map { a[$0, c] }
            let r = column.indices.max { abs(column[$0]) < abs(column[$1]) }!
            let off = column.indices.filter { $0 != r }.map { abs(column[$0]) }.max()!
            if off <= 1e-4 * abs(column[r]) { found.append((r, column[r] < 0)) }
        }
        let corners = (0..<8).map { n -> SIMD3<Double> in
            a.apply(SIMD3(n & 1 == 0 ? 0 : Double(extents[0] - 1), n & 2 == 0 ? 0 : Double(extents[1] - 1),
                          n & 4 == 0 ? 0 : Double(extents[2] - 1)))
        }
        let low = corners.reduce(SIMD3<Double>(repeating: .infinity)) { pointwiseMin($0, $1) }
        let high = corners.reduce(SIMD3<Double>(repeating: -.infinity)) { pointwiseMax($0, $1) }
        let centre = 0.5 * (low + high)
        if found.count == 3, Set(found.map(\.ras)).count == 3 {
            axes = found
            var ras = [0, 0, 0], spacing = SIMD3<Double>.zero
            for c in 0..<3 {
                ras[found[c].ras] = extents[c]
                spacing[found[c].ras] = columnLengths[c]
            }
            renderShape = VolumeShape(depth: ras[2], height: ras[1], width: ras[0])
            renderSpacingMM = spacing
            outputShape = shape
            outputAffine = a
            sourceLabels = labels.voxels
        } else {
            axes = nil
            let h = columnLengths.min()
            let counts = ((high - low) / h).rounded(.up) + 1
            renderShape = VolumeShape(depth: Int(counts.z), height: Int(counts.y), width: Int(counts.x))
            renderSpacingMM = SIMD3(repeating: h)
            outputShape = renderShape
            outputAffine = Affine(spacingMM: renderSpacingMM, originMM: centre - 0.5 * (counts - 1) * h)
            guard renderShape.voxelCount <= VolumeShape.maximumVoxelCount else {
                throw MedSynthError(.tooLarge, source, "needs a render grid of \(renderShape) for its oblique field of view; expected at most \(VolumeShape.maximumVoxelCount) voxels")
            }
            var values = [Float](repeating: 0, count: renderShape.voxelCount)
            let (w, hh) = (renderShape.width, renderShape.height)
            let out = outputAffine
            for n in values.indices {
                let world = out.apply(SIMD3(Double(n % w), Double((n / w) % hh), Double(n / (w * hh))))
                values[n] = LabelMapTemplate.nearest(labels, inverse: inverse, world: world) ?? 0
            }
            sourceLabels = values
        }
        template = LabelMapTemplate.buildTemplate(labels: labels, inverse: inverse, tissueOf: tissueOf, low: low, high: high,
                                                  centre: centre, source: source)
    }

    /// The label map's value nearest to a world point, nil outside its grid.
    static func nearest(_ labels: Volume, inverse: Affine, world: SIMD3<Double>) -> Float? {
        let u = inverse.apply(world).rounded(.toNearestOrAwayFromZero)
        let s = labels.shape
        guard u.x >= 0, u.y >= 0, u.z >= 0, Int(u.x) < s.width, Int(u.y) < s.height, Int(u.z) < s.depth else { return nil }
        return labels.voxels[(Int(u.z) * s.height + Int(u.y)) * s.width + Int(u.x)]
    }

    // labels: [D, H, W] any orientation -> BrainTemplate (1 mm RAS tissue grid, 2 mm envelope grid)
    private static func buildTemplate(labels: Volume, inverse: Affine, tissueOf: [Float: LabelTissue],
                                      low: SIMD3<Double>, high: SIMD3<Double>, centre: SIMD3<Double>,
                                      source: String) -> BrainTemplate {
        // The tissue grid is centred on `centre` (the template's centre is the middle of its grid); its extents
        // have the parity of the field of view so that a 1 mm map's voxel centres fall on grid points.
        let pad = 2
        let fov = high - low
        func count(_ e: Double) -> Int { Int((e - 1e-6).rounded(.up)) + 1 + 2 * pad }
        let m = SIMD3<Int>(count(fov.x), count(fov.y), count(fov.z))
        let tissueShape = VolumeShape(depth: m.z, height: m.y, width: m.x)
        let origin = centre - 0.5 * SIMD3<Double>(Double(m.x - 1), Double(m.y - 1), Double(m.z - 1))
        let smallest = labels.affine.columnLengthsMM.min()
        let samples = min(4, max(1, Int((1 / smallest - 1e-6).rounded(.up))))
        let levels = BrainTemplate.probabilityLevels
        var tissues = [SIMD4<UInt8>](repeating: .zero, count: tissueShape.voxelCount)
        var brain = [Float](repeating: 0, count: tissueShape.voxelCount)
        let channel: [LabelTissue: Int] = [.greyMatter: 0, .deepGreyMatter: 1, .whiteMatter: 2, .ventricles: 3]
        // Label → (channel or -1 for CSF, -2 for background), for the inner loop.
        let code: [Float: Int] = tissueOf.mapValues { $0 == .background ? -2 : channel[$0] ?? -1 }
        let (w, h) = (m.x, m.y)
        let perSample = 1 / Float(samples * samples * samples)
        tissues.withUnsafeMutableBufferPointer { tb in
            brain.withUnsafeMutableBufferPointer { bb in
                let (tp, bp) = (tb.baseAddress!, bb.baseAddress!)
                Parallel.forEachChunk(count: m.z) { slices in
                    for k in slices {
                        for j in 0..<h {
                            for i in 0..<w {
                                var counts = SIMD4<Float>.zero, inBrain: Float = 0
                                let corner = origin + SIMD3(Double(i), Double(j), Double(k)) - 0.5
                                for c in 0..<(samples * samples * samples) {
                                    let sub = SIMD3(Double(c % samples), Double((c / samples) % samples), Double(c / (samples * samples)))
                                    let p = corner + (sub + 0.5) / Double(samples)
                                    guard let label = nearest(labels, inverse: inverse, world: p), let t = code[label], t != -2 else { continue }
                                    inBrain += perSample
                                    if t >= 0 { counts[t] += perSample }
                                }
                                let n = (k * h + j) * w + i
                                tp[n] = SIMD4<UInt8>((counts * levels).rounded(.toNearestOrEven))
                                bp[n] = inBrain
                            }
                        }
                    }
                }
            }
        }
        let envelope = envelopeDistance(brain: brain, tissueShape: tissueShape, tissueOrigin: origin)
        return BrainTemplate(tissueShape: tissueShape, tissueOriginMM: SIMD3<Float>(origin), tissues: tissues,
                             envelopeShape: envelope.shape, envelopeOriginMM: envelope.origin,
                             envelopeSpacingMM: envelopeSpacingMM, envelope: envelope.distance,
                             directory: URL(fileURLWithPath: source))
    }

    /// The signed distance to the brain envelope on a 2 mm grid over the brain's bounding box plus the margin.
    // brain: [D, H, W] 1 mm brain fractions -> distance: [D', H', W'] mm at 2 mm
    static func envelopeDistance(brain: [Float], tissueShape: VolumeShape,
                                 tissueOrigin: SIMD3<Double>) -> (shape: VolumeShape, origin: SIMD3<Float>, distance: [Float]) {
        let (w, h) = (tissueShape.width, tissueShape.height)
        var lowIndex = SIMD3<Int>(repeating: .max), highIndex = SIMD3<Int>(repeating: .min)
        for (n, b) in brain.enumerated() where b > 0 {
            let p = SIMD3(n % w, (n / w) % h, n / (w * h))
            lowIndex = pointwiseMin(lowIndex, p)
            highIndex = pointwiseMax(highIndex, p)
        }
        let s = envelopeSpacingMM, margin = envelopeMarginMM
        let low = SIMD3<Float>(tissueOrigin) + SIMD3<Float>(lowIndex) - margin
        let cells = ((SIMD3<Float>(highIndex &- lowIndex) + 2 * margin) / s).rounded(.up) + 1
        let shape = VolumeShape(depth: Int(cells.z), height: Int(cells.y), width: Int(cells.x))
        let (cw, ch) = (shape.width, shape.height)
        // A coarse cell is brain when any 1 mm voxel with brain in it lies within 2 mm (per axis) of its centre: then
        // the 8 cells around every such voxel are brain, so the interpolated distance there is ≤ −1 mm and the
        // voxel is wholly intracranial.
        var mask = [Bool](repeating: false, count: shape.voxelCount)
        let tissueOriginF = SIMD3<Float>(tissueOrigin)
        for (n, b) in brain.enumerated() where b > 0 {
            let t = tissueOriginF + SIMD3<Float>(Float(n % w), Float((n / w) % h), Float(n / (w * h)))
            let from = ((t - 2 - low) / s).rounded(.up), to = ((t + 2 - low) / s).rounded(.down)
            for k in max(0, Int(from.z))...min(shape.depth - 1, Int(to.z)) {
                for j in max(0, Int(from.y))...min(ch - 1, Int(to.y)) {
                    for i in max(0, Int(from.x))...min(cw - 1, Int(to.x)) { mask[(k * ch + j) * cw + i] = true }
                }
            }
        }
        let spacing = SIMD3<Double>(repeating: Double(s))
        let r2 = Double(closingRadiusMM * closingRadiusMM)
        // Closing: dilate by the ball, then erode the dilation by it.
        let toMask = DistanceTransform.squaredDistances(to: mask, shape: shape, spacingMM: spacing)
        let dilated = toMask.map { $0 <= r2 }
        let toOutside = DistanceTransform.squaredDistances(to: dilated.map { !$0 }, shape: shape, spacingMM: spacing)
        var closed = zip(toOutside, mask).map { $0 > r2 || $1 }
        fillHoles(&closed, shape: shape)
        var smooth = closed.map { $0 ? Float(1) : 0 }
        let sigma = smoothingSigmaMM / Double(s)
        let kernel = GaussianBlur3D.kernel(sigmaVoxels: sigma, radiusSigmas: 3)
        GaussianBlur3D.blurSeparable(&smooth, shape: shape, kernels: (kernel, kernel, kernel))
        let inside = zip(smooth, mask).map { $0 > 0.5 || $1 }
        let distance = signedDistance(inside: inside, shape: shape, spacingMM: spacing)
        return (shape, low, distance)
    }

    /// Signed distance (mm) to the boundary of `inside` (`DistanceTransform`, the exact EDT): negative inside,
    /// positive outside, the boundary taken halfway between voxel centres (inside voxels: −(distance to the nearest
    /// outside voxel − h/2); outside voxels: distance to the nearest inside voxel − h/2, h the smallest spacing).
    static func signedDistance(inside: [Bool], shape: VolumeShape, spacingMM: SIMD3<Double>) -> [Float] {
        let toInside = DistanceTransform.squaredDistances(to: inside, shape: shape, spacingMM: spacingMM)
        let toOutside = DistanceTransform.squaredDistances(to: inside.map { !$0 }, shape: shape, spacingMM: spacingMM)
        let half = spacingMM.min() / 2
        return inside.indices.map { n in
            Float(inside[n] ? -(toOutside[n].squareRoot() - half) : toInside[n].squareRoot() - half)
        }
    }

    /// Sets every false voxel not connected (6-neighbourhood) to the grid's border through false voxels.
    static func fillHoles(_ mask: inout [Bool], shape: VolumeShape) {
        let (w, h, d) = (shape.width, shape.height, shape.depth)
        var outside = [Bool](repeating: false, count: mask.count)
        var stack: [Int] = []
        for n in mask.indices where !mask[n] {
            let i = n % w, j = (n / w) % h, k = n / (w * h)
            if i == 0 || j == 0 || k == 0 || i == w - 1 || j == h - 1 || k == d - 1 {
                outside[n] = true
                stack.append(n)
            }
        }
        while let n = stack.popLast() {
            let i = n % w, j = (n / w) % h, k = n / (w * h)
            for (ok, m) in [(i > 0, n - 1), (i < w - 1, n + 1), (j > 0, n - w), (j < h - 1, n + w),
                            (k > 0, n - w * h), (k < d - 1, n + w * h)] where ok && !mask[m] && !outside[m] {
                outside[m] = true
                stack.append(m)
            }
        }
        for n in mask.indices { mask[n] = !outside[n] }
    }

    /// A rendered volume (on `renderShape`, RAS) on the output grid: the label map's voxel order and affine for
    /// an axis-aligned map; the render grid with `outputAffine` for an oblique one.
    public func reoriented(_ volume: Volume) -> Volume {
        precondition(volume.shape == renderShape, "volume \(volume.shape) is not on the render grid \(renderShape)")
        guard let axes else {
            return Volume(shape: outputShape, voxels: volume.voxels, affine: outputAffine, modality: volume.modality, unit: volume.unit)
        }
        let (w, h, d) = (outputShape.width, outputShape.height, outputShape.depth)
        let extents = [w, h, d]
        // Stride in the render grid of one step along each RAS axis.
        let rasStride = [1, renderShape.width, renderShape.width * renderShape.height]
        var step = [0, 0, 0], start = 0
        for c in 0..<3 {
            let stride = rasStride[axes[c].ras]
            if axes[c].flipped {
                step[c] = -stride
                start += (extents[c] - 1) * stride
            } else {
                step[c] = stride
            }
        }
        var out = [Float](repeating: 0, count: outputShape.voxelCount)
        volume.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let (s, o) = (src.baseAddress!, dst.baseAddress!)
                Parallel.forEachChunk(count: d) { slices in
                    for k in slices {
                        for j in 0..<h {
                            var from = start + k * step[2] + j * step[1]
                            let row = (k * h + j) * w
                            for i in 0..<w {
                                o[row + i] = s[from]
                                from += step[0]
                            }
                        }
                    }
                }
            }
        }
        return Volume(shape: outputShape, voxels: out, affine: outputAffine, modality: volume.modality, unit: volume.unit)
    }

    /// Reads a label map file and builds its template.
    /// - Throws: `MedSynthError` naming the file: the NIfTI reader's errors, and `init`'s.
    public static func read(_ url: URL, table: LabelTable, unknown: LabelTissue?) throws -> LabelMapTemplate {
        let volume = try NIfTIFile.read(url).volume
        let digest = try FileDigest.sha256Hex(of: url)
        return try LabelMapTemplate(labels: volume, table: table, unknown: unknown, source: url.path, digest: digest)
    }
}

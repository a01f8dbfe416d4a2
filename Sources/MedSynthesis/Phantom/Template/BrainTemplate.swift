import Foundation
import MedCore
import MedIO

/// The real brain the phantom's anatomy is built on: tissue probability maps of the MNI ICBM152 2009a nonlinear
/// symmetric average (vendored under `Resources/BrainTemplate`, with its McGill notice; rebuilt by
/// `scripts/make_brain_template.py`), in MNI millimetres (RAS).
///
/// - Tissue grid (1 mm): probabilities of cortical grey matter, deep grey matter, white matter and ventricular
///   CSF, packed per voxel as four levels 0…63 (`SIMD4<UInt8>`). Whatever the brain mask holds beyond them is
///   subarachnoid and sulcal CSF (the renderer takes it as the remainder).
/// - Envelope grid (3 mm): signed distance (mm, negative inside) to the brain envelope, the brain mask closed over
///   the sulci and smoothed; the skull's CSF layer and the skull are built outwards from it.
///
/// Loaded once per process (`shared()`): about 40 MB in memory, 0.3 s to read. Immutable after `init` (hence
/// `@unchecked Sendable`: its raw maps are never written again).
public final class BrainTemplate: @unchecked Sendable {
    /// The levels a stored probability is quantised to (a voxel value v means v / levels).
    public static let probabilityLevels: Float = 63
    /// What the template is, for provenance and reports.
    public static let name = "MNI ICBM152 2009a nonlinear symmetric (nilearn 0.14.1 copy)"

    /// Extents of the tissue grid.
    public let tissueShape: VolumeShape
    /// MNI position (mm) of tissue voxel (0, 0, 0); the grid's spacing is 1 mm.
    public let tissueOriginMM: SIMD3<Float>
    /// Per voxel: cortical grey, deep grey, white matter, ventricles, each 0…63 (`probabilityLevels`). Raw memory
    /// owned by the template (read per voxel on the render's hot path; freed in `deinit`).
    let tissues: UnsafeMutableBufferPointer<SIMD4<UInt8>>
    /// Extents of the envelope-distance grid.
    public let envelopeShape: VolumeShape
    /// MNI position (mm) of envelope voxel (0, 0, 0).
    public let envelopeOriginMM: SIMD3<Float>
    /// Spacing of the envelope grid (mm, isotropic).
    public let envelopeSpacingMM: Float
    /// Signed distance to the envelope (mm), x fastest; owned like `tissues`.
    let envelope: UnsafeMutableBufferPointer<Float>
    /// The middle of the tissue grid (MNI mm): the point placed at the head centre.
    public let centreMM: SIMD3<Float>
    /// Centroid of the ventricle map (MNI mm): the centre of ventricular enlargement.
    public let ventricleCentroidMM: SIMD3<Float>
    /// The folder the maps were read from.
    public let directory: URL

    /// The files of a template folder.
    public static let tissueFiles = ["cortical_grey_matter", "deep_grey_matter", "white_matter", "ventricles"]
    /// The envelope-distance file.
    public static let envelopeFile = "envelope_distance"
    /// The template's own T1 average (only for measuring likeness).
    public static let t1File = "t1"

    /// The vendored template folder inside the MedSynthesis resource bundle.
    public static var bundledDirectory: URL? {
        Bundle.module.url(forResource: "BrainTemplate", withExtension: nil)
    }

    private static let loaded: Result<BrainTemplate, MedSynthError> = {
        guard let directory = bundledDirectory else {
            return .failure(MedSynthError(.notFound, "brain template",
                                          "is missing from MedSynth's resource bundle (Resources/BrainTemplate); rebuild MedSynth with `swift build -c release`"))
        }
        do { return .success(try BrainTemplate(directory: directory)) } catch let e as MedSynthError {
            return .failure(e)
        } catch {
            return .failure(MedSynthError(.corrupt, directory.path, "cannot be read as the brain template: \(error)"))
        }
    }()

    /// The bundled template, read on first use and kept for the life of the process.
    /// - Throws: `MedSynthError` naming the file when the bundle lacks a map or a map is unreadable.
    public static func shared() throws -> BrainTemplate { try loaded.get() }

    /// Reads a template folder (the layout `scripts/make_brain_template.py` writes).
    /// - Throws: `MedSynthError` naming the file: `.notFound` for a missing map, `.mismatch` when the tissue maps'
    ///   grids differ or a grid is not axis-aligned with positive spacing.
    public convenience init(directory: URL) throws {
        func read(_ name: String) throws -> Volume {
            let url = directory.appendingPathComponent(name + ".nii.gz")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw MedSynthError(.notFound, url.path, "is missing; expected the brain template's \(name) map (scripts/make_brain_template.py writes it)")
            }
            return try NIfTIFile.read(url).volume
        }
        func grid(_ v: Volume, _ name: String) throws -> (origin: SIMD3<Float>, spacing: Float) {
            let a = v.affine
            let s = a.columnLengthsMM
            let offDiagonal = [a[0, 1], a[0, 2], a[1, 0], a[1, 2], a[2, 0], a[2, 1]]
            guard offDiagonal.allSatisfy({ $0 == 0 }), a[0, 0] > 0, a[1, 1] > 0, a[2, 2] > 0,
                  abs(s.x - s.y) < 1e-6, abs(s.x - s.z) < 1e-6 else {
                throw MedSynthError(.mismatch, directory.appendingPathComponent(name + ".nii.gz").path,
                                    "has affine \(a); expected an isotropic RAS grid without rotation")
            }
            return (SIMD3<Float>(Float(a[0, 3]), Float(a[1, 3]), Float(a[2, 3])), Float(s.x))
        }
        let maps = try BrainTemplate.tissueFiles.map(read)
        let first = maps[0]
        let firstGrid = try grid(first, BrainTemplate.tissueFiles[0])
        for (n, m) in maps.enumerated().dropFirst() where m.shape != first.shape || !m.affine.isClose(to: first.affine, tolerance: 1e-6) {
            throw MedSynthError(.mismatch, directory.appendingPathComponent(BrainTemplate.tissueFiles[n] + ".nii.gz").path,
                                "has grid \(m.shape) \(m.affine); expected the grid of \(BrainTemplate.tissueFiles[0]) (\(first.shape) \(first.affine))")
        }
        guard abs(firstGrid.spacing - 1) < 1e-6 else {
            throw MedSynthError(.mismatch, directory.appendingPathComponent(BrainTemplate.tissueFiles[0] + ".nii.gz").path,
                                "has \(firstGrid.spacing) mm voxels; expected 1 mm")
        }
        let levels = BrainTemplate.probabilityLevels
        var packed = [SIMD4<UInt8>](repeating: .zero, count: first.shape.voxelCount)
        for n in packed.indices {
            var v = SIMD4<UInt8>.zero
            for c in 0..<4 {
                let p = maps[c].voxels[n]
                guard p.isFinite, p >= -1e-4, p <= 1 + 1e-4 else {
                    throw MedSynthError(.corrupt, directory.appendingPathComponent(BrainTemplate.tissueFiles[c] + ".nii.gz").path,
                                        "holds \(p) at voxel \(n); expected probabilities 0...1")
                }
                v[c] = UInt8((min(max(p, 0), 1) * levels).rounded())
            }
            packed[n] = v
        }
        let distance = try read(BrainTemplate.envelopeFile)
        let envelopeGrid = try grid(distance, BrainTemplate.envelopeFile)
        guard distance.voxels.allSatisfy(\.isFinite) else {
            throw MedSynthError(.corrupt, directory.appendingPathComponent(BrainTemplate.envelopeFile + ".nii.gz").path,
                                "holds a non-finite distance; expected millimetres")
        }
        self.init(tissueShape: first.shape, tissueOriginMM: firstGrid.origin, tissues: packed,
                  envelopeShape: distance.shape, envelopeOriginMM: envelopeGrid.origin,
                  envelopeSpacingMM: envelopeGrid.spacing, envelope: distance.voxels, directory: directory)
    }

    /// A template from maps in memory (e.g. built from a user's label map).
    /// - Parameters:
    ///   - tissueShape: extents of the 1 mm tissue grid.
    ///   - tissueOriginMM: position (mm) of tissue voxel (0, 0, 0) in the template's RAS frame.
    ///   - tissues: per voxel (x fastest) cortical grey, deep grey, white matter, ventricles, each 0…63.
    ///   - envelopeShape: extents of the envelope grid.
    ///   - envelopeOriginMM: position (mm) of envelope voxel (0, 0, 0).
    ///   - envelopeSpacingMM: the envelope grid's isotropic spacing (mm).
    ///   - envelope: signed distance (mm, negative inside) to the brain envelope, x fastest.
    ///   - directory: where the maps came from (for messages and the T1), if anywhere.
    /// - Precondition: the arrays' counts match the shapes; the envelope spacing is positive.
    init(tissueShape: VolumeShape, tissueOriginMM: SIMD3<Float>, tissues: [SIMD4<UInt8>], envelopeShape: VolumeShape,
         envelopeOriginMM: SIMD3<Float>, envelopeSpacingMM: Float, envelope: [Float], directory: URL) {
        precondition(tissues.count == tissueShape.voxelCount && envelope.count == envelopeShape.voxelCount && envelopeSpacingMM > 0)
        self.tissueShape = tissueShape
        self.tissueOriginMM = tissueOriginMM
        self.tissues = .allocate(capacity: max(1, tissues.count))
        _ = self.tissues.initialize(from: tissues)
        self.envelopeShape = envelopeShape
        self.envelopeOriginMM = envelopeOriginMM
        self.envelopeSpacingMM = envelopeSpacingMM
        self.envelope = .allocate(capacity: max(1, envelope.count))
        _ = self.envelope.initialize(from: envelope)
        self.directory = directory
        var weighted = SIMD3<Double>.zero, ventricleTotal = 0.0
        let w = tissueShape.width, h = tissueShape.height
        for (n, v) in tissues.enumerated() where v[3] > 0 {
            let p = Double(v[3])
            weighted += p * SIMD3(Double(n % w), Double((n / w) % h), Double(n / (w * h)))
            ventricleTotal += p
        }
        let extent = SIMD3<Float>(Float(tissueShape.width - 1), Float(tissueShape.height - 1), Float(tissueShape.depth - 1))
        centreMM = tissueOriginMM + 0.5 * extent
        ventricleCentroidMM = ventricleTotal > 0 ? tissueOriginMM + SIMD3<Float>(weighted / ventricleTotal) : centreMM
    }

    deinit {
        tissues.deallocate()
        envelope.deallocate()
    }

    /// The template's own T1 average on the tissue grid (read on each call; for likeness measurements).
    /// - Throws: `MedSynthError` naming the file when it is missing or on another grid.
    public func t1() throws -> Volume {
        let url = directory.appendingPathComponent(BrainTemplate.t1File + ".nii.gz")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MedSynthError(.notFound, url.path, "is missing; expected the brain template's T1 average")
        }
        let v = try NIfTIFile.read(url).volume
        guard v.shape == tissueShape else {
            throw MedSynthError(.mismatch, url.path, "has shape \(v.shape); expected the tissue grid's \(tissueShape)")
        }
        return v
    }

    /// Tissue probabilities at MNI point `y` (mm), trilinear: (cortical grey, deep grey, white matter, ventricles).
    /// Zero outside the grid (whose border voxels are empty).
    @inline(__always)
    func tissueProbabilities(at y: SIMD3<Float>) -> SIMD4<Float> {
        let u = y - tissueOriginMM
        let f = u.rounded(.down)
        let i = Int(f.x), j = Int(f.y), k = Int(f.z)
        let w = tissueShape.width, h = tissueShape.height
        guard i >= 0, j >= 0, k >= 0, i < w - 1, j < h - 1, k < tissueShape.depth - 1 else { return .zero }
        let t = u - f
        let p = tissues.baseAddress.unsafelyUnwrapped + (k * h + j) * w + i
        let plane = w * h
        @inline(__always) func v(_ q: UnsafeMutablePointer<SIMD4<UInt8>>) -> SIMD4<Float> { SIMD4<Float>(q.pointee) }
        let c00 = v(p) + t.x * (v(p + 1) - v(p))
        let c10 = v(p + w) + t.x * (v(p + w + 1) - v(p + w))
        let c01 = v(p + plane) + t.x * (v(p + plane + 1) - v(p + plane))
        let c11 = v(p + plane + w) + t.x * (v(p + plane + w + 1) - v(p + plane + w))
        let c0 = c00 + t.y * (c10 - c00), c1 = c01 + t.y * (c11 - c01)
        return (c0 + t.z * (c1 - c0)) * (1 / BrainTemplate.probabilityLevels)
    }

    /// Signed distance (mm, negative inside) from MNI point `y` to the brain envelope, trilinear; `outside` when
    /// `y` is beyond the grid (which reaches 36 mm past the brain).
    @inline(__always)
    func envelopeDistance(at y: SIMD3<Float>, outside: Float = 1000) -> Float {
        let u = (y - envelopeOriginMM) * (1 / envelopeSpacingMM)
        let f = u.rounded(.down)
        let i = Int(f.x), j = Int(f.y), k = Int(f.z)
        let w = envelopeShape.width, h = envelopeShape.height
        guard i >= 0, j >= 0, k >= 0, i < w - 1, j < h - 1, k < envelopeShape.depth - 1 else { return outside }
        let t = u - f
        let p = envelope.baseAddress.unsafelyUnwrapped + (k * h + j) * w + i
        let plane = w * h
        let c00 = p[0] + t.x * (p[1] - p[0])
        let c10 = p[w] + t.x * (p[w + 1] - p[w])
        let c01 = p[plane] + t.x * (p[plane + 1] - p[plane])
        let c11 = p[plane + w] + t.x * (p[plane + w + 1] - p[plane + w])
        let c0 = c00 + t.y * (c10 - c00), c1 = c01 + t.y * (c11 - c01)
        return c0 + t.z * (c1 - c0)
    }

    /// A scalar map on the tissue grid (e.g. `t1()`'s voxels) at MNI point `y`, trilinear; 0 outside the grid.
    /// - Precondition: `values.count == tissueShape.voxelCount`.
    public func sampleTissueGrid(_ values: [Float], atMNI y: SIMD3<Float>) -> Float {
        precondition(values.count == tissueShape.voxelCount, "\(values.count) values for a \(tissueShape) grid")
        let u = y - tissueOriginMM
        let f = u.rounded(.down)
        let i = Int(f.x), j = Int(f.y), k = Int(f.z)
        let w = tissueShape.width, h = tissueShape.height
        guard i >= 0, j >= 0, k >= 0, i < w - 1, j < h - 1, k < tissueShape.depth - 1 else { return 0 }
        let t = u - f
        let n = (k * h + j) * w + i, plane = w * h
        func lerp(_ a: Int) -> Float { values[a] + t.x * (values[a + 1] - values[a]) }
        let c0 = lerp(n) + t.y * (lerp(n + w) - lerp(n))
        let c1 = lerp(n + plane) + t.y * (lerp(n + plane + w) - lerp(n + plane))
        return c0 + t.z * (c1 - c0)
    }

    /// The MNI bounding box of the envelope grid (mm).
    public var envelopeBoundsMM: (low: SIMD3<Float>, high: SIMD3<Float>) {
        let extent = SIMD3<Float>(Float(envelopeShape.width - 1), Float(envelopeShape.height - 1),
                                  Float(envelopeShape.depth - 1)) * envelopeSpacingMM
        return (envelopeOriginMM, envelopeOriginMM + extent)
    }
}

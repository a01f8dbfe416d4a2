import MedCore
import MedIO

/// One case to augment: named, co-registered image volumes (CT, T1, …) and an optional label map, all on the
/// same grid (equal shape and affine). Spatial transforms move every volume identically; intensity transforms
/// touch images only, never the label map.
public struct AugmentationCase: Sendable, Equatable {
    /// The images by name ("CT", "T1", …). Transforms visit them in `imageNames` order.
    public private(set) var images: [String: Volume]
    /// The label map (integer class values stored as Float), if any.
    public private(set) var labels: Volume?

    /// Creates a case and checks that every volume shares one grid.
    /// - Parameters:
    ///   - images: named image volumes; at least one volume (image or label map) is required.
    ///   - labels: an optional label map on the same grid.
    /// - Throws: `MedSynthError(.mismatch)` naming the first volume whose shape or affine differs from the
    ///   first one's; `.invalidArgument` when there is no volume at all.
    public init(images: [String: Volume], labels: Volume? = nil) throws {
        let names = images.keys.sorted()
        guard let reference = names.first.map({ images[$0]! }) ?? labels else {
            throw MedSynthError(.invalidArgument, "case", "has no volume; expected at least one image or a label map")
        }
        for (name, volume) in names.map({ ($0, images[$0]!) }) + (labels.map { [("labels", $0)] } ?? []) {
            guard volume.shape == reference.shape else {
                throw MedSynthError(.mismatch, name, "has shape \(volume.shape); expected \(reference.shape) like the other volumes of the case")
            }
            guard volume.affine.isClose(to: reference.affine, tolerance: 1e-6) else {
                throw MedSynthError(.mismatch, name, "has affine \(volume.affine); expected \(reference.affine) like the other volumes of the case")
            }
        }
        self.images = images
        self.labels = labels
    }

    /// The five images of a phantom case, named by modality ("CT", "T1", "T2", "FLAIR", "PET"), and its labels.
    public init(phantomCase c: HeadPhantomCase) {
        // A phantom case is co-registered by construction.
        images = [c.ct, c.t1, c.t2, c.flair, c.pet].reduce(into: [:]) { $0[$1.modality.rawValue] = $1 }
        labels = c.labels
    }

    /// The image names in the order transforms visit them (sorted, so the order never depends on hashing).
    public var imageNames: [String] { images.keys.sorted() }

    /// The shared grid: extents and voxel spacing.
    public var geometry: AugmentationGeometry {
        let v = labels ?? images[imageNames[0]]!
        return AugmentationGeometry(shape: v.shape, spacingMM: v.spacingMM, affine: v.affine)
    }

    /// Replaces the voxels of image `name`, keeping its geometry.
    /// - Precondition: the image exists and `voxels` has its voxel count.
    public mutating func setImageVoxels(_ name: String, _ voxels: [Float]) {
        precondition(images[name]?.voxels.count == voxels.count, "image \(name) missing or voxel count differs")
        images[name]!.voxels = voxels
    }

    /// Replaces the label map's voxels, keeping its geometry.
    /// - Precondition: there is a label map and `voxels` has its voxel count.
    public mutating func setLabelVoxels(_ voxels: [Float]) {
        precondition(labels?.voxels.count == voxels.count, "label map missing or voxel count differs")
        labels!.voxels = voxels
    }

    /// Changes the voxels of image `name` through `body` in place: no copy is made when nothing else holds the
    /// array (the dictionary entry is modified where it lies).
    /// - Precondition: the image exists and `body` keeps the voxel count.
    mutating func modifyImageVoxels<R>(_ name: String, _ body: (inout [Float]) throws -> R) rethrows -> R {
        precondition(images[name] != nil, "image \(name) missing")
        let count = images[name]!.voxels.count
        defer { precondition(images[name]!.voxels.count == count, "image \(name) changed its voxel count") }
        return try body(&images[name]!.voxels)
    }

    /// Changes the label map's voxels through `body` in place (see `modifyImageVoxels`).
    /// - Precondition: there is a label map and `body` keeps the voxel count.
    mutating func modifyLabelVoxels<R>(_ body: (inout [Float]) throws -> R) rethrows -> R {
        precondition(labels != nil, "label map missing")
        let count = labels!.voxels.count
        defer { precondition(labels!.voxels.count == count, "the label map changed its voxel count") }
        return try body(&labels!.voxels)
    }

    /// A case without volumes that only holds a place while a workspace owns the real one; never transformed.
    static var placeholder: AugmentationCase { AugmentationCase(images: [:], uncheckedLabels: nil) }

    private init(images: [String: Volume], uncheckedLabels labels: Volume?) {
        self.images = images
        self.labels = labels
    }

    /// The names of the images an intensity transform restricted to `modalities` touches (all when nil).
    public func imageNames(matching modalities: [Modality]?) -> [String] {
        guard let modalities else { return imageNames }
        return imageNames.filter { modalities.contains(images[$0]!.modality) }
    }
}

/// The grid a case lives on, which transforms see when they draw their parameters.
public struct AugmentationGeometry: Sendable, Equatable {
    /// The extents: depth (k), height (j), width (i).
    public var shape: VolumeShape
    /// Voxel spacing along width, height and depth in mm.
    public var spacingMM: SIMD3<Double>
    /// The voxel-to-world transform.
    public var affine: Affine

    /// Creates a geometry.
    public init(shape: VolumeShape, spacingMM: SIMD3<Double>, affine: Affine? = nil) {
        self.shape = shape
        self.spacingMM = spacingMM
        self.affine = affine ?? Affine(spacingMM: spacingMM)
    }

    /// The extents as (width, height, depth), matching `spacingMM`'s axis order.
    public var extentsXYZ: SIMD3<Int> { SIMD3(shape.width, shape.height, shape.depth) }
}

import MedCore
import MedIO

/// A case being changed by a sequence of transforms, with a note of which voxel arrays the sequence may
/// overwrite.
///
/// A 256 × 256 × 128 volume is 32 MiB, and writing a fresh array of that size costs more than the arithmetic of
/// a flip, a gamma curve or additive noise (first-touch page faults). So a pipeline gives all its steps one
/// workspace: the first step that changes an image writes a new array (the caller's case is never changed),
/// and later steps change that array in place — or, for kernels that must read the whole source while writing
/// (resampling, separable blurs), write into a *spare*: an array an earlier step of the same run released.
///
/// "May overwrite" is only a hint about speed, never about correctness: every in-place write goes through
/// `withUnsafeMutableBufferPointer`, so an array that something else still holds is copied first
/// (copy-on-write) and the other holder's values stay intact.
///
/// Kernels see raw pointers:
/// - `updateImage`/`updateLabels`: `body(source, destination)` where destination may *be* source (in place), so
///   it must read each value before writing it — element-wise maps and slice-by-slice kernels that buffer a
///   slice first;
/// - `replaceImage`/`replaceAll`: destination and source are distinct arrays.
public struct AugmentationWorkspace: Sendable {
    /// The case in its current state.
    public private(set) var augmentationCase: AugmentationCase
    /// Images whose arrays this workspace made (or was handed) and nothing else is meant to hold.
    private var writableImages: Set<String>
    /// Whether the label map's array is this workspace's.
    private var writableLabels: Bool
    /// Arrays of the case's voxel count that steps released, reused as destinations.
    private var spares: [[Float]] = []
    /// Where spares come from when there are none, and go to at the end of a run (`recycleSpares`).
    private let recycler: VoxelArrayRecycler?

    /// A workspace that leaves `augmentationCase`'s arrays alone: every image a step changes is first written
    /// into a new array.
    /// - Parameter recycler: arrays from earlier runs to write into before allocating new ones.
    public init(_ augmentationCase: AugmentationCase, recycler: VoxelArrayRecycler? = nil) {
        self.augmentationCase = augmentationCase
        writableImages = []
        writableLabels = false
        self.recycler = recycler
    }

    /// A workspace that owns `augmentationCase`'s arrays and changes them in place; the caller's variable is left
    /// holding an empty placeholder until `finish(into:)` (or reading `augmentationCase`) hands the case back.
    /// Taking the case out of the caller's variable is what makes its arrays uniquely held, so in-place writes
    /// need no copy.
    public init(taking augmentationCase: inout AugmentationCase, recycler: VoxelArrayRecycler? = nil) {
        self.recycler = recycler
        self.augmentationCase = augmentationCase
        augmentationCase = .placeholder
        writableImages = Set(self.augmentationCase.images.keys)
        writableLabels = self.augmentationCase.labels != nil
    }

    /// Runs `body` on a workspace over `augmentationCase` (which is not changed) and returns the resulting case.
    public static func applying(to augmentationCase: AugmentationCase,
                                _ body: (inout AugmentationWorkspace) throws -> Void) rethrows -> AugmentationCase {
        var workspace = AugmentationWorkspace(augmentationCase)
        try body(&workspace)
        return workspace.augmentationCase
    }

    /// Moves the case into `destination` (the workspace keeps an empty placeholder) and hands the spares to the
    /// recycler.
    public mutating func finish(into destination: inout AugmentationCase) {
        destination = augmentationCase
        augmentationCase = .placeholder
        recycleSpares()
    }

    /// Hands the arrays that steps released to the recycler (dropped without one).
    public mutating func recycleSpares() {
        recycler?.give(spares)
        spares = []
    }

    /// The case's grid.
    public var geometry: AugmentationGeometry { augmentationCase.geometry }

    /// Rewrites image `name` with `body(source, destination)`. Destination is source when the workspace owns the
    /// array, else a new array (source is then the original, left unchanged). `body` must write every voxel and
    /// give the same result in both cases.
    mutating func updateImage(_ name: String, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        if writableImages.contains(name) {
            try augmentationCase.modifyImageVoxels(name) { voxels in
                try voxels.withUnsafeMutableBufferPointer { p in try body(UnsafePointer(p.baseAddress!), p.baseAddress!) }
            }
        } else {
            try replaceImage(name, body)
        }
    }

    /// Rewrites the label map like `updateImage`.
    /// - Precondition: the case has a label map.
    mutating func updateLabels(_ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        if writableLabels {
            try augmentationCase.modifyLabelVoxels { voxels in
                try voxels.withUnsafeMutableBufferPointer { p in try body(UnsafePointer(p.baseAddress!), p.baseAddress!) }
            }
        } else {
            try replaceAll(images: [], labels: true) { sources, destinations in try body(sources[0], destinations[0]) }
        }
    }

    /// Replaces image `name` by `body(source, destination)` with distinct arrays; destination is a spare or a
    /// new array, and the old array becomes a spare when the workspace owned it.
    mutating func replaceImage(_ name: String, _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        try replaceAll(images: [name], labels: false) { sources, destinations in try body(sources[0], destinations[0]) }
    }

    /// Replaces several volumes at once (one resampling pass for all): `body(sources, destinations)` gets the
    /// images in the order of `images`, then the label map when `labels` is true.
    /// - Precondition: the images exist, and the label map when `labels` is true.
    mutating func replaceAll(images names: [String], labels: Bool,
                             _ body: ([UnsafePointer<Float>], [UnsafeMutablePointer<Float>]) throws -> Void) rethrows {
        let count = augmentationCase.geometry.shape.voxelCount
        var sources = names.map { augmentationCase.images[$0]!.voxels }
        if labels { sources.append(augmentationCase.labels!.voxels) }
        let boxes = sources.map { _ in
            VoxelArrayBox(spares.popLast() ?? recycler?.take(count: count) ?? VoxelPointers.uninitializedArray(voxels: count))
        }
        try VoxelPointers.withBaseAddresses(sources) { sourcePointers in
            try VoxelPointers.withMutableBaseAddresses(boxes) { destinations in try body(sourcePointers, destinations) }
        }
        sources = []   // drop these references, so the released arrays are held by the spares alone
        for (n, name) in names.enumerated() {
            var fresh = boxes[n].take()
            augmentationCase.modifyImageVoxels(name) { swap(&$0, &fresh) }
            if writableImages.contains(name) { spares.append(fresh) }
            writableImages.insert(name)
        }
        if labels {
            var fresh = boxes[names.count].take()
            augmentationCase.modifyLabelVoxels { swap(&$0, &fresh) }
            if writableLabels { spares.append(fresh) }
            writableLabels = true
        }
    }
}

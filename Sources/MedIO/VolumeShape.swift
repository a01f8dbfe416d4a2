import MedCore

/// The shape of a volume: depth (slices, the axial axis), height (rows) and width (columns).
public struct VolumeShape: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// Number of slices (NIfTI's k axis). A 2D image has depth 1.
    public var depth: Int
    /// Number of rows per slice (NIfTI's j axis).
    public var height: Int
    /// Number of columns per row (NIfTI's i axis, fastest in memory).
    public var width: Int

    /// Creates a shape.
    /// - Precondition: every extent is at least 1.
    public init(depth: Int, height: Int, width: Int) {
        precondition(depth >= 1 && height >= 1 && width >= 1, "extents must be >= 1, got \(depth)x\(height)x\(width)")
        self.depth = depth
        self.height = height
        self.width = width
    }

    /// depth × height × width.
    public var voxelCount: Int { depth * height * width }
    /// height × width: the number of voxels in one slice.
    public var sliceCount: Int { height * width }

    /// "D×H×W".
    public var description: String { "\(depth)x\(height)x\(width)" }

    /// The largest number of voxels MedSynth allocates for one volume (2^31, 8 GiB of Float32). Readers check
    /// headers against it before allocating, so a header claiming 2^40 voxels is an error, not a crash.
    public static let maximumVoxelCount = 1 << 31

    /// Validates extents read from a file header before anything is allocated.
    /// - Parameters:
    ///   - extents: depth, height, width as the header states them.
    ///   - file: the file, for the error message.
    /// - Throws: `MedSynthError(.corrupt)` for extents below 1, `.tooLarge` above `maximumVoxelCount`.
    public static func validated(depth: Int, height: Int, width: Int, file: String) throws -> VolumeShape {
        for (name, v) in [("depth", depth), ("height", height), ("width", width)] where v < 1 {
            throw MedSynthError(.corrupt, file, "header gives \(name) \(v); expected at least 1")
        }
        let (dh, o1) = depth.multipliedReportingOverflow(by: height)
        let (n, o2) = dh.multipliedReportingOverflow(by: width)
        if o1 || o2 || n > maximumVoxelCount {
            throw MedSynthError(.tooLarge, file, "header claims \(depth)x\(height)x\(width) voxels, more than the limit of \(maximumVoxelCount)")
        }
        return VolumeShape(depth: depth, height: height, width: width)
    }
}

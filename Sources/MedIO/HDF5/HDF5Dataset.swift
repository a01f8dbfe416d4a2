import CHDF5
import MedCore

/// A dataset in an HDF5 file: an n-dimensional array of one element type, possibly chunked and compressed.
///
/// Shape, element type, chunking and filters are read when the dataset is opened (and the shape again after
/// `extend(to:)`). Reading and writing live in `HDF5Dataset+IO.swift`: whole-dataset and hyperslab
/// (`start`/`count`) access, converted by HDF5 to and from any `HDF5Scalar` type.
public final class HDF5Dataset: HDF5Object {
    /// The absolute path in the file.
    public let path: String
    /// The file's path as the user named it.
    public var fileName: String { context.file }
    /// The extents, slowest-varying axis first (numpy order). Empty for a scalar dataset.
    public internal(set) var shape: [Int]
    /// The largest extents the dataset may grow to; nil entries are unlimited.
    public let maxShape: [Int?]
    /// The element type stored in the file.
    public let elementType: HDF5ElementType
    /// The chunk extents for chunked datasets; nil for contiguous or compact storage.
    public let chunkShape: [Int]?
    /// The filter pipeline in order, e.g. `["shuffle", "deflate(4)"]`.
    public let filters: [String]
    /// The dataset's attributes.
    public var attributes: HDF5Attributes { HDF5Attributes(owner: handle, ownerPath: path, context: context) }

    /// The largest number of bytes one read allocates (8 GiB, the size of `VolumeShape.maximumVoxelCount`
    /// Float32 voxels). A dataset whose header claims more is refused before anything is allocated.
    public static let maximumReadBytes = VolumeShape.maximumVoxelCount * MemoryLayout<Float>.size

    let handle: HDF5Handle
    let context: HDF5Context
    /// False when the dataspace is HDF5's "null" (no elements at all, shape []).
    let hasElements: Bool
    /// Filters in the pipeline that this HDF5 build cannot decode, with their names (e.g. "lzf (32000)").
    let unavailableFilters: [String]

    /// Reads the dataset's metadata.
    /// - Throws: `MedSynthError(.corrupt)` naming the file and dataset when the header is unreadable or states
    ///   extents beyond `Int.max`.
    init(handle: HDF5Handle, path: String, context: HDF5Context) throws {
        self.handle = handle
        self.path = path
        self.context = context
        let space = try context.handle(H5Dget_space(handle.id), .dataspace, .corrupt, "cannot read the dataspace of dataset '\(path)'")
        let extent = try HDF5Dataset.extent(of: space, context: context, what: "dataset '\(path)'")
        shape = extent.shape
        maxShape = extent.maxShape
        hasElements = extent.hasElements
        let type = try context.handle(H5Dget_type(handle.id), .datatype, .corrupt, "cannot read the type of dataset '\(path)'")
        elementType = HDF5ElementType(typeID: type.id)
        let dcpl = try context.handle(H5Dget_create_plist(handle.id), .propertyList, .corrupt,
                                      "cannot read the storage settings of dataset '\(path)'")
        if H5Pget_layout(dcpl.id) == H5D_CHUNKED, !shape.isEmpty {
            var dims = [hsize_t](repeating: 0, count: shape.count)
            let rank = H5Pget_chunk(dcpl.id, Int32(dims.count), &dims)
            chunkShape = rank == dims.count ? dims.map { Int(clamping: $0) } : nil
        } else {
            chunkShape = nil
        }
        let pipeline = HDF5Dataset.filterPipeline(dcpl, context: context)
        filters = pipeline.names
        unavailableFilters = pipeline.unavailable
        _ = HDF5Context.drainErrorStack()
    }

    /// The number of elements, or nil when the product of the extents overflows `Int`.
    public var elementCount: Int? {
        guard hasElements else { return 0 }
        return HDF5Dataset.product(shape)
    }

    /// The product of `extents`, or nil on overflow.
    static func product(_ extents: [Int]) -> Int? {
        var n = 1
        for e in extents {
            let (p, overflow) = n.multipliedReportingOverflow(by: e)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Shape, maximum shape, and whether a dataspace has elements; extents beyond `Int.max` are an error.
    static func extent(of space: HDF5Handle, context: HDF5Context, what: String)
        throws -> (shape: [Int], maxShape: [Int?], hasElements: Bool) {
        let kind = H5Sget_simple_extent_type(space.id)
        if kind == H5S_NULL { return ([], [], false) }
        if kind == H5S_SCALAR { return ([], [], true) }
        let rank = try context.check(H5Sget_simple_extent_ndims(space.id), .corrupt, "cannot read the rank of \(what)")
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        var maxDims = [hsize_t](repeating: 0, count: Int(rank))
        try context.check(H5Sget_simple_extent_dims(space.id, &dims, &maxDims), .corrupt, "cannot read the extents of \(what)")
        var shape: [Int] = []
        for d in dims {
            guard let e = Int(exactly: d) else {
                throw MedSynthError(.corrupt, context.file, "\(what) claims an extent of \(d), beyond any array MedSynth can address")
            }
            shape.append(e)
        }
        let unlimited = ms_h5s_unlimited()
        let maxShape: [Int?] = maxDims.map { $0 == unlimited ? nil : Int(exactly: $0) ?? nil }
        return (shape, maxShape, true)
    }

    /// Names of the filters in a dataset-creation property list ("shuffle", "deflate(4)", "lzf (32000)"), and
    /// those the linked HDF5 cannot decode.
    private static func filterPipeline(_ dcpl: HDF5Handle, context: HDF5Context) -> (names: [String], unavailable: [String]) {
        let count = max(0, H5Pget_nfilters(dcpl.id))
        var names: [String] = [], unavailable: [String] = []
        for index in 0..<UInt32(count) {
            var flags: UInt32 = 0, config: UInt32 = 0
            var cdCount = 8
            var cd = [UInt32](repeating: 0, count: cdCount)
            var nameBuffer = [CChar](repeating: 0, count: 128)
            let id = H5Pget_filter2(dcpl.id, index, &flags, &cdCount, &cd, nameBuffer.count, &nameBuffer, &config)
            guard id >= 0 else { continue }
            let filterID = UInt32(id)
            let name: String
            switch filterID {
            case ms_h5z_filter_deflate(): name = "deflate(\(cdCount > 0 ? cd[0] : 0))"
            case ms_h5z_filter_shuffle(): name = "shuffle"
            case ms_h5z_filter_fletcher32(): name = "fletcher32"
            case ms_h5z_filter_szip(): name = "szip"
            case ms_h5z_filter_nbit(): name = "nbit"
            case ms_h5z_filter_scaleoffset(): name = "scaleoffset"
            default:
                let given = HDF5Context.string(fromCBuffer: nameBuffer)
                name = given.isEmpty ? "filter \(filterID)" : "\(given) (\(filterID))"
            }
            names.append(name)
            if H5Zfilter_avail(id) <= 0 { unavailable.append(name) }
        }
        _ = HDF5Context.drainErrorStack()
        return (names, unavailable)
    }
}

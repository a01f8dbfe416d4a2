import CHDF5
import MedCore

/// Creating datasets in a group.
extension HDF5Group {
    /// The chunk size, in bytes, that a default chunk shape stays under (1 MiB, HDF5's default chunk cache).
    public static let defaultChunkBytes = 1 << 20

    /// Creates a numeric dataset, filled with zeros until written.
    ///
    /// Chunked storage is used when `chunkShape`, `maxShape` other than `shape`, `shuffle` or `deflateLevel`
    /// asks for it; without a `chunkShape` the chunk then spans the trailing axes and as many leading entries as
    /// fit in `defaultChunkBytes`. Missing parent groups in `name` ("cases/a/CT") are created.
    ///
    /// - Parameters:
    ///   - name: the dataset's path relative to this group (or absolute).
    ///   - elementType: a numeric type; stored little-endian.
    ///   - shape: the extents, slowest axis first (rank 1…32, each ≥ 0), or `[]` for a scalar dataset (HDF5's
    ///     scalar dataspace, one element, as h5py writes a 0-d array; never chunked).
    ///   - maxShape: the extents it may grow to with `extend(to:)`/`append`; nil entries are unlimited; nil
    ///     means fixed at `shape`.
    ///   - chunkShape: the chunk extents (each ≥ 1, at most the fixed maximum extent).
    ///   - shuffle: byte-shuffle before compression (helps deflate on floats).
    ///   - deflateLevel: gzip level 0…9, nil for no compression.
    /// - Returns: the new dataset.
    /// - Throws: `MedSynthError` naming the file and the dataset path: `.invalidArgument` (bad shape, chunk or
    ///   level, quoting it), `.unsupported` (non-numeric type), `.writeFailed` (exists, read-only file).
    public func createDataset(_ name: String, elementType: HDF5ElementType, shape: [Int], maxShape: [Int?]? = nil,
                              chunkShape: [Int]? = nil, shuffle: Bool = false,
                              deflateLevel: Int? = nil) throws -> HDF5Dataset {
        HDF5Library.prepareThread()
        try HDF5Path.validate(name, file: context.file, what: "dataset path")
        let target = HDF5Path.absolute(name, from: path)
        func invalid(_ message: String) -> MedSynthError {
            MedSynthError(.invalidArgument, context.file, "dataset '\(target)': \(message)")
        }
        guard let fileType = elementType.fileTypeID, let byteCount = elementType.byteCount else {
            throw MedSynthError(.unsupported, context.file,
                                "dataset '\(target)': cannot create \(elementType.name) datasets; use one of \(HDF5ElementType.numericTypes.map(\.name))")
        }
        guard (0...32).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            throw invalid("shape \(shape) must have 0 (a scalar) to 32 extents, each at least 0")
        }
        if shape.isEmpty && (maxShape != nil || chunkShape != nil || shuffle || deflateLevel != nil) {
            throw invalid("a scalar dataset cannot be chunked, compressed or resized")
        }
        let maxShape = maxShape ?? shape.map { Optional($0) }
        guard maxShape.count == shape.count, zip(shape, maxShape).allSatisfy({ s, m in m.map { $0 >= s } ?? true }) else {
            throw invalid("maximum shape \(HDF5Dataset.describe(maxShape)) must have one entry per axis of shape \(shape), each at least the extent")
        }
        if let level = deflateLevel, !(0...9).contains(level) {
            throw invalid("deflate level \(level) is outside 0…9")
        }
        let needsChunks = chunkShape != nil || shuffle || deflateLevel != nil || maxShape != shape.map { Optional($0) }
        var chunk: [Int]? = nil
        if needsChunks {
            let c = chunkShape ?? HDF5Group.defaultChunk(shape: shape, maxShape: maxShape, byteCount: byteCount)
            guard c.count == shape.count, c.allSatisfy({ $0 >= 1 }),
                  zip(c, maxShape).allSatisfy({ c, m in m.map { c <= max($0, 1) } ?? true }) else {
                throw invalid("chunk shape \(c) must have one entry per axis of shape \(shape), each at least 1 and at most the maximum extent \(HDF5Dataset.describe(maxShape))")
            }
            guard let elements = HDF5Dataset.product(c), elements <= Int(UInt32.max) / byteCount else {
                throw invalid("chunk shape \(c) is over HDF5's 4 GiB chunk limit")
            }
            chunk = c
        }
        if kind(at: name) != nil { throw MedSynthError(.writeFailed, context.file, "'\(target)' already exists") }
        let parentPath = HDF5Path.components(name).dropLast().joined(separator: "/")
        let parent = parentPath.isEmpty ? (name.hasPrefix("/") ? try group("/") : self)
                                        : try createGroups((name.hasPrefix("/") ? "/" : "") + parentPath)
        let leaf = HDF5Path.components(name).last ?? name

        let unlimited = ms_h5s_unlimited()
        let dims = shape.map { hsize_t($0) }
        let maxDims = maxShape.map { $0.map { hsize_t($0) } ?? unlimited }
        let spaceID = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, maxDims)
        let space = try context.handle(spaceID, .dataspace, .writeFailed,
                                       "cannot create the dataspace for dataset '\(target)' of shape \(shape)")
        let dcpl = try context.handle(H5Pcreate(ms_h5p_dataset_create()), .propertyList, .writeFailed, "cannot create a property list")
        try context.check(H5Pset_obj_track_times(dcpl.id, false), .writeFailed, "cannot configure dataset '\(target)'")
        if let chunk {
            try context.check(H5Pset_chunk(dcpl.id, Int32(chunk.count), chunk.map { hsize_t($0) }), .writeFailed,
                              "cannot set chunk shape \(chunk) on dataset '\(target)'")
            if shuffle {
                try context.check(H5Pset_shuffle(dcpl.id), .writeFailed, "cannot enable shuffle on dataset '\(target)'")
            }
            if let level = deflateLevel {
                try context.check(H5Pset_deflate(dcpl.id, UInt32(level)), .writeFailed, "cannot enable deflate on dataset '\(target)'")
            }
        }
        let id = H5Dcreate2(parent.handle.id, leaf, fileType, space.id, ms_h5p_default(), dcpl.id, ms_h5p_default())
        let h = try context.handle(id, .dataset, .writeFailed, "cannot create dataset '\(target)'")
        return try HDF5Dataset(handle: h, path: target, context: context)
    }

    /// A chunk that spans the trailing axes and as many leading entries as fit in `defaultChunkBytes`.
    static func defaultChunk(shape: [Int], maxShape: [Int?], byteCount: Int) -> [Int] {
        var chunk = zip(shape, maxShape).map { s, m in max(1, min(s, m ?? s)) }
        // Doubles: the product of absurd extents must not overflow.
        let limit = Double(defaultChunkBytes)
        for axis in chunk.indices {
            let rest = chunk[(axis + 1)...].reduce(Double(byteCount)) { $0 * Double($1) }
            if rest * Double(chunk[axis]) <= limit { break }
            chunk[axis] = max(1, Int(limit / rest))
        }
        return chunk
    }
}

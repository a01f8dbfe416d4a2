import CHDF5
import MedCore

/// Reading, writing and growing a dataset.
///
/// Element types are converted by HDF5: `read(as: Float.self)` on an int16 dataset gives exact values, and
/// `write([Double])` into a float32 dataset rounds. Sizes are checked against `maximumReadBytes` before any
/// allocation; `start`/`count` against the shape, with errors that quote both.
extension HDF5Dataset {
    // MARK: - Whole dataset

    /// Reads every element, in C order (last axis fastest).
    /// - Parameter type: the Swift element type to convert to.
    /// - Returns: `elementCount` values.
    /// - Throws: `MedSynthError` naming the file and dataset: `.unsupported` (not numeric, or a filter this
    ///   HDF5 cannot decode), `.tooLarge` (more than `maximumReadBytes`), `.corrupt` (HDF5 read error).
    public func read<T: HDF5Scalar>(as type: T.Type = T.self) throws -> [T] {
        HDF5Library.prepareThread()
        try checkReadable(as: T.self)
        let n = try checkedAllocation(shape, elementSize: MemoryLayout<T>.stride)
        guard n > 0 else { return [] }
        return try transfer(count: n, fileSpace: nil, memoryShape: nil, as: T.self)
    }

    /// Writes every element, in C order (last axis fastest).
    /// - Parameter values: exactly `elementCount` values.
    /// - Throws: `MedSynthError` naming the file and dataset: `.mismatch` (wrong count), `.unsupported`
    ///   (not numeric), `.writeFailed` (read-only file, HDF5 error).
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        HDF5Library.prepareThread()
        try checkWritable(as: T.self)
        guard let n = elementCount, values.count == n else {
            throw MedSynthError(.mismatch, context.file,
                                "dataset '\(path)' of shape \(shape) holds \(elementCount.map(String.init) ?? "too many") elements; got \(values.count) values")
        }
        guard n > 0 else { return }
        try store(values, fileSpace: nil, memoryShape: nil)
    }

    // MARK: - Hyperslabs

    /// Reads the block of `count` elements per axis starting at `start` (e.g. one slice of a volume:
    /// `start: [k, 0, 0], count: [1, H, W]`) without reading the rest of the dataset.
    /// - Returns: `count.reduce(1, *)` values in C order.
    /// - Throws: `MedSynthError(.invalidArgument)` when the block does not fit the shape; otherwise as `read(as:)`.
    public func read<T: HDF5Scalar>(start: [Int], count: [Int], as type: T.Type = T.self) throws -> [T] {
        HDF5Library.prepareThread()
        try checkReadable(as: T.self)
        try checkBlock(start: start, count: count)
        let n = try checkedAllocation(count, elementSize: MemoryLayout<T>.stride)
        guard n > 0 else { return [] }
        let space = try selection(start: start, count: count, failure: .corrupt)
        return try transfer(count: n, fileSpace: space, memoryShape: count, as: T.self)
    }

    /// Writes the block of `count` elements per axis starting at `start`.
    /// - Parameter values: `count.reduce(1, *)` values in C order.
    /// - Throws: `MedSynthError` naming the file and dataset: `.invalidArgument` (block outside the shape),
    ///   `.mismatch` (wrong number of values), `.writeFailed`.
    public func write<T: HDF5Scalar>(_ values: [T], start: [Int], count: [Int]) throws {
        HDF5Library.prepareThread()
        try checkWritable(as: T.self)
        try checkBlock(start: start, count: count)
        let n = HDF5Dataset.product(count) ?? -1
        guard values.count == n else {
            throw MedSynthError(.mismatch, context.file,
                                "block \(count) of dataset '\(path)' holds \(n) elements; got \(values.count) values")
        }
        guard n > 0 else { return }
        let space = try selection(start: start, count: count, failure: .writeFailed)
        try store(values, fileSpace: space, memoryShape: count)
    }

    // MARK: - Growing

    /// Changes the extents of a chunked dataset (growing fills with the fill value, 0).
    /// - Parameter newShape: same rank as `shape`, each extent at most the corresponding `maxShape` entry.
    /// - Throws: `MedSynthError` naming the file and dataset: `.invalidArgument` (rank, negative or beyond
    ///   `maxShape`), `.unsupported` (not chunked: HDF5 only resizes chunked datasets), `.writeFailed`.
    public func extend(to newShape: [Int]) throws {
        HDF5Library.prepareThread()
        guard newShape.count == shape.count else {
            throw MedSynthError(.invalidArgument, context.file,
                                "new shape \(newShape) has rank \(newShape.count); dataset '\(path)' has shape \(shape)")
        }
        for axis in newShape.indices where newShape[axis] < 0 || (maxShape[axis].map { newShape[axis] > $0 } ?? false) {
            throw MedSynthError(.invalidArgument, context.file,
                                "new shape \(newShape) exceeds the maximum shape \(HDF5Dataset.describe(maxShape)) of dataset '\(path)' on axis \(axis)")
        }
        guard chunkShape != nil else {
            throw MedSynthError(.unsupported, context.file,
                                "dataset '\(path)' is not chunked, so it cannot be resized (create it with a chunkShape and maxShape)")
        }
        let dims = newShape.map { hsize_t($0) }
        try context.check(H5Dset_extent(handle.id, dims), .writeFailed,
                          "cannot resize dataset '\(path)' from \(shape) to \(newShape)")
        shape = newShape
    }

    /// Grows the dataset by `rows` along its first axis and writes `values` into the new rows (e.g. one more
    /// slice of a volume, or a batch of samples).
    /// - Parameters:
    ///   - values: `rows × (product of the other extents)` values in C order.
    ///   - rows: how many entries of the first axis to add.
    /// - Throws: `MedSynthError` naming the file and dataset: `.mismatch` (wrong count), `.invalidArgument`
    ///   (beyond `maxShape`), `.unsupported` (not chunked), `.writeFailed`. A failed write shrinks the dataset
    ///   back.
    public func append<T: HDF5Scalar>(_ values: [T], alongFirstAxis rows: Int) throws {
        HDF5Library.prepareThread()
        guard !shape.isEmpty, rows >= 0 else {
            throw MedSynthError(.invalidArgument, context.file,
                                "cannot append \(rows) rows to dataset '\(path)' of shape \(shape)")
        }
        let rowShape = Array(shape.dropFirst())
        guard let rowSize = HDF5Dataset.product(rowShape), let needed = HDF5Dataset.product([rows, rowSize]),
              values.count == needed else {
            throw MedSynthError(.mismatch, context.file,
                                "\(rows) rows of shape \(rowShape) for dataset '\(path)' need \(rows)×\(HDF5Dataset.product(rowShape) ?? -1) values; got \(values.count)")
        }
        try checkWritable(as: T.self)
        let old = shape
        try extend(to: [old[0] + rows] + rowShape)
        do {
            try write(values, start: [old[0]] + rowShape.map { _ in 0 }, count: [rows] + rowShape)
        } catch {
            try? extend(to: old)
            throw error
        }
    }

    // MARK: - Checks and transfers

    /// "[nil, 64, 64]" with "unlimited" for nil entries.
    static func describe(_ maxShape: [Int?]) -> String {
        "[" + maxShape.map { $0.map(String.init) ?? "unlimited" }.joined(separator: ", ") + "]"
    }

    /// Refuses non-numeric types and filters this HDF5 cannot decode.
    private func checkReadable<T: HDF5Scalar>(as type: T.Type) throws {
        guard elementType.isNumeric else {
            throw MedSynthError(.unsupported, context.file,
                                "dataset '\(path)' holds \(elementType.name) elements; cannot read them as \(T.hdf5ElementType.name)")
        }
        if !unavailableFilters.isEmpty {
            throw MedSynthError(.unsupported, context.file,
                                "dataset '\(path)' is compressed with \(unavailableFilters.joined(separator: ", ")), which this HDF5 build cannot decode")
        }
    }

    /// Refuses non-numeric types.
    private func checkWritable<T: HDF5Scalar>(as type: T.Type) throws {
        guard elementType.isNumeric else {
            throw MedSynthError(.unsupported, context.file,
                                "dataset '\(path)' holds \(elementType.name) elements; cannot write \(T.hdf5ElementType.name) values")
        }
    }

    /// The element count of `extents`, refused with `.tooLarge` when it overflows or exceeds `maximumReadBytes`.
    private func checkedAllocation(_ extents: [Int], elementSize: Int) throws -> Int {
        guard hasElements else { return 0 }
        guard let n = HDF5Dataset.product(extents), n <= HDF5Dataset.maximumReadBytes / elementSize else {
            throw MedSynthError(.tooLarge, context.file,
                                "reading \(extents) elements of dataset '\(path)' needs more than the limit of \(HDF5Dataset.maximumReadBytes) bytes")
        }
        return n
    }

    /// Checks that `start`/`count` describe a block inside the shape.
    private func checkBlock(start: [Int], count: [Int]) throws {
        guard start.count == shape.count, count.count == shape.count, hasElements else {
            throw MedSynthError(.invalidArgument, context.file,
                                "start \(start) and count \(count) must have one entry per axis of dataset '\(path)' of shape \(shape)")
        }
        for axis in shape.indices {
            let (end, overflow) = start[axis].addingReportingOverflow(count[axis])
            if start[axis] < 0 || count[axis] < 0 || overflow || end > shape[axis] {
                throw MedSynthError(.invalidArgument, context.file,
                                    "start \(start) + count \(count) is outside dataset '\(path)' of shape \(shape) on axis \(axis)")
            }
        }
    }

    /// The file dataspace with the block selected.
    private func selection(start: [Int], count: [Int], failure: MedSynthError.Kind) throws -> HDF5Handle {
        let space = try context.handle(H5Dget_space(handle.id), .dataspace, failure, "cannot read the dataspace of dataset '\(path)'")
        if !shape.isEmpty {
            let s = start.map { hsize_t($0) }, c = count.map { hsize_t($0) }
            try context.check(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, s, nil, c, nil), failure,
                              "cannot select start \(start) count \(count) in dataset '\(path)'")
        }
        return space
    }

    /// A simple memory dataspace of `shape`.
    private func memorySpace(_ shape: [Int], failure: MedSynthError.Kind) throws -> HDF5Handle {
        let dims = shape.map { hsize_t($0) }
        return try context.handle(H5Screate_simple(Int32(dims.count), dims, nil), .dataspace, failure, "cannot create a dataspace")
    }

    /// Reads `count` elements from `fileSpace` (nil: everything) into a new array.
    private func transfer<T: HDF5Scalar>(count: Int, fileSpace: HDF5Handle?, memoryShape: [Int]?, as type: T.Type) throws -> [T] {
        let memory = try memoryShape.map { try memorySpace($0, failure: .corrupt) }
        let all = ms_h5s_all()
        let memoryType = try T.nativeTypeID(context)
        var status: herr_t = -1
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = H5Dread(handle.id, memoryType, memory?.id ?? all, fileSpace?.id ?? all,
                             ms_h5p_default(), buffer.baseAddress)
            initialized = status >= 0 ? count : 0
        }
        withExtendedLifetime((memory, fileSpace)) {}
        try context.check(status, .corrupt, "cannot read dataset '\(path)' as \(T.hdf5ElementType.name)")
        return values
    }

    /// Writes `values` to `fileSpace` (nil: everything).
    private func store<T: HDF5Scalar>(_ values: [T], fileSpace: HDF5Handle?, memoryShape: [Int]?) throws {
        let memory = try memoryShape.map { try memorySpace($0, failure: .writeFailed) }
        let all = ms_h5s_all()
        let memoryType = try T.nativeTypeID(context)
        let status = values.withUnsafeBufferPointer { buffer in
            H5Dwrite(handle.id, memoryType, memory?.id ?? all, fileSpace?.id ?? all,
                     ms_h5p_default(), buffer.baseAddress)
        }
        withExtendedLifetime((memory, fileSpace)) {}
        try context.check(status, .writeFailed, "cannot write \(T.hdf5ElementType.name) values to dataset '\(path)'")
    }
}

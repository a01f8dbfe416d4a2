import CHDF5
import Foundation
import MedCore

/// The attributes of a group or dataset: small named values (numbers, strings, short arrays).
///
/// ```swift
/// try ds.attributes.set("spacing_mm", [2.0, 0.5, 0.5])
/// let unit = try ds.attributes.string("unit")        // nil when absent
/// ```
///
/// Reading an absent attribute gives nil; reading one of another kind (a string as a number) throws
/// `.mismatch`. Setting replaces any existing attribute of that name, whatever its type.
public struct HDF5Attributes {
    /// The most elements MedIO reads from one attribute (attributes are meant to be small).
    public static let maximumElementCount = 1 << 20

    let owner: HDF5Handle
    let ownerPath: String
    let context: HDF5Context

    // MARK: - Listing

    /// The attribute names, sorted.
    /// - Throws: `MedSynthError(.corrupt)` naming the file and object.
    public func names() throws -> [String] {
        HDF5Library.prepareThread()
        final class Names { var list: [String] = [] }
        let names = Names()
        let status = withExtendedLifetime(names) {
            H5Aiterate2(owner.id, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        try context.check(status, .corrupt, "cannot list the attributes of '\(ownerPath)'")
        return names.list.sorted()
    }

    /// True when an attribute `name` exists.
    /// - Throws: `MedSynthError(.corrupt)` naming the file and object.
    public func contains(_ name: String) throws -> Bool {
        HDF5Library.prepareThread()
        return try context.check(H5Aexists(owner.id, name), .corrupt, "cannot look up attribute '\(name)' of '\(ownerPath)'") > 0
    }

    /// Deletes attribute `name` if it exists.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file and object (read-only file).
    public func remove(_ name: String) throws {
        guard try contains(name) else { return }
        try context.check(H5Adelete(owner.id, name), .writeFailed, "cannot delete attribute '\(name)' of '\(ownerPath)'")
    }

    // MARK: - Writing

    /// Sets attribute `name` to an integer (int64).
    public func set(_ name: String, _ value: Int) throws { try set(name, .int(value)) }
    /// Sets attribute `name` to a number (float64).
    public func set(_ name: String, _ value: Double) throws { try set(name, .double(value)) }
    /// Sets attribute `name` to a variable-length UTF-8 string.
    public func set(_ name: String, _ value: String) throws { try set(name, .string(value)) }
    /// Sets attribute `name` to a 1-D int64 array.
    public func set(_ name: String, _ value: [Int]) throws { try set(name, .ints(value)) }
    /// Sets attribute `name` to a 1-D float64 array.
    public func set(_ name: String, _ value: [Double]) throws { try set(name, .doubles(value)) }

    /// Sets attribute `name`, replacing any existing one.
    /// - Throws: `MedSynthError` naming the file and object: `.invalidArgument` (empty name, `.other`
    ///   value), `.writeFailed` (read-only file, HDF5 error).
    public func set(_ name: String, _ value: HDF5AttributeValue) throws {
        HDF5Library.prepareThread()
        guard !name.isEmpty else { throw MedSynthError(.invalidArgument, context.file, "empty attribute name on '\(ownerPath)'") }
        let what = "attribute '\(name)' of '\(ownerPath)'"
        try remove(name)
        switch value {
        case .int(let v): try writeNumbers(name, [Int64(v)], scalar: true, file: ms_h5t_std_i64le(), what: what)
        case .ints(let a): try writeNumbers(name, a.map { Int64($0) }, scalar: false, file: ms_h5t_std_i64le(), what: what)
        case .double(let v): try writeNumbers(name, [v], scalar: true, file: ms_h5t_ieee_f64le(), what: what)
        case .doubles(let a): try writeNumbers(name, a, scalar: false, file: ms_h5t_ieee_f64le(), what: what)
        case .string(let s): try writeStrings(name, [s], scalar: true, what: what)
        case .strings(let a): try writeStrings(name, a, scalar: false, what: what)
        case .other(let d): throw MedSynthError(.invalidArgument, context.file, "cannot write \(what): <\(d)> is not a writable value")
        }
    }

    private func dataspace(count: Int, scalar: Bool, what: String) throws -> HDF5Handle {
        let id = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(count)], nil)
        return try context.handle(id, .dataspace, .writeFailed, "cannot create the dataspace of \(what)")
    }

    private func writeNumbers<T: HDF5Scalar>(_ name: String, _ values: [T], scalar: Bool, file: hid_t, what: String) throws {
        let space = try dataspace(count: values.count, scalar: scalar, what: what)
        let attr = try context.handle(H5Acreate2(owner.id, name, file, space.id, ms_h5p_default(), ms_h5p_default()),
                                      .attribute, .writeFailed, "cannot create \(what)")
        guard !values.isEmpty else { return }
        let memoryType = try T.nativeTypeID(context)
        let status = values.withUnsafeBufferPointer { H5Awrite(attr.id, memoryType, $0.baseAddress) }
        try context.check(status, .writeFailed, "cannot write \(what)")
    }

    private func writeStrings(_ name: String, _ values: [String], scalar: Bool, what: String) throws {
        let type = try variableStringType(cset: H5T_CSET_UTF8, failure: .writeFailed)
        let space = try dataspace(count: values.count, scalar: scalar, what: what)
        let attr = try context.handle(H5Acreate2(owner.id, name, type.id, space.id, ms_h5p_default(), ms_h5p_default()),
                                      .attribute, .writeFailed, "cannot create \(what)")
        guard !values.isEmpty else { return }
        // HDF5 reads variable-length strings through an array of C string pointers.
        let copies = values.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let status = pointers.withUnsafeMutableBufferPointer { H5Awrite(attr.id, type.id, $0.baseAddress) }
        try context.check(status, .writeFailed, "cannot write \(what)")
    }

    /// A C string type of variable length in `cset`.
    private func variableStringType(cset: H5T_cset_t, failure: MedSynthError.Kind) throws -> HDF5Handle {
        let type = try context.handle(H5Tcopy(ms_h5t_c_s1()), .datatype, failure, "cannot create a string type")
        try context.check(H5Tset_size(type.id, ms_h5t_variable()), failure, "cannot create a string type")
        try context.check(H5Tset_cset(type.id, cset), failure, "cannot create a string type")
        return type
    }

    // MARK: - Reading

    /// The value of attribute `name`, or nil when it does not exist.
    /// - Throws: `MedSynthError` naming the file and object: `.tooLarge` (more than `maximumElementCount`
    ///   elements), `.corrupt` (HDF5 read error).
    public func value(_ name: String) throws -> HDF5AttributeValue? {
        guard try contains(name) else { return nil }
        let what = "attribute '\(name)' of '\(ownerPath)'"
        let attr = try context.handle(H5Aopen(owner.id, name, ms_h5p_default()), .attribute, .corrupt, "cannot open \(what)")
        let space = try context.handle(H5Aget_space(attr.id), .dataspace, .corrupt, "cannot read the dataspace of \(what)")
        let extent = try HDF5Dataset.extent(of: space, context: context, what: what)
        guard let count = extent.hasElements ? HDF5Dataset.product(extent.shape) : 0,
              count <= HDF5Attributes.maximumElementCount else {
            throw MedSynthError(.tooLarge, context.file, "\(what) has shape \(extent.shape), more than \(HDF5Attributes.maximumElementCount) elements")
        }
        let scalar = extent.shape.isEmpty
        let type = try context.handle(H5Aget_type(attr.id), .datatype, .corrupt, "cannot read the type of \(what)")
        let elementType = HDF5ElementType(typeID: type.id)
        switch elementType {
        case .float32, .float64:
            let a: [Double] = try readNumbers(attr, count: count, what: what)
            return scalar && a.count == 1 ? .double(a[0]) : .doubles(a)
        case .string:
            let a = try readStrings(attr, type: type, space: space, count: count, what: what)
            return scalar && a.count == 1 ? .string(a[0]) : .strings(a)
        case let t where t.isNumeric:
            let a: [Int64] = try readNumbers(attr, count: count, what: what)
            return scalar && a.count == 1 ? .int(Int(a[0])) : .ints(a.map { Int($0) })
        default:
            return .other(extent.shape.isEmpty ? elementType.name : "\(elementType.name)\(extent.shape)")
        }
    }

    /// Attribute `name` as an integer (a scalar or one-element integer attribute), nil when absent.
    /// - Throws: `MedSynthError(.mismatch)` when it holds something else, quoting it.
    public func int(_ name: String) throws -> Int? {
        switch try value(name) {
        case nil: return nil
        case .int(let v)?: return v
        case .ints(let a)? where a.count == 1: return a[0]
        case let v?: throw mismatch(name, v, "an integer")
        }
    }

    /// Attribute `name` as a number (a scalar or one-element numeric attribute), nil when absent.
    /// - Throws: `MedSynthError(.mismatch)` when it holds something else, quoting it.
    public func double(_ name: String) throws -> Double? {
        switch try value(name) {
        case nil: return nil
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        case .doubles(let a)? where a.count == 1: return a[0]
        case .ints(let a)? where a.count == 1: return Double(a[0])
        case let v?: throw mismatch(name, v, "a number")
        }
    }

    /// Attribute `name` as a string (fixed- or variable-length, scalar or one-element), nil when absent.
    /// - Throws: `MedSynthError(.mismatch)` when it holds something else, quoting it.
    public func string(_ name: String) throws -> String? {
        switch try value(name) {
        case nil: return nil
        case .string(let s)?: return s
        case .strings(let a)? where a.count == 1: return a[0]
        case let v?: throw mismatch(name, v, "a string")
        }
    }

    /// Attribute `name` as integers (an integer scalar gives one element), nil when absent.
    /// - Throws: `MedSynthError(.mismatch)` when it holds something else, quoting it.
    public func ints(_ name: String) throws -> [Int]? {
        switch try value(name) {
        case nil: return nil
        case .int(let v)?: return [v]
        case .ints(let a)?: return a
        case let v?: throw mismatch(name, v, "integers")
        }
    }

    /// Attribute `name` as numbers (integers are converted; a scalar gives one element), nil when absent.
    /// - Throws: `MedSynthError(.mismatch)` when it holds something else, quoting it.
    public func doubles(_ name: String) throws -> [Double]? {
        switch try value(name) {
        case nil: return nil
        case .double(let v)?: return [v]
        case .int(let v)?: return [Double(v)]
        case .doubles(let a)?: return a
        case .ints(let a)?: return a.map(Double.init)
        case let v?: throw mismatch(name, v, "numbers")
        }
    }

    private func mismatch(_ name: String, _ value: HDF5AttributeValue, _ expected: String) -> MedSynthError {
        MedSynthError(.mismatch, context.file, "attribute '\(name)' of '\(ownerPath)' is \(value), expected \(expected)")
    }

    private func readNumbers<T: HDF5Scalar>(_ attr: HDF5Handle, count: Int, what: String) throws -> [T] {
        guard count > 0 else { return [] }
        let memoryType = try T.nativeTypeID(context)
        var status: herr_t = -1
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = H5Aread(attr.id, memoryType, buffer.baseAddress)
            initialized = status >= 0 ? count : 0
        }
        try context.check(status, .corrupt, "cannot read \(what)")
        return values
    }

    private func readStrings(_ attr: HDF5Handle, type: HDF5Handle, space: HDF5Handle, count: Int, what: String) throws -> [String] {
        guard count > 0 else { return [] }
        let cset = H5Tget_cset(type.id)
        if H5Tis_variable_str(type.id) > 0 {
            let memory = try variableStringType(cset: cset, failure: .corrupt)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try context.check(H5Aread(attr.id, memory.id, &pointers), .corrupt, "cannot read \(what)")
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            _ = H5Dvlen_reclaim(memory.id, space.id, ms_h5p_default(), &pointers)
            return strings
        }
        let size = H5Tget_size(type.id)
        guard size > 0, let total = HDF5Dataset.product([count, size]), total <= HDF5Attributes.maximumElementCount * 16 else {
            throw MedSynthError(.tooLarge, context.file, "\(what) holds \(count) strings of \(size) bytes, more than MedIO reads")
        }
        let memory = try context.handle(H5Tcopy(ms_h5t_c_s1()), .datatype, .corrupt, "cannot create a string type")
        try context.check(H5Tset_size(memory.id, size), .corrupt, "cannot create a string type")
        try context.check(H5Tset_cset(memory.id, cset), .corrupt, "cannot create a string type")
        let pad = H5Tget_strpad(type.id)
        try context.check(H5Tset_strpad(memory.id, pad == H5T_STR_ERROR ? H5T_STR_NULLPAD : pad), .corrupt, "cannot create a string type")
        var bytes = [UInt8](repeating: 0, count: total)
        try context.check(H5Aread(attr.id, memory.id, &bytes), .corrupt, "cannot read \(what)")
        return (0..<count).map { i in
            var element = bytes[(i * size)..<((i + 1) * size)]
            if let end = element.firstIndex(of: 0) { element = element[..<end] }
            if pad == H5T_STR_SPACEPAD { while element.last == 0x20 { element = element.dropLast() } }
            return String(decoding: element, as: UTF8.self)
        }
    }
}

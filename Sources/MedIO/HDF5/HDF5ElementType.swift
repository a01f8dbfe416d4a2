import CHDF5

/// The element type of an HDF5 dataset or attribute, as MedIO sees it.
///
/// Numeric types are read and written through HDF5's conversion: any numeric dataset can be read into any
/// `HDF5Scalar` array (an int16 dataset read as `[Float]` gives exact values). Byte order is the file's
/// business; MedIO writes little-endian.
public enum HDF5ElementType: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Signed 8-bit integer.
    case int8
    /// Unsigned 8-bit integer.
    case uint8
    /// Signed 16-bit integer (CT in HU is often stored this way).
    case int16
    /// Unsigned 16-bit integer.
    case uint16
    /// Signed 32-bit integer.
    case int32
    /// Unsigned 32-bit integer.
    case uint32
    /// Signed 64-bit integer.
    case int64
    /// Unsigned 64-bit integer.
    case uint64
    /// IEEE single precision.
    case float32
    /// IEEE double precision.
    case float64
    /// Fixed- or variable-length text.
    case string
    /// Anything else (compound, enum — h5py's bool —, float16, opaque, references…), with a short description.
    case other(String)

    /// The numeric types, in the order `name`s are listed in messages.
    public static let numericTypes: [HDF5ElementType] =
        [.int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .float32, .float64]

    /// The numpy-style name: "int16", "float32", "string", or the `other` description.
    public var name: String {
        switch self {
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int16: return "int16"
        case .uint16: return "uint16"
        case .int32: return "int32"
        case .uint32: return "uint32"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .string: return "string"
        case .other(let description): return description
        }
    }

    /// Same as `name`.
    public var description: String { name }

    /// Parses a numeric or string type name ("float32", "uint8", "string"); nil for anything else.
    public init?(name: String) {
        let lowered = name.lowercased()
        if lowered == "string" { self = .string; return }
        guard let t = HDF5ElementType.numericTypes.first(where: { $0.name == lowered }) else { return nil }
        self = t
    }

    /// True for the integer and floating-point types.
    public var isNumeric: Bool { byteCount != nil }

    /// Bytes per element for numeric types; nil otherwise.
    public var byteCount: Int? {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        case .string, .other: return nil
        }
    }

    /// The native in-memory HDF5 type for numeric types (HDF5 converts to and from it).
    var nativeTypeID: hid_t? {
        switch self {
        case .int8: return ms_h5t_native_int8()
        case .uint8: return ms_h5t_native_uint8()
        case .int16: return ms_h5t_native_int16()
        case .uint16: return ms_h5t_native_uint16()
        case .int32: return ms_h5t_native_int32()
        case .uint32: return ms_h5t_native_uint32()
        case .int64: return ms_h5t_native_int64()
        case .uint64: return ms_h5t_native_uint64()
        case .float32: return ms_h5t_native_float()
        case .float64: return ms_h5t_native_double()
        case .string, .other: return nil
        }
    }

    /// The little-endian file type MedIO creates datasets with.
    var fileTypeID: hid_t? {
        switch self {
        case .int8: return ms_h5t_std_i8le()
        case .uint8: return ms_h5t_std_u8le()
        case .int16: return ms_h5t_std_i16le()
        case .uint16: return ms_h5t_std_u16le()
        case .int32: return ms_h5t_std_i32le()
        case .uint32: return ms_h5t_std_u32le()
        case .int64: return ms_h5t_std_i64le()
        case .uint64: return ms_h5t_std_u64le()
        case .float32: return ms_h5t_ieee_f32le()
        case .float64: return ms_h5t_ieee_f64le()
        case .string, .other: return nil
        }
    }

    /// Classifies an open HDF5 datatype.
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        switch H5Tget_class(typeID) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(typeID) != H5T_SGN_NONE
            switch (size, signed) {
            case (1, true): self = .int8
            case (1, false): self = .uint8
            case (2, true): self = .int16
            case (2, false): self = .uint16
            case (4, true): self = .int32
            case (4, false): self = .uint32
            case (8, true): self = .int64
            case (8, false): self = .uint64
            default: self = .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_FLOAT:
            switch size {
            case 4: self = .float32
            case 8: self = .float64
            default: self = .other("float\(size * 8)")
            }
        case H5T_STRING: self = .string
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("vlen")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_TIME: self = .other("time")
        default: self = .other("unknown type")
        }
    }
}

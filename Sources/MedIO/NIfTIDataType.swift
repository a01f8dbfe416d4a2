/// The element types MedSynth writes to NIfTI files.
///
/// Integer types hold rounded values: writing a voxel outside the type's range, or NaN, is an error rather
/// than a silent clip. Reading additionally accepts int8 and uint32 (see `NIfTIStoredType`).
public enum NIfTIDataType: String, CaseIterable, Codable, Sendable {
    /// Unsigned 8-bit integer (DT_UINT8 = 2): label maps, 8-bit images.
    case uint8
    /// Signed 16-bit integer (DT_INT16 = 4): CT in HU.
    case int16
    /// Unsigned 16-bit integer (DT_UINT16 = 512).
    case uint16
    /// Signed 32-bit integer (DT_INT32 = 8).
    case int32
    /// 32-bit float (DT_FLOAT32 = 16): MedSynth's in-memory type, stored exactly.
    case float32
    /// 64-bit float (DT_FLOAT64 = 64).
    case float64

    /// The NIfTI datatype code.
    public var code: Int32 { stored.code }

    /// The matching row of the reader's table.
    var stored: NIfTIStoredType {
        switch self {
        case .uint8: return .uint8
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    /// The representable range for integer types (nil for floats).
    public var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: return 0...255
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int32: return -2_147_483_648...2_147_483_647
        case .float32, .float64: return nil
        }
    }
}

/// The on-disk element types MedSynth reads, with their NIfTI datatype codes and sizes.
enum NIfTIStoredType: String, CaseIterable {
    case uint8, int8, int16, uint16, int32, uint32, float32, float64

    /// NIfTI DT_* code.
    var code: Int32 {
        switch self {
        case .uint8: return 2
        case .int16: return 4
        case .int32: return 8
        case .float32: return 16
        case .float64: return 64
        case .int8: return 256
        case .uint16: return 512
        case .uint32: return 768
        }
    }

    /// Bytes per voxel.
    var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .float64: return 8
        }
    }

    /// The type for a datatype code, or nil when MedSynth does not read it.
    init?(code: Int32) {
        guard let t = NIfTIStoredType.allCases.first(where: { $0.code == code }) else { return nil }
        self = t
    }

    /// The standard's name for any datatype code ("complex64", "RGB24", ...), for error messages.
    static func name(ofCode code: Int32) -> String {
        if let t = NIfTIStoredType(code: code) { return t.rawValue }
        switch code {
        case 0: return "unknown"
        case 1: return "binary (1 bit)"
        case 32: return "complex64"
        case 128: return "RGB24"
        case 1024: return "int64"
        case 1280: return "uint64"
        case 1536: return "float128"
        case 1792: return "complex128"
        case 2048: return "complex256"
        case 2304: return "RGBA32"
        default: return "not a NIfTI datatype"
        }
    }
}

import CHDF5
import MedCore

/// A Swift number type that HDF5 datasets and attributes can be read into and written from.
///
/// Each conforming type names the HDF5 element type with the same memory layout; HDF5 converts between it and
/// whatever the file stores (an int16 dataset reads as `[Float]` exactly; float64 written from `[Float]` widens).
public protocol HDF5Scalar: BitwiseCopyable, Sendable {
    /// The element type with this Swift type's in-memory layout.
    static var hdf5ElementType: HDF5ElementType { get }
}

extension HDF5Scalar {
    /// The native HDF5 memory type for `Self`; a conformance naming a non-numeric type is refused, not trapped on.
    static func nativeTypeID(_ context: HDF5Context) throws -> hid_t {
        guard let id = hdf5ElementType.nativeTypeID, hdf5ElementType.byteCount == MemoryLayout<Self>.size else {
            throw MedSynthError(.invalidArgument, context.file,
                                "\(Self.self) declares HDF5 element type \(hdf5ElementType.name), which does not match its \(MemoryLayout<Self>.size)-byte layout")
        }
        return id
    }
}

extension Int8: HDF5Scalar {
    /// `.int8`.
    public static var hdf5ElementType: HDF5ElementType { .int8 }
}

extension UInt8: HDF5Scalar {
    /// `.uint8`.
    public static var hdf5ElementType: HDF5ElementType { .uint8 }
}

extension Int16: HDF5Scalar {
    /// `.int16`.
    public static var hdf5ElementType: HDF5ElementType { .int16 }
}

extension UInt16: HDF5Scalar {
    /// `.uint16`.
    public static var hdf5ElementType: HDF5ElementType { .uint16 }
}

extension Int32: HDF5Scalar {
    /// `.int32`.
    public static var hdf5ElementType: HDF5ElementType { .int32 }
}

extension UInt32: HDF5Scalar {
    /// `.uint32`.
    public static var hdf5ElementType: HDF5ElementType { .uint32 }
}

extension Int64: HDF5Scalar {
    /// `.int64`.
    public static var hdf5ElementType: HDF5ElementType { .int64 }
}

extension UInt64: HDF5Scalar {
    /// `.uint64`.
    public static var hdf5ElementType: HDF5ElementType { .uint64 }
}

extension Int: HDF5Scalar {
    /// `.int64` (`Int` is 64 bits on every platform MedSynth supports).
    public static var hdf5ElementType: HDF5ElementType { .int64 }
}

extension Float: HDF5Scalar {
    /// `.float32`.
    public static var hdf5ElementType: HDF5ElementType { .float32 }
}

extension Double: HDF5Scalar {
    /// `.float64`.
    public static var hdf5ElementType: HDF5ElementType { .float64 }
}

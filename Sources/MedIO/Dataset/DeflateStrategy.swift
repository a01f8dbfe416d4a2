import CZlib

/// How the dataset writer deflates its (shuffled) chunks: zlib's match-finding strategy. Every strategy writes a
/// standard zlib stream, so HDF5's deflate filter (h5py, any reader) decodes the chunks the same way.
///
/// On shuffled float32 volumes the byte planes are mostly runs (exponents, background, label maps) or noise (low
/// mantissa bytes), so run-length matching finds nearly everything LZ77 would: on two 256×256×128 phantom cases
/// it compressed 1.790× at 121 MB/s per core, against 1.776× at 36 MB/s for the default strategy at level 4
/// (HDF5's and h5py's gzip filter) and 1.565× for gzip 4 without shuffle (h5py's `compression="gzip"`).
public enum DeflateStrategy: String, Sendable, Codable, CaseIterable {
    /// `Z_RLE`: matches of distance 1 only (runs). The default.
    case runLength = "rle"
    /// `Z_DEFAULT_STRATEGY`: the chunks are byte for byte what HDF5's own deflate filter writes at that level.
    case standard

    /// The zlib constant.
    var zlibValue: Int32 {
        switch self {
        case .runLength: return Z_RLE
        case .standard: return Z_DEFAULT_STRATEGY
        }
    }
}

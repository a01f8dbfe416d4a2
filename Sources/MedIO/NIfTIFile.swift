import CNIfTIGlue
import Foundation
import MedCore

/// Reading and writing NIfTI-1 and NIfTI-2 single files (`.nii`, and gzip-compressed `.nii.gz`) through
/// libnifti2.
///
/// Layout: NIfTI stores i fastest, then j, then k, exactly like `Volume.voxels`, so no axes are permuted:
/// NIfTI dim[1] is the width, dim[2] the height and dim[3] the depth, and MedSynth voxel (k, j, i) is
/// nibabel's `get_fdata()[i, j, k]`.
public enum NIfTIFile {
    /// The largest ratio of decoded to compressed size deflate can reach (about 1032:1), used to bound what a
    /// `.nii.gz` of a given size can hold before anything is allocated.
    static let maximumDeflateRatio = 1032

    /// Voxels converted per read from the file (bounded so memory grows only as data actually arrives).
    static let chunkBytes = 4 << 20

    /// Reads a 3D volume (or a 2D image, as depth 1) from a `.nii` or `.nii.gz` file.
    ///
    /// - Datatypes: uint8, int8, int16, uint16, int32, uint32, float32, float64, in either byte order.
    /// - Scaling: when `scl_slope` is finite and non-zero, value = stored · slope + inter (a slope of 0 means
    ///   "no scaling", per the standard).
    /// - Affine priority: the sform when `sform_code > 0`, else the qform when `qform_code > 0`, else
    ///   diag(pixdim[1], pixdim[2], pixdim[3]) at the origin (nibabel instead centres such a volume and flips
    ///   x; files without either transform are rare). Coordinates in metres or microns (`xyzt_units`) are
    ///   converted to mm.
    /// - Dimensions: dim[0] = 1 or 2 gives depth 1; a 4th dimension of 1 is accepted; more is unsupported.
    /// - Modality and unit come from MedSynth's `descrip` tag (`NIfTIDescripTag`), else `.unknown` and
    ///   `.arbitrary`.
    /// The header is read and checked (extents via `VolumeShape.validated`, data size against the file size)
    /// before any voxel buffer is allocated; `.nii.gz` data is read in chunks, so a header claiming more than
    /// the stream holds fails when the stream ends.
    ///
    /// - Parameter url: the `.nii` or `.nii.gz` file.
    /// - Returns: the volume, `format` `.nifti1` or `.nifti2`, `storedDataType` the on-disk type name.
    /// - Throws: `MedSynthError` naming the file: `.notFound`, `.unreadable`; `.corrupt` for an empty, truncated
    ///   or non-NIfTI file or an inconsistent header; `.unsupported` for other datatypes (naming the code),
    ///   4D series, ANALYZE and .hdr/.img pairs; `.tooLarge` for extents beyond `VolumeShape.maximumVoxelCount`.
    public static func read(_ url: URL) throws -> LoadedVolume {
        let path = url.path
        let fileSize = try InputFile.checkedSize(url, expecting: "a NIfTI file")
        let name = url.lastPathComponent.lowercased()
        let compressed = name.hasSuffix(".nii.gz")
        guard compressed || name.hasSuffix(".nii") else {
            throw MedSynthError(.unsupported, path, "expected a file name ending in .nii or .nii.gz")
        }
        guard fileSize > 0 else {
            throw MedSynthError(.corrupt, path, "the file is empty (0 bytes); expected a NIfTI header")
        }
        // The most bytes the file can deliver: its size, or what deflate could expand it to.
        let (bound, overflow) = fileSize.multipliedReportingOverflow(by: compressed ? maximumDeflateRatio : 1)
        let maximumStreamBytes = overflow ? Int.max : bound

        var h = ms_nifti_header()
        var message = [CChar](repeating: 0, count: 512)
        let rc = ms_nifti_read_header(path, Int64(maximumStreamBytes), &h, &message, message.count)
        try throwIfFailed(rc, path: path, message: message)

        guard let type = NIfTIStoredType(code: h.datatype) else {
            throw MedSynthError(.unsupported, path, "datatype code \(h.datatype) (\(NIfTIStoredType.name(ofCode: h.datatype))); "
                                + "MedSynth reads uint8, int8, int16, uint16, int32, uint32, float32 and float64")
        }
        let dim = tupleArray(h.dim, as: Int64.self).map { Int(clamping: $0) }
        let shape = try validatedShape(dim: dim, path: path)
        let dataBytes = shape.voxelCount * type.size  // <= 2^31 * 8: no overflow
        let offset = Int(h.vox_offset)
        if offset < 0 || offset > maximumStreamBytes - dataBytes {
            let what = compressed ? "a gzip stream of \(fileSize) bytes can hold at most \(maximumStreamBytes)"
                                  : "the file has \(fileSize) bytes"
            throw MedSynthError(.corrupt, path, "truncated: the header needs \(dataBytes) bytes of voxel data from byte "
                                + "\(offset) (\(shape), \(type.rawValue)), but \(what)")
        }

        var notes: [String] = []
        let slope = h.scl_slope, inter = h.scl_inter.isFinite ? h.scl_inter : 0
        let scaling: (slope: Double, inter: Double)? = (slope.isFinite && slope != 0 && !(slope == 1 && inter == 0))
            ? (slope, inter) : nil
        if let scaling { notes.append("applied scl_slope \(format6(scaling.slope)) and scl_inter \(format6(scaling.inter))") }

        let voxels = try readVoxels(path: path, header: h, type: type, count: shape.voxelCount,
                                    reserveLimit: maximumStreamBytes / type.size, scaling: scaling)
        if type == .float64, voxels.contains(where: { $0.isInfinite }) {
            notes.append("some float64 values exceed Float32's range and became infinite")
        }

        let affine = chooseAffine(h, notes: &notes)
        let descrip = String(decoding: tupleArray(h.descrip, as: UInt8.self).prefix { $0 != 0 }, as: UTF8.self)
        let tag = NIfTIDescripTag(descrip: descrip)
        let volume = Volume(shape: shape, voxels: voxels, affine: affine,
                            modality: tag?.modality ?? .unknown, unit: tag?.unit ?? .arbitrary)
        return LoadedVolume(volume: volume, format: h.version == 2 ? .nifti2 : .nifti1,
                            storedDataType: type.rawValue, notes: notes)
    }

    /// The volume shape for NIfTI `dim` (dim[0] = rank, then extents), rejecting series and bad extents.
    static func validatedShape(dim: [Int], path: String) throws -> VolumeShape {
        let rank = dim[0]
        for d in 4...7 where d <= rank && dim[d] < 1 {
            throw MedSynthError(.corrupt, path, "header gives dim[\(d)] = \(dim[d]); expected at least 1")
        }
        if rank >= 4, dim[4] > 1 {
            throw MedSynthError(.unsupported, path, "4D series with \(dim[4]) volumes; MedSynth reads 3D volumes")
        }
        for d in 5...7 where d <= rank && dim[d] > 1 {
            throw MedSynthError(.unsupported, path, "dim[\(d)] = \(dim[d]) (a \(rank)D dataset); MedSynth reads 3D volumes")
        }
        return try VolumeShape.validated(depth: rank >= 3 ? dim[3] : 1, height: rank >= 2 ? dim[2] : 1,
                                         width: dim[1], file: path)
    }

    /// Streams the voxel data in chunks, converting each to Float (with scaling) as it arrives.
    static func readVoxels(path: String, header h: ms_nifti_header, type: NIfTIStoredType, count: Int,
                           reserveLimit: Int, scaling: (slope: Double, inter: Double)?) throws -> [Float] {
        var message = [CChar](repeating: 0, count: 512)
        guard let reader = ms_nifti_open_data(path, h.compressed, h.vox_offset, &message, message.count) else {
            throw MedSynthError(.corrupt, path, cString(message))
        }
        defer { ms_nifti_close_data(reader) }
        let chunkVoxels = chunkBytes / type.size
        var buffer = [UInt8](repeating: 0, count: min(count, chunkVoxels) * type.size)
        var voxels: [Float] = []
        voxels.reserveCapacity(min(count, reserveLimit))
        var done = 0
        while done < count {
            let n = min(chunkVoxels, count - done)
            let got = buffer.withUnsafeMutableBytes { raw in
                ms_nifti_read_data(reader, raw.baseAddress, Int64(n * type.size), Int32(h.swap_size))
            }
            guard got == n * type.size else {
                throw MedSynthError(.corrupt, path, "truncated: the voxel data ends after \(done * type.size + Int(got)) of "
                                    + "\(count * type.size) bytes" + (h.compressed != 0 ? " (short or damaged gzip stream)" : ""))
            }
            buffer.withUnsafeBytes { raw in appendDecoded(type, raw, count: n, scaling: scaling, to: &voxels) }
            done += n
        }
        return voxels
    }

    /// Appends `count` stored values of `type` from `raw` (native byte order) to `out` as Float.
    static func appendDecoded(_ type: NIfTIStoredType, _ raw: UnsafeRawBufferPointer, count: Int,
                              scaling: (slope: Double, inter: Double)?, to out: inout [Float]) {
        switch type {
        case .uint8: append(UInt8.self, raw, count, scaling, &out) { Double($0) }
        case .int8: append(Int8.self, raw, count, scaling, &out) { Double($0) }
        case .int16: append(Int16.self, raw, count, scaling, &out) { Double($0) }
        case .uint16: append(UInt16.self, raw, count, scaling, &out) { Double($0) }
        case .int32: append(Int32.self, raw, count, scaling, &out) { Double($0) }
        case .uint32: append(UInt32.self, raw, count, scaling, &out) { Double($0) }
        case .float32: append(Float.self, raw, count, scaling, &out) { Double($0) }
        case .float64: append(Double.self, raw, count, scaling, &out) { $0 }
        }
    }

    @inline(__always)
    private static func append<T>(_: T.Type, _ raw: UnsafeRawBufferPointer, _ count: Int,
                                  _ scaling: (slope: Double, inter: Double)?, _ out: inout [Float],
                                  _ toDouble: (T) -> Double) {
        let size = MemoryLayout<T>.size
        if let (slope, inter) = scaling {
            for n in 0..<count { out.append(Float(toDouble(raw.loadUnaligned(fromByteOffset: n * size, as: T.self)) * slope + inter)) }
        } else {
            for n in 0..<count { out.append(Float(toDouble(raw.loadUnaligned(fromByteOffset: n * size, as: T.self)))) }
        }
    }

    /// The voxel-to-world affine by the documented priority: sform, qform, then diag(pixdim).
    static func chooseAffine(_ h: ms_nifti_header, notes: inout [String]) -> Affine {
        let sform = tupleArray(h.sform, as: Double.self)
        let qform = tupleArray(h.qform, as: Double.self)
        var affine: Affine
        if h.sform_code > 0, sform.allSatisfy(\.isFinite) {
            affine = Affine(rowMajor: sform)
        } else if h.qform_code > 0, qform.allSatisfy(\.isFinite) {
            affine = Affine(rowMajor: qform)
            if h.sform_code > 0 { notes.append("the sform is not finite; used the qform") }
        } else {
            let pixdim = tupleArray(h.pixdim, as: Double.self)
            let spacing = (1...3).map { pixdim[$0].isFinite && pixdim[$0] > 0 ? pixdim[$0] : 1 }
            affine = Affine(spacingMM: SIMD3(spacing[0], spacing[1], spacing[2]))
            notes.append("no sform or qform (both codes 0): affine = diag(pixdim) = diag(\(spacing.map(format6).joined(separator: ", "))) at the origin")
        }
        let toMM: Double
        switch h.xyz_units {
        case 1: toMM = 1000; notes.append("xyzt_units says metres; converted to mm")
        case 3: toMM = 0.001; notes.append("xyzt_units says microns; converted to mm")
        default: toMM = 1
        }
        if toMM != 1 { for r in 0..<3 { for c in 0..<4 { affine[r, c] *= toMM } } }
        return affine
    }

    /// Maps a CNIfTIGlue result code to a `MedSynthError` naming `path`.
    static func throwIfFailed(_ rc: Int32, path: String, message: [CChar]) throws {
        guard rc != Int32(MS_NIFTI_OK) else { return }
        let text = cString(message)
        switch rc {
        case Int32(MS_NIFTI_ERR_OPEN): throw MedSynthError(.unreadable, path, text)
        case Int32(MS_NIFTI_ERR_UNSUPPORTED): throw MedSynthError(.unsupported, path, text)
        case Int32(MS_NIFTI_ERR_WRITE): throw MedSynthError(.writeFailed, path, text)
        default: throw MedSynthError(.corrupt, path, text.isEmpty ? "NIfTI error \(rc)" : text)
        }
    }
}

extension NIfTIFile {
    /// The elements of a C fixed-size array (imported as a homogeneous tuple).
    static func tupleArray<Tuple, T>(_ tuple: Tuple, as: T.Type) -> [T] {
        withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: T.self)) }
    }

    /// A NUL-terminated C message buffer as a String.
    static func cString(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

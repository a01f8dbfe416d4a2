import CNIfTIGlue
import Foundation
import MedCore

extension NIfTIFile {
    /// The sform and qform code MedSynth writes: 1, NIFTI_XFORM_SCANNER_ANAT. A volume's affine is the world
    /// frame of the scan it came from (or was synthesised for), not a registration to another file (2) or to a
    /// template (3, 4).
    public static let xformCode: Int32 = 1

    /// Writes a volume as a single-file NIfTI; a name ending in `.nii.gz` is gzip-compressed.
    ///
    /// The header gets dim = (3, width, height, depth), the affine as the sform (exact) and as the qform (its
    /// rotation and voxel sizes; a sheared affine is only approximated there), pixdim from the affine's column
    /// lengths, xyzt_units mm, scl_slope 1 / scl_inter 0, and MedSynth's `descrip` tag with the modality and
    /// unit (`NIfTIDescripTag`). nibabel reads the same values and `img.affine` equals `volume.affine` (to
    /// float32 precision for NIfTI-1, whose header fields are float32). The file is written atomically.
    ///
    /// - Parameters:
    ///   - volume: the volume.
    ///   - url: the output path, ending in `.nii` or `.nii.gz`.
    ///   - dataType: the on-disk type. Integer types store values rounded to nearest (ties away from zero).
    ///   - version: 1 (NIfTI-1, extents up to 32767) or 2 (NIfTI-2).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `url` for a wrong extension or version, extents too
    ///   large for NIfTI-1, a non-finite affine or one whose last row is not (0, 0, 0, 1), or — for integer
    ///   types — a NaN voxel or one that rounds outside the type's range (quoting the value and the range; no
    ///   silent clipping); `.writeFailed` when the file cannot be written.
    public static func write(_ volume: Volume, to url: URL, dataType: NIfTIDataType = .float32, version: Int = 1) throws {
        // Checked first, so that the message can give the volume's span and no file is begun.
        if let range = dataType.integerRange { try checkIntegerRange(volume, range, dataType: dataType, path: url.path) }
        try write(shape: volume.shape, affine: volume.affine, modality: volume.modality, unit: volume.unit, to: url,
                  dataType: dataType, version: version, rangeChecked: true) { sink in
            try volume.voxels.withUnsafeBufferPointer { try sink($0) }
        }
    }

    /// Writes a NIfTI file whose voxels `produce` hands to its sink in order (i fastest), in slabs of any size, so
    /// that a volume never needs to be held whole (`DICOMReader.writeNIfTI`). Same header, checks and atomicity as
    /// `write(_:to:dataType:version:)`; for integer types each piece of a slab is checked before it is written, and a voxel
    /// that rounds outside the type's range is an error naming its position (the partial file is removed).
    /// - Throws: as `write(_:to:dataType:version:)`; `.invalidArgument` when `produce` hands over more or fewer
    ///   voxels than `shape` holds; whatever `produce` throws.
    public static func write(shape: VolumeShape, affine: Affine, modality: Modality, unit: IntensityUnit, to url: URL,
                             dataType: NIfTIDataType = .float32, version: Int = 1,
                             produce: (_ sink: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws {
        try write(shape: shape, affine: affine, modality: modality, unit: unit, to: url, dataType: dataType,
                  version: version, rangeChecked: false, produce: produce)
    }

    /// The streaming write; `rangeChecked`: the caller has checked every voxel against an integer type's range
    /// already (`write(_:to:…)` does, for its message), so the pieces are not checked again.
    static func write(shape: VolumeShape, affine: Affine, modality: Modality, unit: IntensityUnit, to url: URL,
                      dataType: NIfTIDataType, version: Int, rangeChecked: Bool,
                      produce: (_ sink: (UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws {
        let path = url.path
        let name = url.lastPathComponent.lowercased()
        let compressed = name.hasSuffix(".nii.gz")
        guard compressed || name.hasSuffix(".nii") else {
            throw MedSynthError(.invalidArgument, path, "expected a file name ending in .nii or .nii.gz")
        }
        guard version == 1 || version == 2 else {
            throw MedSynthError(.invalidArgument, path, "NIfTI version \(version); expected 1 or 2")
        }
        if version == 1, max(shape.width, shape.height, shape.depth) > Int(Int16.max) {
            throw MedSynthError(.invalidArgument, path, "volume \(shape) has an extent over \(Int16.max), which NIfTI-1 "
                                + "cannot store; write version 2")
        }
        let a = affine.rowMajor
        guard a.allSatisfy(\.isFinite), Array(a[12...]) == [0, 0, 0, 1] else {
            throw MedSynthError(.invalidArgument, path, "affine \(affine) must be finite with last row (0, 0, 0, 1)")
        }

        let descrip = NIfTIDescripTag(modality: modality, unit: unit).text(version: MedSynthVersion.string)
        var spec = ms_nifti_write_spec()
        spec.version = Int32(version)
        spec.nx = Int64(shape.width)
        spec.ny = Int64(shape.height)
        spec.nz = Int64(shape.depth)
        spec.datatype = dataType.code
        withUnsafeMutableBytes(of: &spec.affine) { raw in
            for (n, x) in a.enumerated() { raw.storeBytes(of: x, toByteOffset: n * 8, as: Double.self) }
        }
        spec.xform_code = xformCode
        spec.compressed = compressed ? 1 : 0

        var message = [CChar](repeating: 0, count: 512)
        try AtomicFile.write(to: url) { tmp in
            var writer: OpaquePointer?
            let rc = descrip.withCString { text in
                spec.descrip = text
                return ms_nifti_write_begin(tmp.path, &spec, &writer, &message, message.count)
            }
            guard rc == Int32(MS_NIFTI_OK), let writer else {
                throw MedSynthError(.writeFailed, path, "cannot write the NIfTI file: \(cString(message))")
            }
            var written = 0
            // One conversion buffer for every slab: a piece of 8-byte values at most.
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkVoxels * 8, alignment: 16)
            defer { buffer.deallocate() }
            do {
                try produce { slab in
                    guard written + slab.count <= shape.voxelCount else {
                        throw MedSynthError(.invalidArgument, path, "more voxels than the \(shape) volume holds")
                    }
                    let offset = written
                    try stream(slab, as: dataType, buffer: buffer, check: { piece, start in
                        guard !rangeChecked, let range = dataType.integerRange else { return }
                        let first = ms_first_outside(piece.baseAddress, Int64(piece.count), range.lowerBound - 0.5,
                                                     range.upperBound + 0.5)
                        if first >= 0 {
                            throw integerRangeError(piece[Int(first)], at: offset + start + Int(first), shape: shape,
                                                    range: range, dataType: dataType, path: path, span: nil)
                        }
                    }) { raw in _ = ms_nifti_write_data(writer, raw.baseAddress, Int64(raw.count)) }
                    written += slab.count
                }
            } catch {
                _ = ms_nifti_write_end(writer, &message, message.count)
                throw error
            }
            let end = ms_nifti_write_end(writer, &message, message.count)
            guard written == shape.voxelCount else {
                throw MedSynthError(.invalidArgument, path, "\(written) voxels written for a \(shape) volume")
            }
            if end != Int32(MS_NIFTI_OK) {
                throw MedSynthError(.writeFailed, path, "cannot write the NIfTI file: \(cString(message))")
            }
        }
    }

    /// Voxels checked, converted and written per piece: 64 Ki, so that a piece is still in cache from its range
    /// check when it is converted, and the conversion buffer stays small (512 KiB of float64) whatever the volume.
    static let chunkVoxels = 1 << 16

    /// Hands `write` the voxels as the bytes of `dataType` (this machine's byte order), in order, piece by piece:
    /// `check(piece, offset)` first (it throws to stop; `offset` is the piece's first index in `voxels`), then
    /// float32 straight from `voxels`, other types converted into `buffer` (at least `chunkVoxels` × 8 bytes).
    /// Integer types round half away from zero; `check` (or the caller, before) has checked the range.
    static func stream(_ voxels: UnsafeBufferPointer<Float>, as dataType: NIfTIDataType, buffer: UnsafeMutableRawBufferPointer,
                       check: (UnsafeBufferPointer<Float>, Int) throws -> Void,
                       _ write: (UnsafeRawBufferPointer) -> Void) throws {
        precondition(buffer.count >= chunkVoxels * 8, "conversion buffer too small")
        func pieces<T>(_: T.Type, _ convert: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<T>) -> Void) throws {
            let typed = buffer.bindMemory(to: T.self)
            var start = 0
            while start < voxels.count {
                let n = min(chunkVoxels, voxels.count - start)
                let src = UnsafeBufferPointer(rebasing: voxels[start..<(start + n)])
                try check(src, start)
                let dst = UnsafeMutableBufferPointer(rebasing: typed[0..<n])
                convert(src, dst)
                write(UnsafeRawBufferPointer(dst))
                start += n
            }
        }
        // Rounds half away from zero in C (ms_round_to_integers: branch-free, vectorised).
        func rounded<T: FixedWidthInteger>(_: T.Type) throws {
            try pieces(T.self) { src, dst in
                ms_round_to_integers(src.baseAddress, Int64(src.count), dst.baseAddress, Int32(MemoryLayout<T>.size),
                                     T.isSigned ? 1 : 0)
            }
        }
        switch dataType {
        case .float32:
            try check(voxels, 0)
            write(UnsafeRawBufferPointer(voxels))
        case .float64: try pieces(Double.self) { src, dst in for n in src.indices { dst[n] = Double(src[n]) } }
        case .uint8: try rounded(UInt8.self)
        case .int16: try rounded(Int16.self)
        case .uint16: try rounded(UInt16.self)
        case .int32: try rounded(Int32.self)
        }
    }

    /// Checks that every voxel rounds into `range`.
    /// - Throws: `MedSynthError(.invalidArgument)` at the first NaN voxel or one that rounds outside the range.
    static func checkIntegerRange(_ volume: Volume, _ range: ClosedRange<Double>, dataType: NIfTIDataType,
                                  path: String) throws {
        let first = volume.voxels.withUnsafeBufferPointer {
            ms_first_outside($0.baseAddress, Int64($0.count), range.lowerBound - 0.5, range.upperBound + 0.5)
        }
        guard first >= 0 else { return }
        let stats = VolumeStatistics(volume.voxels)
        throw integerRangeError(volume.voxels[Int(first)], at: Int(first), shape: volume.shape, range: range,
                                dataType: dataType, path: path, span: (stats.min, stats.max))
    }

    /// The error for a voxel that `dataType` cannot store: NaN, or a value that rounds outside `range`.
    static func integerRangeError(_ v: Float, at n: Int, shape s: VolumeShape, range: ClosedRange<Double>,
                                  dataType: NIfTIDataType, path: String, span: (min: Double, max: Double)?) -> MedSynthError {
        let at = "voxel (k \(n / s.sliceCount), j \(n % s.sliceCount / s.width), i \(n % s.width))"
        if v.isNaN {
            return MedSynthError(.invalidArgument, path, "\(at) is NaN, which \(dataType.rawValue) cannot store; write float32")
        }
        let spans = span.map { " (the volume spans [\(format6($0.min)), \(format6($0.max))])" } ?? ""
        return MedSynthError(.invalidArgument, path, "\(at) = \(v) is outside \(dataType.rawValue)'s range "
                             + "\(format6(range.lowerBound))...\(format6(range.upperBound))\(spans); rescale or choose a wider dataType")
    }
}

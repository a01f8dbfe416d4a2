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
        let path = url.path
        let name = url.lastPathComponent.lowercased()
        let compressed = name.hasSuffix(".nii.gz")
        guard compressed || name.hasSuffix(".nii") else {
            throw MedSynthError(.invalidArgument, path, "expected a file name ending in .nii or .nii.gz")
        }
        guard version == 1 || version == 2 else {
            throw MedSynthError(.invalidArgument, path, "NIfTI version \(version); expected 1 or 2")
        }
        let shape = volume.shape
        if version == 1, max(shape.width, shape.height, shape.depth) > Int(Int16.max) {
            throw MedSynthError(.invalidArgument, path, "volume \(shape) has an extent over \(Int16.max), which NIfTI-1 "
                                + "cannot store; write version 2")
        }
        let a = volume.affine.rowMajor
        guard a.allSatisfy(\.isFinite), Array(a[12...]) == [0, 0, 0, 1] else {
            throw MedSynthError(.invalidArgument, path, "affine \(volume.affine) must be finite with last row (0, 0, 0, 1)")
        }

        let data = try encode(volume, as: dataType, path: path)
        let descrip = NIfTIDescripTag(modality: volume.modality, unit: volume.unit).text(version: MedSynthVersion.string)
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
            let rc = descrip.withCString { text in
                spec.descrip = text
                return data.withUnsafeBytes { raw in
                    ms_nifti_write(tmp.path, &spec, raw.baseAddress, Int64(raw.count), &message, message.count)
                }
            }
            if rc != Int32(MS_NIFTI_OK) {
                throw MedSynthError(.writeFailed, path, "cannot write the NIfTI file: \(cString(message))")
            }
        }
    }

    /// The voxels as the bytes of `dataType`, in this machine's byte order.
    static func encode(_ volume: Volume, as dataType: NIfTIDataType, path: String) throws -> [UInt8] {
        func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
        switch dataType {
        case .float32: return bytes(volume.voxels)
        case .float64: return bytes(volume.voxels.map(Double.init))
        case .uint8: return bytes(try integers(volume, as: UInt8.self, dataType: dataType, path: path))
        case .int16: return bytes(try integers(volume, as: Int16.self, dataType: dataType, path: path))
        case .uint16: return bytes(try integers(volume, as: UInt16.self, dataType: dataType, path: path))
        case .int32: return bytes(try integers(volume, as: Int32.self, dataType: dataType, path: path))
        }
    }

    /// The voxels rounded to nearest as `T`.
    /// - Throws: `MedSynthError(.invalidArgument)` at the first NaN voxel or one that rounds outside `T`'s range.
    static func integers<T: FixedWidthInteger>(_ volume: Volume, as: T.Type, dataType: NIfTIDataType,
                                               path: String) throws -> [T] {
        let range = dataType.integerRange ?? Double(T.min)...Double(T.max)
        var out: [T] = []
        out.reserveCapacity(volume.voxels.count)
        for (n, v) in volume.voxels.enumerated() {
            let r = Double(v).rounded()
            guard range.contains(r) else {
                let s = volume.shape
                let at = "voxel (k \(n / s.sliceCount), j \(n % s.sliceCount / s.width), i \(n % s.width))"
                if v.isNaN {
                    throw MedSynthError(.invalidArgument, path, "\(at) is NaN, which \(dataType.rawValue) cannot store; write float32")
                }
                let stats = VolumeStatistics(volume.voxels)
                throw MedSynthError(.invalidArgument, path, "\(at) = \(v) is outside \(dataType.rawValue)'s range "
                                    + "\(format6(range.lowerBound))...\(format6(range.upperBound)) (the volume spans "
                                    + "[\(format6(stats.min)), \(format6(stats.max))]); rescale or choose a wider dataType")
            }
            out.append(T(r))
        }
        return out
    }
}

import CHDF5
import Foundation
import MedCore

/// An open HDF5 file.
///
/// ```swift
/// let file = try HDF5File.create(url, overwrite: true)
/// let ds = try file.root.createDataset("cases/a/CT", elementType: .float32, shape: [2, 3, 4])
/// try ds.write(values)
/// try file.close()
/// ```
///
/// The file identifier is closed by `close()` or when the object is released. Groups, datasets and attributes
/// opened from the file stay valid after `close()` (HDF5's "weak" close degree): the file is really closed on
/// disk when the last of them is released too.
public final class HDF5File {
    /// The file's location.
    public let url: URL
    /// True when the file was created or opened for writing.
    public let isWritable: Bool
    /// The root group "/".
    public let root: HDF5Group

    let handle: HDF5Handle
    let context: HDF5Context

    private init(url: URL, isWritable: Bool, handle: HDF5Handle, context: HDF5Context) throws {
        self.url = url
        self.isWritable = isWritable
        self.handle = handle
        self.context = context
        let rootHandle = try context.handle(H5Gopen2(handle.id, "/", ms_h5p_default()), .group, .corrupt,
                                            "cannot open the root group")
        root = HDF5Group(handle: rootHandle, path: "/", context: context)
    }

    /// Creates a new, empty HDF5 file.
    ///
    /// - Parameters:
    ///   - url: where to create it; the folder must exist.
    ///   - overwrite: replace an existing file; when false an existing file is an error.
    /// - Returns: the file, open for writing.
    /// - Throws: `MedSynthError(.writeFailed)` naming `url` (file exists, folder missing or not writable).
    public static func create(_ url: URL, overwrite: Bool = false) throws -> HDF5File {
        try create(url, overwrite: overwrite, displayPath: url.path)
    }

    /// `create(_:overwrite:)` with the path that errors show (the final path while writing a temporary file).
    static func create(_ url: URL, overwrite: Bool, displayPath: String) throws -> HDF5File {
        HDF5Library.prepareThread()
        let context = HDF5Context(file: displayPath)
        try AtomicFile.checkWritableFolder(url.deletingLastPathComponent(), for: URL(fileURLWithPath: displayPath))
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw MedSynthError(.writeFailed, displayPath, "already exists; pass overwrite: true to replace it")
        }
        let fapl = try fileAccessList(context)
        let fcpl = try context.handle(H5Pcreate(ms_h5p_file_create()), .propertyList, .writeFailed, "cannot create a property list")
        // No access/modification times in object headers: the same content gives the same bytes.
        try context.check(H5Pset_obj_track_times(fcpl.id, false), .writeFailed, "cannot configure the file")
        let flags = overwrite ? ms_h5f_acc_trunc() : ms_h5f_acc_excl()
        let fid = H5Fcreate(url.path, flags, fcpl.id, fapl.id)
        let handle = try context.handle(fid, .file, .writeFailed, "cannot create the HDF5 file")
        return try HDF5File(url: url, isWritable: true, handle: handle, context: context)
    }

    /// Opens an existing HDF5 file.
    ///
    /// The signature is checked first, so a PNG or a zero-byte file gives a clear error rather than HDF5's.
    /// - Parameters:
    ///   - url: the file.
    ///   - writable: open for reading and writing (default: read-only).
    /// - Throws: `MedSynthError` naming `url`: `.notFound` (no such file), `.unreadable` (a folder, no
    ///   permission), `.corrupt` (no HDF5 signature, truncated or damaged — HDF5's reason is quoted; or libhdf5
    ///   crashed reading it in the probe, `HDF5Probe`, which a read-only open runs first).
    public static func open(_ url: URL, writable: Bool = false) throws -> HDF5File {
        HDF5Library.prepareThread()
        let path = url.path
        let context = HDF5Context(file: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw MedSynthError(.notFound, path, "no such file")
        }
        if isDir.boolValue { throw MedSynthError(.unreadable, path, "is a folder, expected an HDF5 file") }
        guard access(path, writable ? (R_OK | W_OK) : R_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            throw MedSynthError(.unreadable, path, "cannot open for \(writable ? "writing" : "reading"): \(reason)")
        }
        let signature = H5Fis_hdf5(path)
        if signature < 0 { throw context.error(.unreadable, "cannot check for the HDF5 signature") }
        if signature == 0 {
            throw context.error(.corrupt, "not an HDF5 file (no HDF5 signature; \(fileSizeDescription(path)))")
        }
        if !writable { try HDF5Probe.check(path) }
        let fapl = try fileAccessList(context)
        let fid = H5Fopen(path, writable ? ms_h5f_acc_rdwr() : ms_h5f_acc_rdonly(), fapl.id)
        let handle = try context.handle(fid, .file, .corrupt,
                                        "cannot open the HDF5 file (damaged or truncated? \(fileSizeDescription(path)))")
        return try HDF5File(url: url, isWritable: writable, handle: handle, context: context)
    }

    /// Writes buffered data and metadata to disk; the file stays open.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file.
    public func flush() throws {
        HDF5Library.prepareThread()
        try context.check(H5Fflush(handle.id, H5F_SCOPE_LOCAL), .writeFailed, "cannot flush to disk")
    }

    /// Closes the root group and the file identifier now (calling it twice does nothing).
    ///
    /// Pending data is written first; a failure there (disk full) is reported here rather than lost in a deinit.
    /// - Throws: `MedSynthError(.writeFailed)` naming the file.
    public func close() throws {
        HDF5Library.prepareThread()
        guard handle.id >= 0 else { return }
        if isWritable { try flush() }
        root.handle.close()
        try context.check(handle.close(), .writeFailed, "cannot close the file")
    }

    /// The number of objects of this file other than the file itself that are open (groups, datasets, attributes).
    var openObjectCountExcludingFile: Int {
        guard handle.id >= 0 else { return 0 }
        let n = H5Fget_obj_count(handle.id, ms_h5f_obj_all() | ms_h5f_obj_local())
        return max(0, Int(n) - 1)
    }

    /// Closes the file and checks that it was the last open object of this file, so that the bytes on disk are
    /// complete when this returns (used before an atomic rename).
    /// - Throws: `MedSynthError(.writeFailed)` if objects are still open or closing fails.
    func closeCompletely() throws {
        HDF5Library.prepareThread()
        root.handle.close()
        let stillOpen = openObjectCountExcludingFile
        if stillOpen > 0 {
            throw MedSynthError(.writeFailed, context.file, "\(stillOpen) HDF5 object(s) still open when closing the file")
        }
        try close()
    }

    /// A file-access property list: the latest-compatible defaults, and file locking that is skipped (rather
    /// than failing) on file systems without lock support.
    private static func fileAccessList(_ context: HDF5Context) throws -> HDF5Handle {
        let fapl = try context.handle(H5Pcreate(ms_h5p_file_access()), .propertyList, .unreadable, "cannot create a property list")
        try context.check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_WEAK), .unreadable, "cannot configure file access")
        _ = H5Pset_file_locking(fapl.id, true, true)
        _ = HDF5Context.drainErrorStack()
        return fapl
    }

    /// "1234 bytes", for messages about damaged files.
    private static func fileSizeDescription(_ path: String) -> String {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        return size.map { "\($0) bytes" } ?? "size unknown"
    }
}

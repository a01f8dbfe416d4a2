import CGDCMGlue
import Foundation
import MedCore

/// GDCM calls that may crash or hang on hostile input run first, or only, in forked child processes (the glue's
/// `ChildPool`): Debian's GDCM is built with assertions, and a truncated header aborts inside
/// `ExplicitDataElement::ReadPreValue`. A crash, or a file that keeps its child past `MEDSYNTH_DICOM_FILE_TIMEOUT_S`,
/// fails the file with a message naming it; the command goes on.
/// - Headers: parsed in children (`probeHeaders`), then again in-process for their values (the same call on the
///   same bytes; a file changed between the two reads is not guarded against).
/// - Pixels of one-file-per-plane series: decoded only in children, into a ring of shared memory that this
///   process reads in order (`PlaneStream`).
/// - Enhanced multi-frame files: a dry-run decode in children (`check`), then in-process threads (`decodeChecked`).
enum DICOMIsolation {
    /// One file's outcome.
    struct FileResult {
        var error: MedSynthError?
        var storedType: String
    }

    /// Parses each header in a child process; nil for the files GDCM parsed, the error for the others.
    static func probeHeaders(_ files: [String]) -> [MedSynthError?] {
        guard !files.isEmpty else { return [] }
        var results = [ms_dicom_file_result](repeating: ms_dicom_file_result(), count: files.count)
        withCStrings(files) { paths in
            ForkGate.forking { _ = ms_dicom_probe_headers(paths, Int32(files.count), Int32(Parallel.workerCount), &results) }
        }
        return zip(files, results).map { file, r in error(file, r) }
    }

    /// Decodes the planes `jobs` ask for into `out` (rows × columns floats per plane): the dry run in children,
    /// then in-process threads.
    static func decode(files: [String], jobs: [ms_dicom_plane_job], rows: Int, columns: Int,
                       into out: UnsafeMutableBufferPointer<Float>) -> [FileResult] {
        let checked = check(files: files, jobs: jobs, rows: rows, columns: columns)
        guard checked.allSatisfy({ $0.error == nil }) else { return checked }
        return decodeChecked(files: files, jobs: jobs, rows: rows, columns: columns, into: out)
    }

    /// The dry run alone: every file decoded in a child process, nothing kept.
    static func check(files: [String], jobs: [ms_dicom_plane_job], rows: Int, columns: Int) -> [FileResult] {
        var results = [ms_dicom_file_result](repeating: ms_dicom_file_result(), count: files.count)
        withCStrings(files) { paths in
            ForkGate.forking {
                _ = ms_dicom_check_planes(paths, Int32(files.count), jobs, Int32(jobs.count), Int32(rows), Int32(columns),
                                          Int32(Parallel.workerCount), &results)
            }
        }
        return zip(files, results).map { file, r in FileResult(error: error(file, r), storedType: text(r.stored_type)) }
    }

    /// In-process decoding of the files `jobs` name (after `check`), planes `jobs[n].plane` of `out`.
    static func decodeChecked(files: [String], jobs: [ms_dicom_plane_job], rows: Int, columns: Int,
                              into out: UnsafeMutableBufferPointer<Float>) -> [FileResult] {
        var results = [ms_dicom_file_result](repeating: ms_dicom_file_result(), count: files.count)
        let planeCount = out.count / max(1, rows * columns)
        withCStrings(files) { paths in
            _ = ms_dicom_decode_checked(paths, Int32(files.count), jobs, Int32(jobs.count), Int32(rows), Int32(columns),
                                        out.baseAddress, Int32(planeCount), Int32(Parallel.workerCount), &results)
        }
        return zip(files, results).map { file, r in FileResult(error: error(file, r), storedType: text(r.stored_type)) }
    }

    /// A series decoded in child processes plane by plane into a ring of `window` planes of shared memory
    /// (`ms_dicom_stream_*`): each file is read once, and nothing of its pixel data is decoded in this process. The
    /// caller reads planes in order and releases them; `end()` stops the children. One file per plane.
    final class PlaneStream {
        private let stream: OpaquePointer
        private let files: [String]
        private let jobs: [ms_dicom_plane_job]
        private let planeSize: Int
        private(set) var storedTypes: Set<String> = []

        /// Starts the children. Call between `ForkGate.forking` bounds: they fork while failed children restart.
        /// - Throws: `MedSynthError(.unreadable)` when no shared memory or child process can be had.
        init(files: [String], jobs: [ms_dicom_plane_job], rows: Int, columns: Int, window: Int, subject: String) throws {
            var message = [CChar](repeating: 0, count: 256)
            var out: OpaquePointer?
            let rc = DICOMIsolation.withCStrings(files) { paths in
                ms_dicom_stream_begin(paths, Int32(files.count), jobs, Int32(jobs.count), Int32(rows), Int32(columns),
                                      Int32(window), Int32(Parallel.workerCount), &out, &message, message.count)
            }
            guard rc == Int32(MS_DICOM_OK), let out else {
                throw MedSynthError(.unreadable, subject, "cannot decode the series: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            stream = out
            self.files = files
            self.jobs = jobs
            planeSize = rows * columns
        }

        deinit { ms_dicom_stream_end(stream) }

        /// Plane k's values (stored × slope + intercept), once its child has decoded it; the buffer is the
        /// caller's until `release(through: k)`.
        /// - Throws: its file's failure (`MedSynthError` naming the file).
        func plane(_ k: Int) throws -> UnsafeMutableBufferPointer<Float> {
            var result = ms_dicom_file_result()
            var pixels: UnsafeMutablePointer<Float>?
            let rc = ms_dicom_stream_plane(stream, Int32(k), &pixels, &result)
            if let e = DICOMIsolation.error(files[Int(jobs[k].file)], result) { throw e }
            guard rc == Int32(MS_DICOM_OK), let pixels else {
                throw MedSynthError(.unreadable, files[Int(jobs[k].file)], "plane \(k) was not decoded")
            }
            storedTypes.insert(DICOMIsolation.text(result.stored_type))
            return UnsafeMutableBufferPointer(start: pixels, count: planeSize)
        }

        /// Planes up to `k` are consumed: children may reuse their memory.
        func release(through k: Int) { ms_dicom_stream_release(stream, Int32(k + 1)) }
    }

    private static func error(_ file: String, _ r: ms_dicom_file_result) -> MedSynthError? {
        switch r.status {
        case Int32(MS_DICOM_OK): return nil
        case Int32(MS_DICOM_ERR_OPEN): return MedSynthError(.unreadable, file, text(r.message))
        case Int32(MS_DICOM_ERR_PIXELS): return MedSynthError(.unsupported, file, text(r.message))
        default: return MedSynthError(.corrupt, file, text(r.message))
        }
    }

    private static func text<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Calls `body` with a C array of NUL-terminated copies of `strings`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

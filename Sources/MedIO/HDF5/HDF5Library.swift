import CHDF5
import Foundation

/// Process-wide facts about the HDF5 C library MedIO links (Debian's serial, thread-safe libhdf5 1.10).
///
/// Every MedIO entry point that calls HDF5 first calls `prepareThread()`: it initialises the library once and
/// turns off HDF5's automatic printing of error stacks on stderr. A thread-safe HDF5 build keeps that setting
/// per thread, so it is switched off once per thread (remembered in a pthread key); the messages are not lost:
/// they are read off the stack and carried in the thrown `MedSynthError`.
public enum HDF5Library {
    /// The linked library's version, "major.minor.release" (e.g. "1.10.8").
    public static var version: String {
        prepareThread()
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// The number of HDF5 objects (files, groups, datasets, named datatypes, attributes) open in this process.
    ///
    /// Every MedIO object closes its identifier when released, so after all files, groups and datasets are
    /// released this is 0. Tests use it to check that nothing leaks.
    public static func openObjectCount() -> Int {
        prepareThread()
        let n = H5Fget_obj_count(hid_t(ms_h5f_obj_all()), ms_h5f_obj_all())
        return Int(max(n, 0))
    }

    /// The number of live identifiers of the short-lived kinds (dataspaces, datatypes, property lists), by kind.
    ///
    /// HDF5 registers its predefined types and default property lists at start-up, so the counts are not zero;
    /// tests compare them before and after some work to check that every temporary identifier was closed.
    public static func transientIdentifierCounts() -> [String: Int] {
        prepareThread()
        var counts: [String: Int] = [:]
        for (name, type) in [("dataspace", H5I_DATASPACE), ("datatype", H5I_DATATYPE), ("property list", H5I_GENPROP_LST)] {
            var n: hsize_t = 0
            if H5Inmembers(type, &n) >= 0 { counts[name] = Int(n) }
        }
        return counts
    }

    /// The pthread key whose per-thread value marks "error printing already off on this thread". Creating it
    /// also initialises the library; Swift runs this initialiser exactly once, thread-safely.
    /// Nil when the process ran out of pthread keys: then printing is switched off before every call instead.
    ///
    /// HDF5's exit handler (`H5close` through `atexit`) is turned off first: every MedIO file is closed explicitly,
    /// and a file detached after a failed write (`MedSynthDatasetWriter`) must never be flushed — libhdf5 1.10
    /// crashes closing a file whose write failed, and a flush with the disk still full would damage the file.
    private static let silencedKey: pthread_key_t? = {
        _ = H5dont_atexit()
        _ = H5open()
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()

    /// Initialises HDF5 (once per process) and silences its error printing (once per thread).
    static func prepareThread() {
        guard let key = silencedKey else { _ = ms_h5e_silence_this_thread(); return }
        guard pthread_getspecific(key) == nil else { return }
        _ = ms_h5e_silence_this_thread()
        _ = pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Keeps `fork()` away from calls into libraries whose fork handlers are not safe while another thread is inside
/// them. OpenBLAS registers a `pthread_atfork` handler that shuts its thread pool down before every fork; a fork
/// while another thread runs a threaded `sgemm` leaves that call waiting forever (seen: two threads stuck in
/// `sgemm_thread_nn`). MedIO forks to contain GDCM crashes (`DICOMIsolation`), so the tensor core runs BLAS calls
/// under `withoutForks` (a shared lock: they run side by side) and the DICOM reader forks under `forking` (the
/// exclusive lock: it waits for running BLAS calls to end, and new ones wait for it).
public enum ForkGate {
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let p = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        pthread_rwlock_init(p, nil)
        return p
    }()

    /// Runs `body`, which must not overlap a fork (a library call with unsafe fork handlers).
    public static func withoutForks<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body`, which forks, while no `withoutForks` body runs.
    public static func forking<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}

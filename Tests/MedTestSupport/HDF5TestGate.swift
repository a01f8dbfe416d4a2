import Foundation

/// Serialises in-process HDF5 work across test targets.
///
/// All test targets run in one process, and the HDF5 leak check (`HDF5Library.openObjectCount() == 0`) counts
/// identifiers process-wide. The leak check holds this gate for its whole duration, and any test outside the
/// serialized HDF5 suite that opens HDF5 files in-process does so inside `exclusive`.
public enum HDF5TestGate {
    private static let lock = NSLock()

    /// Runs `body` while no other gated HDF5 work runs.
    public static func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

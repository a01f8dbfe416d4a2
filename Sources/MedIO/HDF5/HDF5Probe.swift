import Foundation
import CProcessGlue
import MedCore
#if canImport(Glibc)
import Glibc
#endif

/// Contains libhdf5's crashes on hostile files (issue 21): before a file is opened read-only in this process, a
/// separate small program (`medsynth-hdf5-probe`, started with `posix_spawn`: fresh libhdf5 state, no inherited
/// locks, unlike a fork) opens it and walks every object. If libhdf5 crashes there, the open here fails with the
/// usual one-line error naming the file instead of taking the command down. A file that passed is not probed
/// again in this process while its device, inode, size and modification time stay the same.
///
/// The probe runs when its program is found: `$MEDSYNTH_HDF5_PROBE`, or `medsynth-hdf5-probe` next to the running
/// executable (where SwiftPM builds it, for `medsynth` and the test runner alike). Without it, files open
/// unprobed, as before. A probe that exits with an error (libhdf5 reported one) lets the open go on, and the
/// open reports that error itself.
public enum HDF5Probe {
    /// The probe program's file name.
    public static let executableName = "medsynth-hdf5-probe"
    /// Set to 1 in the environment, the probe program crashes on purpose (SIGSEGV) before opening: for tests.
    public static let crashInjectionVariable = "MEDSYNTH_HDF5_PROBE_CRASH"
    /// Set in the probe program's environment so that its own open does not probe again.
    static let childVariable = "MEDSYNTH_HDF5_PROBE_CHILD"

    /// The probe program, if there is one.
    public static let executable: String? = {
        if let path = ProcessInfo.processInfo.environment["MEDSYNTH_HDF5_PROBE"], !path.isEmpty {
            return access(path, X_OK) == 0 ? path : nil
        }
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(executableName).path
        return access(candidate, X_OK) == 0 ? candidate : nil
    }()

    /// True in the probe program itself (its own open must not probe again).
    private static let isProbeChild = ProcessInfo.processInfo.environment[childVariable] != nil

    private struct FileKey: Hashable {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var passed: Set<FileKey> = []

    /// Probes `path` in the probe program unless it passed before.
    /// - Throws: `MedSynthError(.corrupt)` naming the file when libhdf5 crashed reading it in the probe.
    static func check(_ path: String) throws {
        guard !isProbeChild, let program = executable else { return }
        var st = stat()
        guard stat(path, &st) == 0 else { return }   // the open reports it
        let key = FileKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                          seconds: Int(st.st_mtim.tv_sec), nanoseconds: Int(st.st_mtim.tv_nsec))
        if lock.withLock({ passed.contains(key) }) { return }
        guard let status = run(program, path) else { return }   // could not start it: open unprobed
        let low = status & 0x7f
        if low != 0 && low != 0x7f {
            throw MedSynthError(.corrupt, path,
                                "the HDF5 library crashed reading it (signal \(low), in MedSynth's probe): corrupt or not HDF5")
        }
        if low == 0 && (status >> 8) & 0xff == 0 { lock.withLock { _ = passed.insert(key) } }
    }

    /// Starts the probe on `path` and waits; its wait status, or nil when it could not be started.
    private static func run(_ program: String, _ path: String) -> Int32? {
        var environment = ProcessInfo.processInfo.environment
        environment[childVariable] = "1"
        environment["HDF5_USE_FILE_LOCKING"] = "FALSE"   // a reader must not fight a writer's lock
        environment["SWIFT_BACKTRACE"] = "enable=no"     // a crash ends the probe by its signal, without a report
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(program), strdup(path), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { key, value -> UnsafeMutablePointer<CChar>? in
            strdup("\(key)=\(value)")
        } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The child must not hold copies of this process's descriptors (its HDF5 files and their locks) even for
        // the moment before its own code runs: they are closed at the spawn.
        var pid: pid_t = 0
        guard ms_spawn_closing_descriptors(&pid, program, argv, envp) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        return status
    }

    /// What the probe program does: open `path` read-only (without probing) and list every object below the root.
    /// - Throws: the open's or the walk's `MedSynthError`.
    public static func runInProcess(_ path: String) throws {
        let file = try HDF5File.open(URL(fileURLWithPath: path))
        _ = try file.root.descendants()
        try file.close()
    }
}

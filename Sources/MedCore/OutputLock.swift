import Foundation

/// One writer per output: an exclusive lock, held for a whole run, on an output that a run builds up over time (a
/// dataset file, a run folder). A second run on the same output is refused at once, naming the process that holds
/// it, instead of both runs reporting success while one run's work is lost.
///
/// The lock is `flock(LOCK_EX | LOCK_NB)` on a small file beside the output, `.NAME.lock` in the output's folder
/// (the output itself may be replaced, renamed or not exist yet). The kernel releases it when the process ends,
/// however it ends (kill -9 included); a lock file left behind by a killed run is taken over by the next one. The
/// file holds the holder's process id, start time and command, for the refusal message. Only writers take the lock:
/// readers (`info`, `convert`, …) still open the output while a run writes it. Within one process the lock is
/// shared (counted): a run that reopens its own output, or resumes in the process that stopped it, is not refused.
///
/// ```swift
/// let lock = try OutputLock(for: URL(fileURLWithPath: "cohort.h5"))   // held until `lock` is released
/// ```
public final class OutputLock {
    /// The output.
    public let output: URL
    /// The lock file beside it.
    public let lockFile: URL
    private let descriptor: Int32

    /// Takes the lock on `output`.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `output` and the process that holds it (pid, command, start
    ///   time); `.writeFailed` when the lock file cannot be created (its folder missing or read-only).
    public init(for output: URL) throws {
        let output = output.standardizedFileURL
        self.output = output
        let folder = output.deletingLastPathComponent()
        lockFile = folder.appendingPathComponent(".\(output.lastPathComponent).lock")
        let path = lockFile.path
        Self.registry.lock()
        defer { Self.registry.unlock() }
        if let held = Self.held[path] {
            Self.held[path] = (held.descriptor, held.count + 1)
            descriptor = held.descriptor
            return
        }
        // A holder unlinks the file as it releases it; a run that opened the old file then finds it gone (another
        // inode under the name) and tries again.
        for _ in 0..<16 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                throw MedSynthError(.writeFailed, output.path, "cannot create the lock file \(path): \(reason)")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = Self.describeHolder(fd)
                close(fd)
                throw MedSynthError(.invalidArgument, output.path,
                                    "is being written by another run (\(holder)); wait for it to end, or choose another output")
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                descriptor = fd
                Self.held[path] = (fd, 1)
                Self.record(fd)
                return
            }
            close(fd)
        }
        throw MedSynthError(.writeFailed, output.path, "cannot take the lock file \(path): it keeps being replaced")
    }

    deinit {
        let path = lockFile.path
        Self.registry.lock()
        defer { Self.registry.unlock() }
        guard let held = Self.held[path], held.count <= 1 else {
            if let held = Self.held[path] { Self.held[path] = (held.descriptor, held.count - 1) }
            return
        }
        Self.held[path] = nil
        // Unlinked while still held, so a run that opens the name afterwards gets a fresh file.
        unlink(path)
        close(descriptor)
    }

    /// The locks this process holds: lock file → (descriptor, number of `OutputLock`s sharing it).
    nonisolated(unsafe) private static var held: [String: (descriptor: Int32, count: Int)] = [:]
    private static let registry = NSLock()

    /// Writes "pid N, `command`, started TIME" into the locked file.
    private static func record(_ fd: Int32) {
        let command = CommandLine.arguments.prefix(2).map { ($0 as NSString).lastPathComponent }.joined(separator: " ")
        let started = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()), `\(command)`, started \(started)"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// What the holder wrote (given 100 ms to write it, when it has only just taken the lock), or a plain
    /// description.
    private static func describeHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        for attempt in 0..<10 {
            let n = pread(fd, &buffer, buffer.count, 0)
            if n > 0 { return String(decoding: buffer.prefix(n), as: UTF8.self) }
            if attempt < 9 { usleep(10_000) }
        }
        return "a process that has just started it"
    }
}

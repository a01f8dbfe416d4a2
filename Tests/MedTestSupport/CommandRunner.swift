import Foundation

/// Runs the built `medsynth` executable, for end-to-end tests of the command-line tool.
public enum CommandRunner {
    /// What a run produced.
    public struct Result: Sendable {
        /// Exit status (valid when `signaled` is false).
        public var status: Int32
        /// True when the process died from a signal (a crash or a trap).
        public var signaled: Bool
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String

        public init(status: Int32, signaled: Bool, stdout: String, stderr: String) {
            (self.status, self.signaled, self.stdout, self.stderr) = (status, signaled, stdout, stderr)
        }
    }

    /// The `medsynth` binary beside the test binary (same build folder), or nil if it was not built.
    public static let executable: URL? = {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        // On Linux the tests run from <build>/<config>/MedSynthPackageTests.xctest; walk up a little to be safe.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("medsynth")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()

    /// Runs `medsynth` with `arguments`, waiting at most `timeoutSeconds` (then the process is killed and the
    /// result reports it as signaled).
    /// `environment` adds to (or overrides) this process's environment.
    public static func run(_ arguments: [String], in folder: URL? = nil, timeoutSeconds: Double = 120,
                           environment: [String: String] = [:]) throws -> Result {
        guard let executable else {
            throw NSError(domain: "CommandRunner", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "medsynth was not built next to the tests; run `swift build -c release --product medsynth` first (scripts/test.sh does)"])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes while the process runs so a chatty command cannot block on a full pipe.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = outPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus,
                      signaled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

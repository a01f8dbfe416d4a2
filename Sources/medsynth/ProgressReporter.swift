import Dispatch
import Foundation
import MedIO

/// Progress of a case-by-case run on stderr, and its summary on stdout.
///
/// On a terminal (stderr is a tty) one line is redrawn in place: a bar, cases done/total, the rate (cases/s over
/// the cases this run made) and the time left. Otherwise (a pipe, a log file) one plain line per case, so logs
/// stay readable and tests can follow the run.
final class ProgressReporter {
    /// The command name that prefixes plain lines ("phantom").
    let command: String
    /// True when stderr is a terminal.
    let isTerminal: Bool
    /// Characters of the bar.
    static let barWidth = 24
    private let start = DispatchTime.now().uptimeNanoseconds
    private var drewLine = false

    /// Creates a reporter.
    /// - Parameters:
    ///   - command: names the run in plain lines.
    ///   - isTerminal: override for tests; defaults to `isatty(stderr)`.
    init(command: String, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.command = command
        self.isTerminal = isTerminal
    }

    /// Seconds since the reporter was created.
    var elapsedSeconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Says that a resumed run found cases already present.
    func resumed(present: Int, total: Int, file: String) {
        guard present > 0 else { return }
        emit("\(command): resuming \(file): \(present) of \(total) cases already present", final: true)
    }

    /// Reports one committed case.
    func update(_ p: DatasetWriteProgress) {
        let elapsed = elapsedSeconds
        let rate = elapsed > 0 ? Double(p.written) / elapsed : 0
        let left = p.total - p.completed
        let eta = rate > 0 ? Double(left) / rate : 0
        if isTerminal {
            let filled = p.total > 0 ? Self.barWidth * p.completed / p.total : Self.barWidth
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled)
            emit(String(format: "[%@] %d/%d cases  %.2f cases/s  %@ left", bar, p.completed, p.total, rate,
                        Self.duration(eta)), final: false)
        } else {
            emit(String(format: "%@: %@ written (%d/%d cases, %.2f cases/s, about %@ left)", command, p.caseID, p.completed,
                        p.total, rate, Self.duration(eta)), final: true)
        }
    }

    /// Ends the progress display (a terminal line gets its newline).
    func finish() {
        if isTerminal && drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
        drewLine = false
    }

    /// "1:05:03", "4:07", "12 s".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%d:%02d", s / 60, s % 60) }
        return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
    }

    private func emit(_ line: String, final: Bool) {
        if isTerminal {
            // \r and "erase line" redraw in place; a final line ends with a newline.
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\(final ? "\n" : "")".utf8))
            drewLine = !final
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }
}

import ArgumentParser
import Foundation
import MedCore
import Synchronization

/// The options every training command shares (`medsynth train`, `medsynth segment train`): the configuration,
/// the run's name and folder, overrides, resume and JSON output.
struct RunOptions: ParsableArguments {
    @Option(help: "The run configuration (YAML). With --resume, defaults to the run's own config.yaml.")
    var config: String?

    @Option(help: "The run's name: its folder under --outputs (default: the config file's name).")
    var name: String?

    @Option(help: "Shorthand for --set training.steps=N (validate: segmenter.training.steps).")
    var steps: Int?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a setting: dotted.key=value (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(help: "Continue the run from its checkpoints/latest.h5.")
    var resume = false

    @Option(help: "The folder that holds runs and cached datasets.")
    var outputs: String = "Outputs"

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        // `--name RUN` alone reads the run's own config.yaml (validate --interim-report); a new run there is refused.
        if config == nil && !resume && name == nil { throw ValidationError("give --config FILE (or --name RUN --resume to continue a run)") }
        if resume && name == nil && config == nil { throw ValidationError("--resume needs --name RUN (or the --config it was started with)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
    }

    /// The run folder, the configuration file (the run's own config.yaml when resuming without --config) and
    /// the overrides with `--steps` folded in.
    /// - Throws: `MedSynthError(.invalidArgument)` for a name that is not a plain folder name.
    func resolved(example: String, stepsKey: String = "training.steps") throws -> (directory: URL, configPath: String, overrides: [String]) {
        let runName = name ?? URL(fileURLWithPath: config!).deletingPathExtension().lastPathComponent
        guard !runName.isEmpty, !runName.contains("/"), runName != ".", runName != ".." else {
            throw MedSynthError(.invalidArgument, "--name", "'\(runName)' is not a folder name; expected a plain name like \(example)")
        }
        let directory = URL(fileURLWithPath: outputs).appendingPathComponent(runName)
        var all = overrides
        if let steps { all.append("\(stepsKey)=\(steps)") }
        return (directory, config ?? directory.appendingPathComponent("config.yaml").path, all)
    }
}

/// Set by the first Ctrl-C (SIGINT) or SIGTERM; training loops poll it after every step.
let trainingInterrupted = Atomic<Bool>(false)

/// Ctrl-C / SIGTERM handling of the training commands: the first signal asks the loop to save and stop.
enum TrainingInterrupt {
    /// Installs the handlers. A parent may start us with these signals blocked (the mask is inherited), so they
    /// are unblocked first.
    static func install() {
        var handled = sigset_t()
        sigemptyset(&handled)
        sigaddset(&handled, SIGINT)
        sigaddset(&handled, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        signal(SIGINT) { _ in
            trainingInterrupted.store(true, ordering: .relaxed)
            signal(SIGINT, SIG_DFL)   // a second Ctrl-C ends the process at once (checkpoint writes are atomic)
        }
        signal(SIGTERM) { _ in trainingInterrupted.store(true, ordering: .relaxed) }
    }

    /// Restores the default handlers.
    static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Whether a stop was asked for.
    static var requested: Bool { trainingInterrupted.load(ordering: .relaxed) }
}

extension TrainingInterrupt {
    /// Runs `body` with Ctrl-C / SIGTERM asking it to stop through the closure it gets. `body` returns nil when it
    /// stopped: `stoppedMessage` then goes to stderr and the command exits with status 130.
    static func running<T>(stoppedMessage: String, _ body: (@escaping @Sendable () -> Bool) throws -> T?) throws -> T {
        install()
        defer { uninstall() }
        guard let result = try body({ requested }) else {
            FileHandle.standardError.write(Data((stoppedMessage + "\n").utf8))
            throw ExitCode(130)
        }
        return result
    }
}

/// Writes one line to stderr (progress and log lines of the commands).
@Sendable func logLine(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

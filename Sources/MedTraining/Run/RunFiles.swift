import Foundation
import MedCore
import Yams

/// The file chores of a run folder (`TrainingRun`) and of the validation experiment: atomic text writes, appends,
/// CSV reading and truncation on resume, and configuration comparison.
public enum RunFiles {
    /// Takes the run folder `directory` for this run: its `OutputLock` (a second run on the folder is refused,
    /// naming the first), then checks that a new run does not overwrite one (a folder holding `marker`) and that a
    /// resumed run has one. Keep the lock for the length of the run.
    /// - Parameter marker: the file whose presence means the folder holds a run (`RunFolder.latestCheckpoint`, the
    ///   validation experiment's `config.yaml`).
    /// - Throws: `MedSynthError(.invalidArgument)` suggesting `--resume`, `.notFound` naming `marker`, or the lock's
    ///   refusal.
    public static func claimRunFolder(_ directory: URL, resume: Bool, marker: URL) throws -> OutputLock {
        try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lock = try OutputLock(for: directory)
        let exists = FileManager.default.fileExists(atPath: marker.path)
        if resume && !exists {
            throw MedSynthError(.notFound, marker.path, "does not exist, so there is nothing to resume; start the run without --resume")
        }
        if !resume && exists {
            throw MedSynthError(.invalidArgument, directory.path,
                                "already holds a run (\(marker.path)); continue it with --resume, or choose another --name")
        }
        return lock
    }

    /// Writes `text` (UTF-8) atomically: a temporary file beside `url`, renamed over it (`AtomicFile`).
    /// - Throws: `MedSynthError(.writeFailed)` naming `url`.
    public static func writeAtomically(_ text: String, to url: URL) throws {
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// Appends to a log file (nothing for empty text).
    static func append(_ text: String, to url: URL) throws {
        guard !text.isEmpty else { return }
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw MedSynthError(.writeFailed, url.path, "cannot be opened for appending")
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }

    /// Keeps the header and the rows whose step (first column) is ≤ `toStep`, rewritten atomically.
    static func truncateCSV(_ url: URL, header: String, toStep: Int) throws {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? header
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if lines.first.map({ $0 + "\n" }) != header { lines.insert(String(header.dropLast()), at: 0) }
        let kept = [lines[0]] + lines.dropFirst().filter { line in
            Int(line.prefix { $0 != "," }).map { $0 <= toStep } ?? false
        }
        try writeAtomically(kept.joined(separator: "\n") + "\n", to: url)
    }

    /// Rows of a CSV, numeric fields only, by header name.
    static func readCSV(_ url: URL) -> [[String: Double]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { fields in
            var row: [String: Double] = [:]
            for (k, v) in zip(header, fields) { if let d = Double(v) { row[k] = d } }
            return row
        }
    }

    /// The YAML without its comment header.
    public static func canonical(_ yaml: String) -> String {
        yaml.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// "training.steps: 2000 in the checkpoint, 3000 now; …" between two canonical YAML texts.
    public static func differences(_ saved: String, _ now: String) -> String {
        let keys = differingKeys(saved, now)
        if keys.isEmpty { return "the texts differ" }
        let a = leaves(saved), b = leaves(now)
        return keys.map { "\($0): \(a[$0] ?? "absent") in the checkpoint, \(b[$0] ?? "absent") now" }.joined(separator: "; ")
    }

    /// The dotted keys whose values differ between two configuration texts, sorted.
    static func differingKeys(_ saved: String, _ now: String) -> [String] {
        let a = leaves(saved), b = leaves(now)
        return Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
    }

    /// Every setting of a configuration text by dotted key, rendered.
    static func leaves(_ text: String) -> [String: String] {
        guard let node = try? Yams.compose(yaml: text), let flat = try? ConfigLoader.flatten(node, source: "") else { return [:] }
        return Dictionary(flat.map { ($0.key, ConfigLoader.render($0.node)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Whether a run saved with configuration `saved` may resume under `now`: the same settings, except settings the
    /// saved text lacks that are at their default now — settings added to MedSynth after the run was saved, which
    /// then behave as the run did (a new setting's default keeps the old behaviour).
    /// - Returns: nil when it may, else the differences as `differences` words them.
    public static func resumeConflict<C: RunConfiguration>(_ type: C.Type, saved: String, now: String) -> String? {
        let savedLeaves = leaves(saved), nowLeaves = leaves(now)
        if savedLeaves.isEmpty { return saved == now ? nil : "the texts differ" }
        let defaults = (try? ConfigLoader.defaultLeaves(C.self)) ?? [:]
        let keys = differingKeys(saved, now).filter { key in
            !(savedLeaves[key] == nil && nowLeaves[key] != nil && nowLeaves[key] == defaults[key])
        }
        if keys.isEmpty { return nil }
        return keys.map { "\($0): \(savedLeaves[$0] ?? "absent") in the checkpoint, \(nowLeaves[$0] ?? "absent") now" }.joined(separator: "; ")
    }
}

import Foundation
import MedTestSupport
import Testing

/// The help texts of `medsynth` (read from `medsynth --experimental-dump-help`, the JSON of the whole command tree)
/// are unwrapped paragraphs, and every example they show runs as written from the repository's root.
///
/// Conventions the help texts follow and this suite relies on:
/// - An example is a line of a command's discussion that starts, after its indentation, with `medsynth `; it is
///   one command on one line (double or single quotes group words as in a shell; ` #` starts a comment). Lines
///   starting with `python3 ` name a script of the repository, which must exist.
/// - A discussion is paragraphs separated by blank lines, each paragraph one line, except lists: lines starting
///   with `- ` or `N. `, and indented (two spaces) example lines under a line such as "Examples:". Abstracts and
///   the help of options and arguments are one line.
/// - Every option an example names exists in the help of the (sub)command it runs, every value-taking option
///   gets a value, and the required ones are there.
/// - Every input path of an example (`--in`, `--checkpoint`, `--config`, `--mask`, positional inputs, …) is a
///   file of the repository (not under `Outputs/`, which a fresh checkout does not have) or is written by an
///   earlier example of the same help text: its `--out`/`--dir`/output argument (or the option's default, such
///   as `medsynth sample`'s `Outputs/sample`), or a run folder `OUTPUTS/NAME` of `train`/`segment train`/
///   `validate`. A `--resume` without `--config` needs its run folder from an earlier example.
/// - The quick examples (data commands on small grids, and a translation with the small checkpoint that
///   `bench translate --prepare-only` writes) are run, in order, in a scratch copy of the repository's root (its
///   files linked, an empty `Outputs/`); each must exit 0. Training, benchmarks, the demo and large phantoms are
///   checked but not run.
@Suite(.serialized) struct HelpExamplesTests {
    // MARK: - The command tree

    /// One argument of a command, from the dump-help JSON.
    struct Argument {
        enum Kind: String { case positional, option, flag }
        var kind: Kind
        /// Long names without `--`.
        var longNames: [String]
        /// Short names without `-`.
        var shortNames: [String]
        /// The positional's value name (or the option's).
        var valueName: String?
        var isOptional: Bool
        var isRepeating: Bool
        /// ArgumentParser's parsing strategy: `upToNextOption` takes several values per occurrence.
        var parsingStrategy: String
        var defaultValue: String?
        var help: String
        var discussion: String
    }

    /// One command of the tree.
    struct Command {
        /// Words after `medsynth` (empty for the root).
        var path: [String]
        var abstract: String
        var discussion: String
        var arguments: [Argument]
        var subcommands: [String]

        var name: String { (["medsynth"] + path).joined(separator: " ") }
        func option(_ long: String) -> Argument? { arguments.first { $0.kind != .positional && $0.longNames.contains(long) } }
        func option(short: String) -> Argument? { arguments.first { $0.kind != .positional && $0.shortNames.contains(short) } }
        var positionals: [Argument] { arguments.filter { $0.kind == .positional } }
    }

    /// Every command of the tool, by path ("segment predict"; "" for the root); read once.
    static func commandTree() throws -> [String: Command] { try cachedTree.get() }
    private static let cachedTree = Result { try readCommandTree() }

    private static func readCommandTree() throws -> [String: Command] {
        let r = try CommandRunner.run(["--experimental-dump-help"])
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
              let root = json["command"] as? [String: Any] else {
            throw NSError(domain: "HelpExamplesTests", code: 1, userInfo: [NSLocalizedDescriptionKey: "medsynth --experimental-dump-help: exit \(r.status): \(r.stderr)"])
        }
        var out: [String: Command] = [:]
        func walk(_ node: [String: Any], _ path: [String]) {
            let subs = node["subcommands"] as? [[String: Any]] ?? []
            let arguments = (node["arguments"] as? [[String: Any]] ?? []).map { a -> Argument in
                let names = a["names"] as? [[String: Any]] ?? []
                func named(_ kinds: Set<String>) -> [String] {
                    names.filter { kinds.contains($0["kind"] as? String ?? "") }.compactMap { $0["name"] as? String }
                }
                return Argument(kind: Argument.Kind(rawValue: a["kind"] as? String ?? "") ?? .option,
                                longNames: named(["long", "longWithSingleDash"]), shortNames: named(["short"]),
                                valueName: a["valueName"] as? String, isOptional: a["isOptional"] as? Bool ?? true,
                                isRepeating: a["isRepeating"] as? Bool ?? false,
                                parsingStrategy: a["parsingStrategy"] as? String ?? "default", defaultValue: a["defaultValue"] as? String,
                                help: a["abstract"] as? String ?? "", discussion: a["discussion"] as? String ?? "")
            }
            out[path.joined(separator: " ")] = Command(
                path: path, abstract: node["abstract"] as? String ?? "", discussion: node["discussion"] as? String ?? "",
                arguments: arguments, subcommands: subs.compactMap { $0["commandName"] as? String })
            for s in subs { walk(s, path + [s["commandName"] as? String ?? "?"]) }
        }
        walk(root, [])
        return out
    }

    // MARK: - Examples

    /// Splits a command line as a POSIX shell would for the forms help texts use: words separated by spaces,
    /// double and single quotes grouping, an unquoted `#` at a word's start beginning a comment.
    static func words(_ line: String) -> [String] {
        var words: [String] = [], current = "", started = false
        var quote: Character? = nil
        for c in line {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c; started = true
            } else if c == " " || c == "\t" {
                if started { words.append(current) }
                current = ""; started = false
            } else if c == "#" && !started {
                break
            } else {
                current.append(c); started = true
            }
        }
        if started { words.append(current) }
        return words
    }

    /// The example lines of a help text: lines that start with `medsynth ` after their indentation.
    static func exampleLines(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("medsynth ") }
    }

    /// An example parsed against the command tree.
    struct ParsedExample {
        var line: String
        var command: Command
        var arguments: [String]
        /// (argument, its values) in order.
        var values: [(Argument, [String])]

        func all(_ long: String) -> [String] { values.filter { $0.0.longNames.contains(long) }.flatMap(\.1) }
        func first(_ long: String) -> String? { all(long).first }
        func has(_ long: String) -> Bool { values.contains { $0.0.longNames.contains(long) } }
    }

    /// Parses `line` (`medsynth …`) against `tree`; problems are appended to `problems`.
    static func parse(_ line: String, tree: [String: Command], problems: inout [String]) -> ParsedExample? {
        var words = Self.words(line)
        guard words.first == "medsynth" else { problems.append("\(line): does not start with medsynth"); return nil }
        words.removeFirst()
        guard var command = tree[""] else { return nil }
        while let w = words.first, command.subcommands.contains(w), let sub = tree[(command.path + [w]).joined(separator: " ")] {
            command = sub
            words.removeFirst()
        }
        if !command.subcommands.isEmpty && command.positionals.isEmpty && !words.isEmpty && !words[0].hasPrefix("-") {
            problems.append("\(line): '\(words[0])' is not a subcommand of \(command.name) (\(command.subcommands.joined(separator: ", ")))")
            return nil
        }
        let arguments = command.path + words
        // The tool reads `--window LOW HIGH` as `--window LOW --window HIGH` (MedSynthCommand.normalizedArguments).
        var normalized: [String] = []
        var k = 0
        while k < words.count {
            normalized.append(words[k])
            if words[k] == "--window", k + 2 < words.count, Double(words[k + 1]) != nil, Double(words[k + 2]) != nil {
                normalized += [words[k + 1], "--window", words[k + 2]]
                k += 3
            } else {
                k += 1
            }
        }
        words = normalized
        var values: [(Argument, [String])] = []
        var positionals = command.positionals
        func isNumber(_ s: String) -> Bool { Double(s) != nil }
        var i = 0
        var ok = true
        while i < words.count {
            let w = words[i]
            i += 1
            if w.hasPrefix("-") && !isNumber(w) && w != "-" {
                let (name, inline): (String, String?) = {
                    guard let eq = w.firstIndex(of: "=") else { return (w, nil) }
                    return (String(w[..<eq]), String(w[w.index(after: eq)...]))
                }()
                let argument = name.hasPrefix("--") ? command.option(String(name.dropFirst(2))) : command.option(short: String(name.dropFirst()))
                guard let argument else {
                    problems.append("\(line): \(name) is not an option of \(command.name)")
                    ok = false
                    continue
                }
                if argument.kind == .flag {
                    if inline != nil { problems.append("\(line): the flag \(name) takes no value") }
                    values.append((argument, []))
                    continue
                }
                var taken: [String] = inline.map { [$0] } ?? []
                if inline == nil {
                    // One value, or with `.upToNextOption` the values up to the next option (negative numbers are values).
                    let several = argument.parsingStrategy == "upToNextOption"
                    let unconditional = argument.parsingStrategy == "unconditional"
                    while i < words.count, taken.isEmpty || several, unconditional || !(words[i].hasPrefix("-") && !isNumber(words[i])) {
                        taken.append(words[i])
                        i += 1
                    }
                }
                if taken.isEmpty { problems.append("\(line): \(name) needs a value"); ok = false }
                values.append((argument, taken))
            } else {
                guard let p = positionals.first else {
                    problems.append("\(line): unexpected argument '\(w)' for \(command.name)")
                    ok = false
                    continue
                }
                if !p.isRepeating { positionals.removeFirst() }
                values.append((p, [w]))
            }
        }
        for p in positionals where !p.isOptional && !p.isRepeating {
            problems.append("\(line): missing the argument <\(p.valueName ?? "?")> of \(command.name)")
            ok = false
        }
        for a in command.arguments where a.kind == .option && !a.isOptional && a.defaultValue == nil {
            if !values.contains(where: { $0.0.longNames == a.longNames }) {
                problems.append("\(line): missing --\(a.longNames.first ?? "?"), required by \(command.name)")
                ok = false
            }
        }
        return ok ? ParsedExample(line: line, command: command, arguments: arguments, values: values) : nil
    }

    /// Options and positionals whose values are files or folders the example reads.
    static let inputNames: Set<String> = ["in", "input", "file", "checkpoint", "config", "settings", "mask", "label", "manifest",
                                          "root", "carvemix", "pred", "ref"]
    /// Options and positionals whose values are files or folders the example writes.
    static let outputNames: Set<String> = ["out", "output", "dir", "out-dir"]

    static func argumentName(_ a: Argument) -> String { a.longNames.first ?? a.valueName ?? "" }

    /// `path` without `./` and trailing slashes.
    static func normalized(_ path: String) -> String {
        var p = path
        while p.hasPrefix("./") { p.removeFirst(2) }
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// The run folder of a `train` / `segment train` / `validate` example (commands with --outputs and --name).
    static func runFolder(_ e: ParsedExample) -> String? {
        guard let outputs = e.command.option("outputs"), e.command.option("name") != nil else { return nil }
        let name = e.first("name") ?? e.first("config").map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        guard let name else { return nil }
        return normalized((e.first("outputs") ?? outputs.defaultValue ?? "Outputs") + "/" + name)
    }

    /// What an example reads and writes.
    static func paths(_ e: ParsedExample) -> (inputs: [String], outputs: [String]) {
        var inputs: [String] = [], outputs: [String] = []
        for (a, v) in e.values {
            let name = argumentName(a)
            if inputNames.contains(name) { inputs += v.map(normalized) }
            if outputNames.contains(name) { outputs += v.map(normalized) }
        }
        // Output options left out write to their default (`medsynth sample` → Outputs/sample).
        for a in e.command.arguments where a.kind == .option && outputNames.contains(argumentName(a)) && !e.has(argumentName(a)) {
            if let d = a.defaultValue { outputs.append(normalized(d)) }
        }
        if e.command.path == ["demo"] && !e.has("out") { outputs.append(e.has("quick") ? "Outputs/demo-quick" : "Outputs/demo") }
        if let run = runFolder(e) {
            if e.has("resume") && !e.has("config") { inputs.append(run) } else { outputs.append(run) }
        }
        return (inputs, outputs)
    }

    /// True when `path` is `folder` or inside it.
    static func isInside(_ path: String, _ folder: String) -> Bool { path == folder || path.hasPrefix(folder + "/") }

    /// True when `path` is a file of a fresh checkout: it exists under the repository's root and is not an output.
    static func isRepositoryFile(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), !isInside(path, "Outputs"), !path.hasPrefix("..") else { return false }
        return FileManager.default.fileExists(atPath: Fixtures.repositoryRoot.appendingPathComponent(path).path)
    }

    /// The problems of the examples of one help text: options, arity, input paths.
    static func checkExamples(of text: String, owner: String, tree: [String: Command]) -> (problems: [String], examples: [ParsedExample]) {
        var problems: [String] = [], parsed: [ParsedExample] = []
        var produced: [String] = []
        for line in exampleLines(text) {
            guard let e = parse(line, tree: tree, problems: &problems) else { continue }
            let (inputs, outputs) = paths(e)
            for p in inputs where !isRepositoryFile(p) && !produced.contains(where: { isInside(p, $0) }) && !outputs.contains(p) {
                problems.append("\(owner) --help: \(line): \(p) is neither a file of the repository nor written by an earlier example")
            }
            produced += outputs
            parsed.append(e)
        }
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where line.hasPrefix("python3 ") {
            let script = words(line).dropFirst().first ?? ""
            if !isRepositoryFile(script) { problems.append("\(owner) --help: \(line): \(script) is not a file of the repository") }
        }
        return (problems, parsed)
    }

    /// Repository files named in prose (`docs/…`, `Configs/…`, `benchmarks/…`, `Tests/Fixtures/…`) must exist.
    static func checkReferencedFiles(_ text: String, owner: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "(?<![\\w./-])(docs|Configs|benchmarks|Tests/Fixtures)/[A-Za-z0-9_./-]+")
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { m in
            var p = String(text[Range(m.range, in: text)!])
            while let last = p.last, ".,;:)".contains(last) { p.removeLast() }
            return isRepositoryFile(p) ? nil : "\(owner) --help names \(p), which is not in the repository"
        }
    }

    /// Hard-wrapped help: a discussion line followed by another line of the same paragraph that is not a list item
    /// or an example; any newline in an abstract or an argument's help.
    static func checkUnwrapped(_ c: Command) -> [String] {
        var problems: [String] = []
        if c.abstract.contains("\n") { problems.append("\(c.name): the abstract has a line break") }
        for a in c.arguments where a.help.contains("\n") || a.discussion.contains("\n") {
            problems.append("\(c.name): the help of \(argumentName(a)) has a line break")
        }
        let lines = c.discussion.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func isListItem(_ s: String) -> Bool {
            s.hasPrefix("- ") || s.hasPrefix("  ") || s.range(of: "^[0-9]+\\. ", options: .regularExpression) != nil
        }
        for (n, line) in lines.enumerated() {
            if line.hasPrefix("  ") {
                let t = line.trimmingCharacters(in: .whitespaces)
                if !(t.hasPrefix("medsynth ") || t.hasPrefix("python3 ")) {
                    problems.append("\(c.name): the indented line '\(line)' is not an example (a wrapped example?)")
                }
            }
            if n > 0, !lines[n - 1].isEmpty, !line.isEmpty, !isListItem(line) {
                problems.append("\(c.name): hard-wrapped paragraph: '\(lines[n - 1])' / '\(line)'")
            }
        }
        return problems
    }

    // MARK: - Running the quick examples

    /// The largest `sample` or `phantom` example that is run: at most 4 cases, at most this many voxels in all.
    static let voxelBudget = 4 * 64 * 128 * 128
    /// Commands whose examples are run when their inputs are there (all of them are quick on small data; a
    /// translation only runs with a checkpoint an earlier example wrote, which is `bench translate`'s small one).
    static let runnable: Set<[String]> = [["sample"], ["phantom"], ["info"], ["convert"], ["lesions"], ["augment"], ["import"],
                                          ["evaluate"], ["translate"]]

    /// True when `e` is quick enough to run in the suite.
    static func isQuick(_ e: ParsedExample) -> Bool {
        if e.command.path == ["bench", "translate"] {
            // Only writing a small checkpoint and phantom.
            return e.has("prepare-only") && (Int(e.first("size") ?? "") ?? .max) <= 64 && (Int(e.first("depth") ?? "") ?? .max) <= 32
        }
        guard runnable.contains(e.command.path) else { return false }
        guard e.command.option("shape") != nil, e.command.option("cases") != nil else { return true }
        func ints(_ long: String) -> [Int] {
            let given = e.all(long)
            guard given.isEmpty else { return given.compactMap { Int($0) } }
            // A default such as "64 128 128" or "[64, 128, 128]".
            let text = e.command.option(long)?.defaultValue ?? ""
            return text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        let cases = ints("cases").first ?? Int.max
        let voxels = ints("shape").reduce(1, *)
        return cases <= 4 && cases * voxels <= voxelBudget
    }

    /// A scratch folder that looks like a fresh checkout: the repository's top-level entries linked, no `Outputs/`.
    static func scratchCheckout() throws -> URL {
        let folder = try Fixtures.temporaryFolder("help-examples")
        let fm = FileManager.default
        try fm.createDirectory(at: folder.appendingPathComponent("Outputs"), withIntermediateDirectories: true)
        for entry in try fm.contentsOfDirectory(atPath: Fixtures.repositoryRoot.path) where !entry.hasPrefix(".") && entry != "Outputs" {
            try fm.createSymbolicLink(at: folder.appendingPathComponent(entry),
                                      withDestinationURL: Fixtures.repositoryRoot.appendingPathComponent(entry))
        }
        return folder
    }

    // MARK: - Tests

    @Test func helpTextsAreUnwrappedParagraphs() throws {
        let tree = try Self.commandTree()
        #expect(tree.count >= 20, "\(tree.keys.sorted())")
        let problems = tree.values.sorted { $0.name < $1.name }.flatMap(Self.checkUnwrapped)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func everyExampleNamesRealOptionsAndPaths() throws {
        let tree = try Self.commandTree()
        var problems: [String] = []
        var count = 0
        for c in tree.values.sorted(by: { $0.name < $1.name }) {
            let (p, examples) = Self.checkExamples(of: c.discussion, owner: c.name, tree: tree)
            problems += p
            count += examples.count
            let texts = [c.abstract, c.discussion] + c.arguments.flatMap { [$0.help, $0.discussion] }
            problems += texts.flatMap { Self.checkReferencedFiles($0, owner: c.name) }
            // Every command with a discussion shows how to run it.
            if !c.discussion.isEmpty && Self.exampleLines(c.discussion).isEmpty {
                problems.append("\(c.name): its help has no example")
            }
        }
        #expect(count >= 60, "only \(count) examples found")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The checker finds what the issue reported (a checkpoint path no example writes) and the other usual
    /// mistakes; a checker that passes everything would let broken help through.
    @Test func brokenExamplesAreReported() throws {
        let tree = try Self.commandTree()
        let broken = """
        Examples:
          medsynth translate --checkpoint Outputs/train/latest.h5 --in ct.nii.gz --out t1.nii.gz
          medsynth train --config Configs/cyclegan-ct2t1.yaml
          medsynth translate --checkpoint Outputs/cyclegan-ct2t1/checkpoints/latest.h5 --in Outputs/sample/case000_CT.nii.gz --out x.nii.gz
          medsynth sample --cases 1 --shape 8 16 16 --output Outputs/x
          medsynth phantom --cases 1 --shape 8 16 16
          medsynth infos Tests/Fixtures/dicom/axial-ct
          medsynth convert Tests/Fixtures/dicom/axial-ct
          medsynth train --name never-started --resume
          medsynth segment train --config Configs/unet-lesion.yaml
          medsynth segment predict --checkpoint Outputs/unet-lesion/checkpoints/best.h5 --in Outputs/unet-lesion/x.nii.gz --out y.nii.gz
          python3 benchmarks/no_such_script.py
        """
        let (problems, _) = Self.checkExamples(of: broken, owner: "test", tree: tree)
        let expected = ["Outputs/train/latest.h5 is neither", "ct.nii.gz is neither", "Outputs/sample/case000_CT.nii.gz is neither",
                        "--output is not an option", "unexpected argument 'Outputs/x'", "missing --out", "'infos' is not a subcommand", "missing the argument",
                        "Outputs/never-started is neither", "no_such_script.py"]
        for text in expected {
            #expect(problems.contains { $0.contains(text) }, "not reported: \(text)\n\(problems.joined(separator: "\n"))")
        }
        // Outputs of a run started by an earlier example are fine.
        #expect(!problems.contains { $0.contains("Outputs/cyclegan-ct2t1/checkpoints/latest.h5 is neither") })
        #expect(!problems.contains { $0.contains("Outputs/unet-lesion/") && $0.contains("is neither") })
        #expect(problems.count == expected.count, "\(problems.joined(separator: "\n"))")

        let wrapped = Command(path: ["x"], abstract: "one line", discussion: "A sentence that goes on\nand on.\n\nExamples:\n  medsynth x --a\n    --b\n",
                              arguments: [], subcommands: [])
        #expect(Self.checkUnwrapped(wrapped).count == 2, "\(Self.checkUnwrapped(wrapped))")
        #expect(Self.checkReferencedFiles("see docs/NO_SUCH_PAGE.md and docs/TRAINING.md.", owner: "x").count == 1)
    }

    /// Copies `path` (a file or folder, relative) from `source` to `destination`, replacing what is there.
    static func copy(_ path: String, from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        let from = source.appendingPathComponent(path), to = destination.appendingPathComponent(path)
        guard fm.fileExists(atPath: from.path) else { return }
        try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? fm.removeItem(at: to)
        try fm.copyItem(at: from, to: to)
    }

    @Test func quickExamplesRunAsWritten() throws {
        let tree = try Self.commandTree()
        let cache = try Fixtures.temporaryFolder("help-examples-cache")
        defer { try? FileManager.default.removeItem(at: cache) }
        // An example that several help texts show (`medsynth sample`) and that reads only repository files runs once:
        // its outputs are kept and copied.
        var cached: [[String]: URL] = [:]
        var ran: [String] = []
        for c in tree.values.sorted(by: { $0.name < $1.name }) {
            let (problems, examples) = Self.checkExamples(of: c.discussion, owner: c.name, tree: tree)
            guard problems.isEmpty, examples.contains(where: Self.isQuick) else { continue }
            let root = try Self.scratchCheckout()
            defer { try? FileManager.default.removeItem(at: root) }
            for e in examples where Self.isQuick(e) {
                let (inputs, outputs) = Self.paths(e)
                // Inputs written by an example that is not run (a training, a large phantom) are not there.
                guard inputs.allSatisfy({ FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path) }) else { continue }
                ran.append(e.line)
                if let saved = cached[e.arguments] {
                    for p in outputs { try Self.copy(p, from: saved, to: root) }
                    continue
                }
                let r = try CommandRunner.run(e.arguments, in: root, timeoutSeconds: 120)
                #expect(r.status == 0 && !r.signaled, "\(c.name) --help: \(e.line): exit \(r.status)\n\(r.stderr)")
                guard r.status == 0, inputs.allSatisfy(Self.isRepositoryFile),
                      outputs.allSatisfy({ !$0.hasPrefix("/") && !$0.hasPrefix("..") }) else { continue }
                let saved = cache.appendingPathComponent(String(cached.count))
                for p in outputs { try Self.copy(p, from: root, to: saved) }
                cached[e.arguments] = saved
            }
        }
        // The data commands' examples, and those that build on them, are all run.
        #expect(ran.count >= 30, "ran only \(ran.count):\n\(ran.joined(separator: "\n"))")
        for command in ["sample", "phantom", "info", "convert", "lesions", "augment", "import", "evaluate", "translate", "bench translate"] {
            #expect(ran.contains { $0.hasPrefix("medsynth \(command) ") || $0 == "medsynth \(command)" }, "no \(command) example ran")
        }
    }
}

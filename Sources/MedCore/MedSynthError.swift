/// The error every MedSynth library throws: what went wrong, where (a file, a dataset, an option), and what
/// was expected. `description` is the single line the command-line tool prints on stderr.
public struct MedSynthError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Broad category, for callers that branch on the failure (tests, retry logic).
    public enum Kind: String, Sendable, Equatable {
        /// The path does not exist.
        case notFound
        /// The file exists but cannot be opened or read (permissions, I/O error).
        case unreadable
        /// The content is damaged, truncated or inconsistent with its own header.
        case corrupt
        /// The content is valid but uses a feature MedSynth does not handle.
        case unsupported
        /// The header claims more data than MedSynth will allocate.
        case tooLarge
        /// The output could not be written.
        case writeFailed
        /// An argument, option or configuration value is out of range.
        case invalidArgument
        /// Two inputs that must agree (shapes, spacings) do not.
        case mismatch
    }

    /// The category of the failure.
    public let kind: Kind
    /// The file, dataset or option the error is about, if any.
    public let subject: String?
    /// What went wrong, quoting the offending value and what was expected.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - kind: the category.
    ///   - subject: the file path (or dataset/option name) the error is about.
    ///   - message: what went wrong and what was expected, quoting values.
    public init(_ kind: Kind, _ subject: String? = nil, _ message: String) {
        self.kind = kind
        self.subject = subject
        self.message = message
    }

    public var description: String {
        if let subject { return "\(subject): \(message)" }
        return message
    }
}

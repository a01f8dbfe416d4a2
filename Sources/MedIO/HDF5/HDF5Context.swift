import CHDF5
import MedCore

/// Where an HDF5 operation happens (the file as the user named it), and how its failures become
/// `MedSynthError`s that carry HDF5's own explanation.
///
/// HDF5 reports a failure as a negative return value and pushes a stack of messages, outermost API call first,
/// innermost cause last ("H5Fopen: unable to open file" … "truncated file: eof = 1000, stored_eof = 5000").
/// `error(_:_:)` drains the calling thread's stack and appends the innermost messages, so the Swift error says
/// why without anything being printed.
struct HDF5Context: Sendable {
    /// The file path shown in errors: the user's path, never a temporary file's.
    let file: String

    /// How many of the innermost HDF5 messages an error quotes.
    static let quotedMessageCount = 3

    /// An error about `file`, with the HDF5 error stack's innermost messages appended (the stack is cleared).
    func error(_ kind: MedSynthError.Kind, _ message: String) -> MedSynthError {
        let causes = HDF5Context.drainErrorStack()
        guard !causes.isEmpty else { return MedSynthError(kind, file, message) }
        return MedSynthError(kind, file, "\(message) (HDF5: \(causes.prefix(HDF5Context.quotedMessageCount).joined(separator: "; ")))")
    }

    /// Returns `status` if it is not negative; throws `error(kind, message)` otherwise.
    @discardableResult
    func check<T: BinaryInteger>(_ status: T, _ kind: MedSynthError.Kind, _ message: @autoclosure () -> String) throws -> T {
        if status < 0 { throw error(kind, message()) }
        return status
    }

    /// Wraps a newly created identifier in a handle that closes it, or throws when creation failed.
    func handle(_ id: hid_t, _ kind: HDF5Handle.Kind, _ failure: MedSynthError.Kind,
                _ message: @autoclosure () -> String) throws -> HDF5Handle {
        if id < 0 { throw error(failure, message()) }
        return HDF5Handle(id, kind)
    }

    /// The text in a NUL-terminated (or full) C character buffer, decoded as UTF-8.
    static func string(fromCBuffer buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The calling thread's HDF5 error messages, innermost first, without repeats; the stack is then cleared.
    static func drainErrorStack() -> [String] {
        final class Collector { var messages: [String] = [] }
        let collector = Collector()
        let estack = ms_h5e_default()
        _ = withExtendedLifetime(collector) {
            H5Ewalk2(estack, H5E_WALK_UPWARD, { _, entry, data in
                guard let entry, let data else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
                var text = entry.pointee.desc.map { String(cString: $0) } ?? ""
                if text.isEmpty {
                    // No description: fall back to the minor message, the cause class ("File signature not found").
                    var buffer = [CChar](repeating: 0, count: 256)
                    if H5Eget_msg(entry.pointee.min_num, nil, &buffer, buffer.count - 1) > 0 {
                        text = HDF5Context.string(fromCBuffer: buffer)
                    }
                }
                if !text.isEmpty && !collector.messages.contains(text) { collector.messages.append(text) }
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        _ = H5Eclear2(estack)
        return collector.messages
    }
}

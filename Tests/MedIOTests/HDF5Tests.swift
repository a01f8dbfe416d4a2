import Foundation
import Testing
import MedCore
import MedIO
import MedTestSupport

/// All HDF5 suites are nested in this one and run one test at a time: the object-count test checks that the
/// whole process has no HDF5 object open, which would be racy if other HDF5 tests ran beside it.
@Suite(.serialized) enum HDF5Tests {}

/// Shared helpers for the HDF5 suites.
enum HDF5TestSupport {
    /// Runs `body` and checks it throws a `MedSynthError` of `kind` whose text contains every string in `mentions`.
    static func expectError(_ kind: MedSynthError.Kind, mentioning mentions: [String],
                            sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(kind) error mentioning \(mentions)", sourceLocation: sourceLocation)
        } catch let error as MedSynthError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            for m in mentions {
                #expect(error.description.contains(m), "'\(m)' not in: \(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected MedSynthError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// A scratch folder removed by the caller.
    static func folder(_ label: String) throws -> URL { try Fixtures.temporaryFolder("hdf5-\(label)") }

    /// The files in `folder` (to check that nothing partial is left).
    static func contents(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}

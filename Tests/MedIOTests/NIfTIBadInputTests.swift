import Foundation
import MedCore
import MedTestSupport
import Testing
@testable import MedIO

/// Every damaged or unsupported NIfTI under Tests/Fixtures/bad-input/ must give a MedSynthError naming the
/// file — no crash, no hang, no giant allocation.
@Suite struct NIfTIBadInputTests {
    static let cases: [(String, MedSynthError.Kind, String)] = [
        ("zero-bytes.nii", .corrupt, "empty"),
        ("zero-bytes.nii.gz", .corrupt, "empty"),
        ("random-bytes.nii", .corrupt, "not a NIfTI"),
        ("random-bytes.nii.gz", .corrupt, "not a NIfTI"),
        ("png-named.nii", .corrupt, "not a NIfTI"),
        ("truncated.nii", .corrupt, "truncated"),
        ("truncated.nii.gz", .corrupt, "truncated"),
        ("short-data.nii.gz", .corrupt, "truncated"),
        ("huge-dims.nii", .tooLarge, "32767"),
        ("huge-dims.nii.gz", .tooLarge, "32767"),
        ("huge-dims-nifti2.nii", .tooLarge, "8192"),
        ("oversized-claim.nii", .corrupt, "4000000000 bytes of voxel data"),
        ("oversized-claim.nii.gz", .corrupt, "4000000000 bytes of voxel data"),
        ("negative-dims.nii", .corrupt, "-5"),
        ("huge-vox-offset.nii", .corrupt, "vox_offset"),
        ("unsupported-complex64.nii", .unsupported, "datatype code 32 (complex64)"),
        ("series-4d.nii", .unsupported, "4D series with 3 volumes; MedSynth reads 3D volumes"),
    ]

    @Test(arguments: cases)
    func badFileGivesAClearError(name: String, kind: MedSynthError.Kind, phrase: String) {
        let url = Fixtures.url("bad-input/\(name)")
        let error = #expect(throws: MedSynthError.self) { try NIfTIFile.read(url) }
        #expect(error?.kind == kind, "\(name): \(String(describing: error))")
        #expect(error?.subject == url.path)
        #expect(error?.message.contains(phrase) == true, "\(name): \(String(describing: error))")
    }

    @Test func wrongExtensionIsUnsupported() {
        let url = Fixtures.url("bad-input/nifti-named.png")
        let error = #expect(throws: MedSynthError.self) { try NIfTIFile.read(url) }
        #expect(error?.kind == .unsupported)
    }
}

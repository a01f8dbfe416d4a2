import Foundation
import MedTestSupport
import Testing

/// The DICOM reader's child processes also contain hangs: a child that stays on one file past
/// MEDSYNTH_DICOM_FILE_TIMEOUT_S is killed, and the file fails with a message naming it (the fault is injected
/// with MEDSYNTH_FAULT_DICOM_HANG, which makes the child stop forever on a matching file: "NAME" in every child,
/// "decode:NAME" only in those that decode pixel data).
@Suite struct DICOMCommandTests {
    /// `medsynth convert` of the axial CT fixture to NIfTI with the hang fault set to `hang` and a 1 s limit:
    /// the exit status, stderr, the seconds it took and what is left in the output folder.
    static func convertWithHang(_ hang: String) throws -> (status: Int32, stderr: String, seconds: Double, left: [String]) {
        let executable = try #require(CommandRunner.executable)
        let scratch = try Fixtures.temporaryFolder("dicom-hang")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["convert", Fixtures.url("dicom/axial-ct").path, scratch.appendingPathComponent("ct.nii").path]
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_FAULT_DICOM_HANG"] = hang
        environment["MEDSYNTH_DICOM_FILE_TIMEOUT_S"] = "1"
        process.environment = environment
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr, Date().timeIntervalSince(start),
                try FileManager.default.contentsOfDirectory(atPath: scratch.path))
    }

    @Test func aHangingFileFailsAloneWithinTheTimeout() throws {
        let run = try Self.convertWithHang("IM_38af")
        #expect(run.seconds < 60)
        #expect(run.status == 1, "\(run.stderr)")
        // The file hangs in the header probe: it is left out, the series has a gap, and the error names both.
        #expect(run.stderr.contains("uneven slice spacing"), "\(run.stderr)")
        #expect(run.stderr.contains("IM_38af.dcm (GDCM did not finish reading it within 1 s"), "\(run.stderr)")
        #expect(run.left.isEmpty, "no output, no temporary file: \(run.left)")
    }

    /// A file that hangs while its pixels are decoded (its header parsed): the decoding child is killed, the series
    /// is refused naming the file, the other children (waiting for the ring) are stopped, and no output is left.
    @Test func aFileHangingInDecodingRefusesTheSeries() throws {
        let run = try Self.convertWithHang("decode:IM_38af")
        #expect(run.seconds < 60)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("IM_38af.dcm"), "\(run.stderr)")
        #expect(run.stderr.contains("did not finish reading it within 1 s"), "\(run.stderr)")
        #expect(run.stderr.contains("is refused: this file is one of them"), "\(run.stderr)")
        #expect(run.left.isEmpty, "no output, no temporary file: \(run.left)")
    }
}

import Foundation
import MedTestSupport
import Testing

/// The DICOM reader's child processes also contain hangs: a child that stays on one file past
/// MEDSYNTH_DICOM_FILE_TIMEOUT_S is killed, and the file fails with a message naming it (the fault is injected
/// with MEDSYNTH_FAULT_DICOM_HANG, which makes the child stop forever on a matching file).
@Suite struct DICOMCommandTests {
    @Test func aHangingFileFailsAloneWithinTheTimeout() throws {
        let executable = try #require(CommandRunner.executable)
        let scratch = try Fixtures.temporaryFolder("dicom-hang")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("ct.nii")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["convert", Fixtures.url("dicom/axial-ct").path, out.path]
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_FAULT_DICOM_HANG"] = "IM_38af"
        environment["MEDSYNTH_DICOM_FILE_TIMEOUT_S"] = "1"
        process.environment = environment
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(process.terminationStatus == 1, "\(stderr)")
        // The file hangs in the header probe: it is left out, the series has a gap, and the error names both.
        #expect(stderr.contains("uneven slice spacing"), "\(stderr)")
        #expect(stderr.contains("IM_38af.dcm (GDCM did not finish reading it within 1 s"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// A file that hangs while its pixels are decoded (its header parsed): the decoding child is killed, the series
    /// is refused naming the file, the other children (waiting for the ring) are stopped, and no output is left.
    @Test func aFileHangingInDecodingRefusesTheSeries() throws {
        let executable = try #require(CommandRunner.executable)
        let scratch = try Fixtures.temporaryFolder("dicom-hang-decode")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("ct.nii")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["convert", Fixtures.url("dicom/axial-ct").path, out.path]
        var environment = ProcessInfo.processInfo.environment
        environment["MEDSYNTH_FAULT_DICOM_HANG"] = "decode:IM_38af"
        environment["MEDSYNTH_DICOM_FILE_TIMEOUT_S"] = "1"
        process.environment = environment
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let stderr = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("IM_38af.dcm"), "\(stderr)")
        #expect(stderr.contains("did not finish reading it within 1 s"), "\(stderr)")
        #expect(stderr.contains("is refused: this file is one of them"), "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "no output, no temporary file")
    }
}

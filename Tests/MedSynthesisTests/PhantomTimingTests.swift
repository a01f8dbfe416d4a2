import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// Timing printouts (not assertions): machines are shared and noisy, so they run only on request and never in CI.
@Suite struct PhantomTimingTests {
    /// A 128 × 128 × 64 case, only when MEDSYNTH_TIMING is set (the variable of TensorTimingTests):
    /// `MEDSYNTH_TIMING=1 swift test -c release -Xswiftc -enable-testing --filter PhantomTimingTests`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_TIMING"] != nil))
    func timeOneSmallCase() throws {
        let phantom = try HeadPhantom(settings: HeadPhantomSettings().withShape(VolumeShape(depth: 64, height: 128, width: 128)))
        _ = try phantom.makeCase(seed: 1, index: 0)
        let cpu0 = clock()
        let start = Date()
        _ = try phantom.makeCase(seed: 1, index: 1)
        let wall = Date().timeIntervalSince(start), cpu = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
        print(String(format: "[phantom timing] 128x128x64 case (labels, CT, T1, T2, FLAIR, PET): wall %.3f s, CPU %.3f s, %d workers",
                     wall, cpu, Parallel.workerCount))
    }

    /// The full-size case is timed only when MEDSYNTH_TIME_FULL=1 (it takes a few seconds on a busy machine).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_TIME_FULL"] == "1"))
    func timeOneFullSizeCase() throws {
        let phantom = try HeadPhantom(settings: HeadPhantomSettings())
        _ = try phantom.makeCase(seed: 1, index: 0)
        for index in 1...3 {
            let cpu0 = clock()
            let start = Date()
            _ = try phantom.makeCase(seed: 1, index: index)
            let wall = Date().timeIntervalSince(start), cpu = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
            print(String(format: "[phantom timing] 256x256x128 case: wall %.3f s, CPU %.3f s, %d workers",
                         wall, cpu, Parallel.workerCount))
        }
    }
}

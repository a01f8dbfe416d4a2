import Foundation
import Testing
import MedCore
import MedIO
@testable import MedSynthesis

/// Timing printouts (not assertions): machines are shared and noisy.
@Suite struct LesionTimingTests {
    /// A full-size case (256 × 256 × 128, all modalities) with and without three lesions with sub-regions; only
    /// when MEDSYNTH_TIME_FULL=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MEDSYNTH_TIME_FULL"] == "1"))
    func timeOneFullSizeCaseWithLesions() throws {
        let phantom = try HeadPhantom(settings: HeadPhantomSettings())
        var settings = LesionSettings()
        settings.countRange = 3...3
        settings.subRegions = true
        settings.radiusMedianMM = 8
        let inserter = try PhantomLesionInserter(phantom: phantom, settings: settings)
        _ = try phantom.makeCase(seed: 1, index: 0)
        for index in 1...2 {
            let t0 = Date()
            _ = try phantom.makeCase(seed: 1, index: index)
            let plain = Date().timeIntervalSince(t0)
            let t1 = Date()
            let c = try inserter.makeCase(seed: 1, index: index)
            let lesioned = Date().timeIntervalSince(t1)
            print(String(format: "[lesion timing] 256x256x128 case: plain %.2f s, with %d lesions %.2f s, %d workers",
                         plain, c.lesions.count, lesioned, Parallel.workerCount))
        }
    }
}

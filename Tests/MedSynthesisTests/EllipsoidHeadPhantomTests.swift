import Testing
import MedCore
import MedIO
@testable import MedSynthesis

@Suite struct EllipsoidHeadPhantomTests {
    let phantom = EllipsoidHeadPhantom(settings: .init(shape: VolumeShape(depth: 24, height: 48, width: 48)))

    @Test func sameSeedSameBytesDifferentSeedDifferent() {
        let a = phantom.makeCase(seed: 3, index: 1), b = phantom.makeCase(seed: 3, index: 1)
        #expect(a.ct.voxels == b.ct.voxels && a.labels.voxels == b.labels.voxels)
        let c = phantom.makeCase(seed: 4, index: 1)
        #expect(c.ct.voxels != a.ct.voxels)
    }

    @Test func everyTissueIsPresentAndCTMatchesLabels() {
        let c = phantom.makeCase(seed: 11, index: 0)
        let labels = Set(c.labels.voxels.map { Int($0) })
        for l in [0, 1, 2, 3, 4] { #expect(labels.contains(l), "label \(l) missing") }
        // Per-label mean HU within 3 noise standard errors of the configured mean.
        let means = phantom.settings.meanHU
        for l in labels {
            let values = zip(c.labels.voxels, c.ct.voxels).filter { Int($0.0) == l }.map { Double($0.1) }
            let mean = values.reduce(0, +) / Double(values.count)
            let tolerance = 3 * phantom.settings.ctNoiseHU / Double(values.count).squareRoot() + 1e-3
            #expect(abs(mean - means[l]) <= tolerance, "label \(l): mean \(mean) HU, expected \(means[l])")
        }
        #expect(c.ct.modality == .ct && c.ct.unit == .hounsfield && c.labels.modality == .label)
        #expect(c.ct.affine == c.labels.affine)
    }

    @Test func resultDoesNotDependOnThreadCount() {
        // Noise is drawn from per-slice streams, so however the parallel loop's chunks are scheduled, repeated
        // generation gives identical bytes.
        let runs = (0..<3).map { _ in phantom.makeCase(seed: 99, index: 2).ct.voxels }
        #expect(runs.allSatisfy { $0 == runs[0] })
    }
}

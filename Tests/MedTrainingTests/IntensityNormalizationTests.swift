import Foundation
import MedCore
import MedIO
import MedTensor
import Testing
@testable import MedTraining

/// Checks an error's kind and that its one-line description quotes every part.
func expectDataError(_ kind: MedSynthError.Kind, mentioning parts: [String],
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a MedSynthError(.\(kind)) mentioning \(parts), got no error", sourceLocation: sourceLocation)
    } catch let error as MedSynthError {
        #expect(error.kind == kind, "kind \(error.kind) for: \(error)", sourceLocation: sourceLocation)
        for part in parts {
            #expect(error.description.contains(part), "'\(error)' does not mention '\(part)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a MedSynthError, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct IntensityNormalizationTests {
    /// Round-trip tolerance inside a window: two roundings to Float32 (see `IntensityMapping`).
    private func tolerance(_ m: IntensityMapping, _ v: Float) -> Float {
        Float(m.width) * 0x1p-23 + v.ulp
    }

    private func volume(_ values: [Float], _ modality: Modality, unit: IntensityUnit? = nil) -> Volume {
        Volume(shape: VolumeShape(depth: 1, height: 1, width: values.count), voxels: values, modality: modality, unit: unit)
    }

    @Test func ctWindowMapsBoundsAndRoundTripsInside() throws {
        let m = try IntensityNormalization.standard(for: .ct).fit(volume([0], .ct), subject: "ct")
        #expect(m.lowerValue == -1024 && m.upperValue == 2000 && m.unit == .hounsfield && m.modality == .ct)
        #expect(m.normalized(-1024) == -1 && m.normalized(2000) == 1 && m.normalized(488) == 0)
        #expect(m.physical(-1) == -1024 && m.physical(1) == 2000 && m.physical(0) == 488)
        // Every tissue value of the phantom and a dense sweep of the window come back.
        var values: [Float] = [-1024, -1000, -100, -80, 0, 15, 30, 40, 60, 300, 700, 1000, 1800, 2000]
        var g = SeededGenerator(seed: 1)
        for _ in 0..<10_000 { values.append(Float(g.uniform(-1024, 2000))) }
        for v in values {
            let back = m.physical(m.normalized(v))
            #expect(abs(back - v) <= tolerance(m, v), "\(v) → \(m.normalized(v)) → \(back)")
        }
        let normalized = m.normalize(values)
        #expect(normalized.allSatisfy { (-1...1).contains($0) })
        #expect(zip(m.physicalValues(normalized), values).allSatisfy { abs($0 - $1) <= tolerance(m, $1) })
        // Outside: clipped to the bounds, both ways.
        #expect(m.normalized(-3000) == -1 && m.normalized(3071) == 1)
        #expect(m.physical(m.normalized(3071)) == 2000 && m.physical(-7) == -1024 && m.physical(1.5) == 2000)
    }

    @Test func petSUVScalingRoundTrips() throws {
        let m = try IntensityNormalization.standard(for: .pet).fit(volume([0, 3, 9], .pet), subject: "pet")
        #expect(m.lowerValue == 0 && m.upperValue == 15 && m.unit == .suv)
        #expect(m.normalized(0) == -1 && m.normalized(7.5) == 0 && m.normalized(15) == 1 && m.normalized(30) == 1)
        for v: Float in [0, 0.2, 1, 2.5, 3.5, 8, 10, 12.25, 14.9] {
            #expect(abs(m.physical(m.normalized(v)) - v) <= tolerance(m, v))
        }
        let custom = try IntensityNormalization.suvScaling(maxSUV: 20).fit(volume([1], .pet), subject: "pet")
        #expect(custom.upperValue == 20 && custom.normalized(10) == 0)
    }

    @Test func percentilesFollowNumpyAndRoundTripPerVolume() throws {
        // numpy: np.percentile([1, 2, 3, 4], 40) = 2.2; [0..100] at 0.5 → 0.5, at 99.9 → 99.9.
        #expect(abs(IntensityNormalization.percentile(sorted: [1, 2, 3, 4], 40) - 2.2) < 1e-12)
        let ramp = (0...100).map(Float.init)
        #expect(abs(IntensityNormalization.percentile(sorted: ramp, 0.5) - 0.5) < 1e-12)
        #expect(abs(IntensityNormalization.percentile(sorted: ramp, 99.9) - 99.9) < 1e-9)
        #expect(IntensityNormalization.percentile(sorted: ramp, 100) == 100)
        #expect(IntensityNormalization.percentile(sorted: [7], 50) == 7)

        // A shuffled MR volume: the window is its 0.5th and 99.9th percentile, the mapping inverts inside it.
        var g = SeededGenerator(seed: 3)
        let values = (0..<1000).map { _ in Float(g.uniform(0, 700)) }
        let m = try IntensityNormalization.standard(for: .t1).fit(volume(values, .t1), subject: "t1")
        let sorted = values.sorted()
        #expect(m.lowerValue == IntensityNormalization.percentile(sorted: sorted, 0.5))
        #expect(m.upperValue == IntensityNormalization.percentile(sorted: sorted, 99.9))
        #expect(m.unit == .arbitrary && m.modality == .t1 && m.normalization == .percentiles(lower: 0.5, upper: 99.9))
        for v in values where v >= Float(m.lowerValue) && v <= Float(m.upperValue) {
            #expect(abs(m.physical(m.normalized(v)) - v) <= tolerance(m, v))
        }
        #expect(m.normalized(sorted.last!) == 1 && m.normalized(sorted.first!) == -1)   // beyond the window: clipped
        // Another volume gets its own window.
        let scaled = try IntensityNormalization.standard(for: .t1).fit(volume(values.map { $0 * 2 }, .t1), subject: "t1")
        #expect(abs(scaled.upperValue - 2 * m.upperValue) < 1e-3)
    }

    @Test func histogramPercentilesEqualTheSortedReference() {
        var g = SeededGenerator(seed: 8)
        let cases: [(String, [Float])] = [
            ("uniform", (0..<20_000).map { _ in Float(g.uniform(-50, 700)) }),
            // MR-like: most voxels background noise near 0, a bright tail; many ties.
            ("background-heavy", (0..<30_000).map { n in n % 3 == 0 ? Float(g.uniform(100, 660)) : Float(abs(g.nextNormal()) * 2) }),
            ("ties", (0..<5_000).map { Float($0 % 7) }),
            ("wide range", (0..<10_000).map { _ in Float(pow(10, g.uniform(-3, 6))) }),
            ("two values", [1, 1, 1, 9]),
            ("one value", [4]),
            ("constant", [Float](repeating: -3, count: 100)),
        ]
        let ps: [Double] = [0, 0.5, 1, 25, 50, 99, 99.5, 99.9, 100]
        for (name, values) in cases {
            let sorted = values.sorted()
            let fast = IntensityNormalization.percentiles(of: values, ps)
            for (p, value) in zip(ps, fast) {
                #expect(value == IntensityNormalization.percentile(sorted: sorted, p), "\(name) p\(p)")
            }
        }
    }

    @Test func zScoreWindowIsMeanPlusMinusKSigma() throws {
        let values: [Float] = [2, 4, 4, 4, 5, 5, 7, 9]   // mean 5, population std 2
        let m = try IntensityNormalization.zScore(clipSigma: 3).fit(volume(values, .flair), subject: "flair")
        #expect(m.lowerValue == -1 && m.upperValue == 11)
        #expect(m.normalized(5) == 0 && m.normalized(11) == 1 && m.normalized(100) == 1)
        for v in values { #expect(abs(m.physical(m.normalized(v)) - v) <= tolerance(m, v)) }
    }

    @Test func tensorsAndVolumesComeBackInPhysicalUnits() throws {
        let m = try IntensityNormalization.standard(for: .ct).fit(volume([0], .ct), subject: "ct")
        let hu: [Float] = [-1000, 0, 40, 1500, -500, 30, 700, 1200]
        let output = Tensor(m.normalize(hu), shape: [2, 1, 2, 2])
        let v = m.volume(fromNormalized: output, affine: Affine(spacingMM: SIMD3(0.9, 0.9, 2)))
        #expect(v.shape == VolumeShape(depth: 2, height: 2, width: 2) && v.modality == .ct && v.unit == .hounsfield)
        #expect(zip(v.voxels, hu).allSatisfy { abs($0 - $1) <= tolerance(m, $1) })
        #expect(abs(v.spacingMM.x - 0.9) < 1e-12 && abs(v.spacingMM.z - 2) < 1e-12)
        #expect(try m.normalize(Volume(shape: v.shape, voxels: hu, modality: .ct), subject: "x") == m.normalize(hu))
        expectDataError(.mismatch, mentioning: ["x", "arbitrary", "HU"]) {
            _ = try m.normalize(Volume(shape: v.shape, voxels: hu, modality: .t1), subject: "x")
        }
    }

    @Test func unitsAreChecked() {
        expectDataError(.mismatch, mentioning: ["f.h5: case 'c' T1", "arbitrary", "HU"]) {
            _ = try IntensityNormalization.standard(for: .ct).fit(volume([1, 2], .t1), subject: "f.h5: case 'c' T1")
        }
        expectDataError(.mismatch, mentioning: ["HU", "SUV"]) {
            _ = try IntensityNormalization.standard(for: .pet).fit(volume([1, 2], .ct), subject: "pet")
        }
        expectDataError(.mismatch, mentioning: ["label map"]) {
            _ = try IntensityNormalization.standard(for: .t1).fit(volume([0, 8], .label), subject: "labels")
        }
        expectDataError(.unsupported, mentioning: ["empty window", "constant"]) {
            _ = try IntensityNormalization.standard(for: .t2).fit(volume([5, 5, 5], .t2), subject: "t2")
        }
        expectDataError(.corrupt, mentioning: ["1 non-finite"]) {
            _ = try IntensityNormalization.standard(for: .t2).fit(volume([5, .nan, 6], .t2), subject: "t2")
        }
        expectDataError(.invalidArgument, mentioning: ["normalizationA", "lowerHU < upperHU"]) {
            try IntensityNormalization.ctWindow(lowerHU: 100, upperHU: -100).validate(subject: "normalizationA")
        }
        expectDataError(.invalidArgument, mentioning: ["0 <= lower < upper <= 100"]) {
            try IntensityNormalization.percentiles(lower: 2, upper: 101).validate()
        }
        expectDataError(.invalidArgument, mentioning: ["lower < upper"]) {
            _ = try IntensityMapping(modality: .t1, unit: .arbitrary, lowerValue: 3, upperValue: 3, normalization: .zScore(clipSigma: 3))
        }
    }

    @Test func defaultsByModality() {
        #expect(IntensityNormalization.standard(for: .ct) == .ctWindow(lowerHU: -1024, upperHU: 2000))
        #expect(IntensityNormalization.standard(for: .pet) == .suvScaling(maxSUV: 15))
        for m in [Modality.t1, .t2, .flair] {
            #expect(IntensityNormalization.standard(for: m) == .percentiles(lower: 0.5, upper: 99.9))
        }
        #expect(!IntensityNormalization.standard(for: .ct).isPerVolume && IntensityNormalization.standard(for: .t1).isPerVolume)
        #expect(IntensityNormalization.standard(for: .t1).fixedMapping(modality: .t1) == nil)
    }

    @Test func codableFormAcceptsDefaultsAndRejectsUnknownKeys() throws {
        func decode(_ json: String) throws -> IntensityNormalization {
            try JSONDecoder().decode(IntensityNormalization.self, from: Data(json.utf8))
        }
        #expect(try decode(#"{"method": "ctWindow"}"#) == .ctWindow(lowerHU: -1024, upperHU: 2000))
        #expect(try decode(#"{"method": "ctWindow", "upperHU": 3071}"#) == .ctWindow(lowerHU: -1024, upperHU: 3071))
        #expect(try decode(#"{"method": "percentiles", "lowerPercentile": 1, "upperPercentile": 99}"#) == .percentiles(lower: 1, upper: 99))
        #expect(try decode(#"{"method": "zScore"}"#) == .zScore(clipSigma: 3))
        #expect(try decode(#"{"method": "suvScaling", "maxSUV": 12}"#) == .suvScaling(maxSUV: 12))
        // The encoding lists every key (parameters of other methods at their defaults) and decodes back.
        for rule in [IntensityNormalization.ctWindow(lowerHU: -1000, upperHU: 1500), .percentiles(lower: 0, upper: 100),
                     .zScore(clipSigma: 2.5), .suvScaling(maxSUV: 10)] {
            let json = try JSONEncoder().encode(rule)
            let keys = try (JSONSerialization.jsonObject(with: json) as? [String: Any]).map { Set($0.keys) }
            #expect(keys == ["method", "lowerHU", "upperHU", "lowerPercentile", "upperPercentile", "clipSigma", "maxSUV"])
            #expect(try JSONDecoder().decode(IntensityNormalization.self, from: json) == rule)
        }
        expectDataError(.invalidArgument, mentioning: ["upperHu", "is not a setting of a normalization", "upperHU"]) {
            _ = try decode(#"{"method": "ctWindow", "upperHu": 3071}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["method", "'window'", "ctWindow, percentiles, zScore, suvScaling"]) {
            _ = try decode(#"{"method": "window"}"#)
        }
        expectDataError(.invalidArgument, mentioning: ["method", "'standard'"]) { _ = try decode(#"{"method": "standard"}"#) }
        expectDataError(.invalidArgument, mentioning: ["method", "missing"]) { _ = try decode(#"{"lowerHU": 1}"#) }
        expectDataError(.invalidArgument, mentioning: ["percentiles", "0 <= lower < upper <= 100"]) {
            _ = try decode(#"{"method": "percentiles", "lowerPercentile": 60, "upperPercentile": 40}"#)
        }
        // A parameter of another method changed from its default is a mistake, not silently ignored.
        expectDataError(.invalidArgument, mentioning: ["lowerHU: is -500.0", "method 'percentiles' does not use it", "'ctWindow'"]) {
            _ = try decode(#"{"method": "percentiles", "lowerHU": -500}"#)
        }
        // A fitted mapping survives JSON exactly (saved with a run for `translate`).
        let m = try IntensityMapping(modality: .t2, unit: .arbitrary, lowerValue: 0.6123456789, upperValue: 639.25,
                                     normalization: .percentiles(lower: 0.5, upper: 99.9))
        #expect(try JSONDecoder().decode(IntensityMapping.self, from: JSONEncoder().encode(m)) == m)
        expectDataError(.invalidArgument, mentioning: ["lower < upper"]) {
            _ = try JSONDecoder().decode(IntensityMapping.self, from: Data(
                #"{"modality":"CT","unit":"HU","lowerValue":5,"upperValue":1,"normalization":{"method":"ctWindow"}}"#.utf8))
        }
    }
}

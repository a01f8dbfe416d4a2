import Foundation
import MedCore
import MedNN
import MedTensor
import MedTensorTestSupport
import MedTestSupport
import Testing
@testable import MedTraining

/// The lesion-weighted L1 term: a naive per-voxel reference, finite differences, weight 0 as the fused `l1Loss`,
/// and its checks.
@Suite struct LesionWeightedL1Tests {
    /// A [2, 1, 3, 4] batch: predictions and targets uniform in [−1, 1), labels mixing background, white matter (8),
    /// other tissue (5) and every lesion label.
    static func tinyBatch() -> (prediction: Tensor, target: Tensor, labels: Tensor) {
        var g = SeededGenerator(seed: 21)
        let shape = [2, 1, 3, 4]
        let p = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        let t = Tensor.uniform(shape, lower: -1, upper: 1, using: &g)
        let values: [Float] = [0, 8, 8, 10, 11, 8, 5, 12, 13, 0, 8, 10,
                               8, 8, 13, 0, 5, 5, 8, 11, 10, 10, 8, 0]
        return (p, t, Tensor(values, shape: shape))
    }

    /// The definition, voxel by voxel in Double: (1/n) Σ (1 + w·[label ∈ S])·|p − t|.
    static func naive(_ p: [Float], _ t: [Float], _ labels: [Float], weight: Double, lesions: Set<Int>) -> Double {
        var sum = 0.0
        for i in p.indices {
            let w = lesions.contains(Int(labels[i])) ? 1 + weight : 1
            sum += w * Swift.abs(Double(p[i]) - Double(t[i]))
        }
        return sum / Double(p.count)
    }

    @Test func weightedL1EqualsTheNaivePerVoxelReference() {
        let (p, t, labels) = Self.tinyBatch()
        for (weight, lesions) in [(Float(20), [10, 11, 12, 13]), (3.5, [10]), (0, [10, 11, 12, 13])] {
            let l1 = LesionWeightedL1(weight: weight, lesionLabels: lesions)
            let value = Double(l1(p, t, labels: labels).item)
            let expected = Self.naive(p.scalars, t.scalars, labels.scalars, weight: Double(weight), lesions: Set(lesions))
            #expect(Swift.abs(value - expected) <= 1e-6 * expected, "w \(weight), labels \(lesions): \(value) vs \(expected)")
        }
        // The weights themselves: 21 on lesion voxels, 1 elsewhere (white matter, tissue 5 and air included).
        let weights = LesionWeightedL1(weight: 20, lesionLabels: [10, 11, 12, 13]).voxelWeights(labels: labels)
        #expect(weights.shape == labels.shape && !weights.requiresGrad)
        #expect(weights.scalars == labels.scalars.map { (10...13).contains(Int($0)) ? 21 : 1 })
    }

    @Test func weightedTermMatchesFiniteDifferences() {
        // The term is piecewise linear in the prediction; |p − t| ≥ 0.05 keeps every ±ε step (ε = 1e-2) on one
        // side of its kink, so central differences are exact up to rounding.
        let (p0, t, labels) = Self.tinyBatch()
        let p = Tensor(zip(p0.scalars, t.scalars).map { Swift.abs($0 - $1) < 0.05 ? $1 + 0.3 : $0 }, shape: p0.shape)
        let l1 = LesionWeightedL1(weight: 20, lesionLabels: [10, 11, 12, 13])
        GradCheck.check([p, t]) { xs in l1(xs[0], xs[1], labels: labels) }

        // And the gradient itself: (1 + w·[lesion])·sign(p − t)/n for the prediction, its negative for the target.
        let (pl, tl) = (p.detached().requiringGrad(), t.detached().requiringGrad())
        l1(pl, tl, labels: labels).backward()
        let n = Float(p.count)
        let expected = (0..<p.count).map { i -> Float in
            let w: Float = (10...13).contains(Int(labels.scalars[i])) ? 21 : 1
            return w * (p.scalars[i] > t.scalars[i] ? 1 : -1) / n
        }
        #expect(Approx.maxAbsDifference(pl.grad!.scalars, expected) <= 1e-7)
        #expect(Approx.maxAbsDifference(tl.grad!.scalars, expected.map { -$0 }) <= 1e-7)
    }

    @Test func weightZeroIsTheFusedL1BitForBit() {
        let (p, t, labels) = Self.tinyBatch()
        let l1 = LesionWeightedL1(weight: 0, lesionLabels: [10, 11, 12, 13])
        #expect(!l1.isWeighted && LesionWeightedL1.unweighted == l1)
        let (a, b) = (p.detached().requiringGrad(), p.detached().requiringGrad())
        let weighted = l1(a, t, labels: labels), plain = l1Loss(b, t)
        #expect(weighted.item.bitPattern == plain.item.bitPattern)
        weighted.backward()
        plain.backward()
        #expect(a.grad!.scalars == b.grad!.scalars)
        // Labels are not needed at weight 0.
        #expect(l1(p, t, labels: nil).item.bitPattern == plain.item.bitPattern)
    }

    @Test func badValuesAreRefusedByName() {
        let cases: [(String, LesionWeightedL1)] = [
            ("lesionL1Weight", LesionWeightedL1(weight: -1, lesionLabels: [10])),
            ("lesionL1Weight", LesionWeightedL1(weight: .nan, lesionLabels: [10])),
            ("lesionL1Weight", LesionWeightedL1(weight: .infinity, lesionLabels: [10])),
            ("lesionLabels", LesionWeightedL1(weight: 5, lesionLabels: [0, 10])),
            ("lesionLabels", LesionWeightedL1(weight: 5, lesionLabels: [10, 10])),
            ("lesionLabels", LesionWeightedL1(weight: 5, lesionLabels: [])),
        ]
        for (key, term) in cases {
            let error = PairedTestData.invalidOption { try term.validate(prefix: "network.") }
            #expect(error?.subject == "network.\(key)", "\(term): \(String(describing: error))")
        }
        // No labels is fine while nothing is weighted.
        #expect(PairedTestData.invalidOption { try LesionWeightedL1(weight: 0, lesionLabels: []).validate() } == nil)
    }
}

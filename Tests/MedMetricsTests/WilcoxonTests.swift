import MedMetrics
import Testing

/// The Wilcoxon signed-rank test against scipy.stats.wilcoxon's defaults (values from
/// scripts/make_wilcoxon_reference.py, scipy 1.17.1), one case per p-value path, plus a hand-computed case.
@Suite struct WilcoxonTests {
    static let reference: [(name: String, x: [Double], y: [Double]?, statistic: Double, pValue: Double)] = [
        ("exactNine", [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3], [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29], 5.0, 0.0390625),
        ("exactTwenty", [0.546, 1.022, 0.53, -1.103, 1.105, 0.646, -0.337, 0.781, 0.565, 0.494, 0.228, 0.747, -0.536, 0.037, -0.282, 0.799, 0.24, -0.092, -0.582, -0.057], nil, 60.0, 0.09730720520019531),
        ("tiesPermutation", [1, 2, 2, 3, -1, 4, 5, -2, 6, 2], nil, 6.0, 0.03125),
        ("zerosPermutation", [0.05, -0.01, 0.09, 0.02, 0.07, 0.0, 0.02], nil, 1.0, 0.0625),
        ("tiesAndZerosNormal", [0.4, 0.2, 0.9, 0.4, -0.2, 0.7, 1.6, 1.2, -0.4, -1.0, -0.3, 0.3, -2.0, 0.1, -0.9, -0.4, -0.2, -0.0, 0.7, 1.3, 0.2, 1.7, -0.4, 0.7, 1.2, 0.4, -0.4, -0.6, -0.2, 0.5, -0.7, 0.1, 0.1, 0.8, 0.5, 0.7, -0.4, 0.2, 1.1, 1.8, -1.0, 1.8, 1.6, 1.1, 0.6, -0.0, 1.8, 2.3, 2.1, 1.6, 0.7, -0.9, 0.3, 1.0, -1.0, 0.7, 0.7, 1.0, -0.9, -0.4], nil, 475.0, 0.003186407114403248),
        ("untiedNormal", [0.089053, -0.622748, -0.513064, -2.541467, 1.699707, 1.044166, -0.425423, 0.673807, 0.181211, -0.653823, 0.877567, -0.410557, -0.428824, -0.892147, 0.354958, -0.199198, 0.445289, -0.707186, 0.026828, -0.992274, 0.741465, 0.088035, 0.230571, 0.310504, -1.110758, 0.683181, 1.956703, -1.738443, -1.829411, -1.604831, 0.741459, 0.028716, 0.978342, 0.622431, 0.110572, 0.184038, -0.26976, 0.76846, -1.229716, -0.521859, 0.142939, 1.701421, -0.864464, -1.17906, -0.663287, 0.869272, -0.335006, 1.224347, -1.97253, 1.028523, 0.934866, -1.518666, 0.053582, 1.115758, -0.012081, 0.899701, 2.274887, 0.173932, -0.380382, -0.871052, 0.548065, -0.29673, -0.278746, -0.20526, 0.54987, -1.16634, -1.629876, -2.533877, 1.098671, -0.026207], nil, 1184.0, 0.7320854925467636),
    ]

    @Test(arguments: 0..<6) func matchesSciPy(index: Int) throws {
        let c = Self.reference[index]
        let r = try c.y.map { try WilcoxonSignedRank(c.x, $0) } ?? WilcoxonSignedRank(differences: c.x)
        #expect(r.statistic == c.statistic, "\(c.name)")
        #expect(abs(r.pValue - c.pValue) <= 1e-12 * max(1, c.pValue) + 1e-15, "\(c.name): \(r.pValue) vs scipy \(c.pValue)")
        let expected: WilcoxonSignedRank.Method = c.name.hasPrefix("exact") ? .exact : c.name.hasSuffix("Permutation") ? .permutation : .normal
        #expect(r.method == expected, "\(c.name)")
    }

    /// By hand: the nine differences have no ties; the negative ones (−0.147, −0.08) rank 3 and 2, so T = 5.
    /// Sign patterns of ranks 1…9 with a positive sum ≤ 5: sums 0, 1, 2 (one each), 3, 4 (two each), 5 (three)
    /// = 10 of 512, so p = 2 · 10 / 512 = 0.0390625.
    @Test func handComputedExactCase() throws {
        let r = try WilcoxonSignedRank(Self.reference[0].x, Self.reference[0].y!)
        #expect(r.statistic == 5 && r.count == 9 && r.zeros == 0)
        #expect(r.pValue == 20.0 / 512)
    }

    @Test func symmetryAndErrors() throws {
        let x = Self.reference[1].x
        let a = try WilcoxonSignedRank(differences: x), b = try WilcoxonSignedRank(differences: x.map { -$0 })
        #expect(a.statistic == b.statistic && a.pValue == b.pValue)
        #expect(throws: (any Error).self) { try WilcoxonSignedRank([1, 2], [1]) }
        #expect(throws: (any Error).self) { try WilcoxonSignedRank(differences: [0, 0, 0]) }
        #expect(throws: (any Error).self) { try WilcoxonSignedRank(differences: [1, .nan]) }
    }
}

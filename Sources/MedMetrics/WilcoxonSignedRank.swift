import Foundation
import MedCore

/// The Wilcoxon signed-rank test of paired samples, two-sided, as `scipy.stats.wilcoxon(x, y)` computes it with
/// its defaults (scipy 1.17: `zero_method="wilcox"`, `correction=False`, `method="auto"`):
///
/// - differences d = x − y; zero differences are dropped; |d| ranked with mid-ranks for ties;
/// - statistic T = min(R⁺, R⁻), the smaller signed-rank sum;
/// - p-value, by scipy's "auto" rule:
///   - no ties and no zeros, n ≤ 50: exact, from the null distribution of R⁺ (all 2ⁿ sign patterns equally
///     likely), p = min(1, 2·min(P(R⁺ ≤ r), P(R⁺ ≥ r)));
///   - ties or zeros and at most 13 differences (zeros included): the same, enumerating every sign pattern of
///     the non-zero mid-ranks (scipy's permutation test, which is exhaustive there);
///   - otherwise the normal approximation z = (R⁺ − n(n+1)/4) / σ with
///     σ² = (n(n+1)(2n+1) − ½·Σ t(t² − 1)) / 24 over tie groups of size t, p = 2·Φ(−|z|), no continuity
///     correction.
///
/// `Tests/MedMetricsTests/WilcoxonTests.swift` checks values made by `scripts/make_wilcoxon_reference.py`.
public struct WilcoxonSignedRank: Equatable, Sendable, Codable {
    /// How the p-value was computed.
    public enum Method: String, Sendable, Codable {
        case exact, permutation, normal
    }

    /// T = min(R⁺, R⁻).
    public var statistic: Double
    /// Two-sided p-value.
    public var pValue: Double
    /// Non-zero differences used.
    public var count: Int
    /// Zero differences dropped.
    public var zeros: Int
    public var method: Method
    /// The sum of ranks of positive differences.
    public var positiveRankSum: Double

    /// Tests `x` against `y` (paired, same order).
    /// - Throws: `MedSynthError(.invalidArgument)` for samples of different lengths, non-finite values, or no
    ///   non-zero difference (the test is not defined).
    public init(_ x: [Double], _ y: [Double]) throws {
        guard x.count == y.count else {
            throw MedSynthError(.invalidArgument, "Wilcoxon signed-rank test", "paired samples have \(x.count) and \(y.count) values; expected the same number")
        }
        try self.init(differences: zip(x, y).map { $0 - $1 })
    }

    /// Tests whether the differences are symmetric about 0.
    public init(differences all: [Double]) throws {
        guard all.allSatisfy(\.isFinite) else {
            throw MedSynthError(.invalidArgument, "Wilcoxon signed-rank test", "a difference is not finite; expected finite values")
        }
        let d = all.filter { $0 != 0 }
        zeros = all.count - d.count
        count = d.count
        guard !d.isEmpty else {
            throw MedSynthError(.invalidArgument, "Wilcoxon signed-rank test", "all \(all.count) differences are zero; the test is not defined")
        }
        let (ranks, tieSizes) = Self.midRanks(d.map(abs))
        let rPlus = zip(d, ranks).reduce(0.0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        let total = Double(count * (count + 1)) / 2
        positiveRankSum = rPlus
        statistic = min(rPlus, total - rPlus)
        let hasTies = tieSizes.contains { $0 > 1 }
        if !hasTies && zeros == 0 && count <= 50 {
            method = .exact
            pValue = Self.exactPValue(rPlus: Int(rPlus.rounded()), n: count)
        } else if (hasTies || zeros > 0) && all.count <= 13 {
            method = .permutation
            pValue = Self.permutationPValue(ranks: ranks, rPlus: rPlus)
        } else {
            method = .normal
            let n = Double(count)
            let tieTerm = tieSizes.reduce(0.0) { $0 + Double($1) * (Double($1) * Double($1) - 1) }
            let variance = (n * (n + 1) * (2 * n + 1) - 0.5 * tieTerm) / 24
            let z = (rPlus - n * (n + 1) / 4) / variance.squareRoot()
            pValue = min(1, erfc(abs(z) / 2.0.squareRoot()))   // 2·Φ(−|z|)
        }
    }

    /// Mid-ranks (1-based, ties averaged) and the size of every tie group.
    static func midRanks(_ values: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var sizes: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = rank }
            sizes.append(j - i + 1)
            i = j + 1
        }
        return (ranks, sizes)
    }

    /// min(1, 2·min(P(R⁺ ≤ r), P(R⁺ ≥ r))) under the exact null distribution for n untied ranks 1…n.
    static func exactPValue(rPlus r: Int, n: Int) -> Double {
        // counts[s] = sign patterns of 1…n with positive-rank sum s (Double: 2^50 fits exactly).
        let maxSum = n * (n + 1) / 2
        var counts = [Double](repeating: 0, count: maxSum + 1)
        counts[0] = 1
        for k in 1...n {
            for s in stride(from: k * (k + 1) / 2, through: k, by: -1) { counts[s] += counts[s - k] }
        }
        let total = pow(2.0, Double(n))
        let below = counts[0...min(r, maxSum)].reduce(0, +)
        let above = counts[max(0, r)...maxSum].reduce(0, +)
        return min(1, 2 * min(below, above) / total)
    }

    /// The same rule over every sign pattern of the given (possibly tied) ranks.
    static func permutationPValue(ranks: [Double], rPlus: Double) -> Double {
        let n = ranks.count
        var below = 0.0, above = 0.0
        let tolerance = 1e-9
        for pattern in 0..<(1 << n) {
            var sum = 0.0
            for i in 0..<n where pattern & (1 << i) != 0 { sum += ranks[i] }
            if sum <= rPlus + tolerance { below += 1 }
            if sum >= rPlus - tolerance { above += 1 }
        }
        return min(1, 2 * min(below, above) / Double(1 << n))
    }
}

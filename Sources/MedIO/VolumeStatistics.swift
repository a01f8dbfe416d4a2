/// Summary statistics of a volume's voxels, as `medsynth info` prints them.
public struct VolumeStatistics: Equatable, Codable, Sendable {
    /// Smallest finite value (NaN if none).
    public var min: Double
    /// Largest finite value (NaN if none).
    public var max: Double
    /// Mean of the finite values.
    public var mean: Double
    /// Population standard deviation of the finite values.
    public var std: Double
    /// Number of NaN or infinite voxels (excluded from the above).
    public var nonFiniteCount: Int

    /// Computes the statistics in Double precision (Welford-free two-pass: mean first, then variance).
    public init<C: Collection>(_ values: C) where C.Element == Float {
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0
        var n = 0, bad = 0
        for v in values {
            guard v.isFinite else { bad += 1; continue }
            let d = Double(v)
            lo = Swift.min(lo, d); hi = Swift.max(hi, d); sum += d; n += 1
        }
        let mean = n > 0 ? sum / Double(n) : .nan
        var ss = 0.0
        if n > 0 { for v in values where v.isFinite { let e = Double(v) - mean; ss += e * e } }
        self.min = n > 0 ? lo : .nan
        self.max = n > 0 ? hi : .nan
        self.mean = mean
        self.std = n > 0 ? (ss / Double(n)).squareRoot() : .nan
        self.nonFiniteCount = bad
    }
}

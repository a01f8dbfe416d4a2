/// Summary statistics of per-case scores (e.g. MAE over a test set), as the evaluate summary reports them.
///
/// - mean x̄ = Σx/n; std = sample standard deviation √(Σ(x − x̄)²/(n − 1));
/// - median: middle value, or the mean of the two middle values for even n;
/// - 95% CI of the mean: x̄ ± t_{0.975, n−1} · std/√n (Student t; `StudentT`).
/// NaN values are not allowed (callers drop undefined scores first and report how many).
public struct SampleSummary: Equatable, Codable, Sendable {
    /// n.
    public var count: Int
    /// Arithmetic mean (NaN for n = 0).
    public var mean: Double
    /// Sample standard deviation, n − 1 in the denominator (NaN for n < 2).
    public var std: Double
    /// Median (NaN for n = 0).
    public var median: Double
    /// The confidence level of the interval (0.95 by default).
    public var confidence: Double
    /// Lower end of the confidence interval of the mean (NaN for n < 2).
    public var ciLower: Double
    /// Upper end of the confidence interval of the mean (NaN for n < 2).
    public var ciUpper: Double

    /// Summarises `values`.
    /// - Parameters:
    ///   - values: the scores.
    ///   - confidence: the two-sided level of the interval, in (0, 1).
    /// - Precondition: no NaN in `values`; 0 < confidence < 1.
    public init(_ values: [Double], confidence: Double = 0.95) {
        precondition(!values.contains { $0.isNaN }, "drop NaN scores before summarising")
        precondition(confidence > 0 && confidence < 1, "confidence must be in (0, 1), got \(confidence)")
        let n = values.count
        count = n
        self.confidence = confidence
        mean = n > 0 ? values.reduce(0, +) / Double(n) : .nan
        if n >= 2 {
            let m = mean
            std = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
            let t = StudentT(degreesOfFreedom: Double(n - 1)).quantile(0.5 + confidence / 2)
            let half = t * std / Double(n).squareRoot()
            ciLower = mean - half
            ciUpper = mean + half
        } else {
            std = .nan; ciLower = .nan; ciUpper = .nan
        }
        let s = values.sorted()
        median = n == 0 ? .nan : (n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]))
    }
}

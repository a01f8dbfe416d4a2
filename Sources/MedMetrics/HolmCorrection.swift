/// Holm's step-down correction of a family of p-values (Holm 1979): with the m defined p-values in ascending order
/// p(1) ≤ … ≤ p(m), the adjusted p(i) = max over j ≤ i of min(1, (m − j + 1) · p(j)). It controls the family-wise
/// error rate at alpha when every adjusted p-value is compared with alpha, under any dependence between the tests
/// (statsmodels `multipletests(method="holm")` gives the same values).
public enum HolmCorrection {
    /// The adjusted p-values, index-aligned with `pValues`; nil (a test that was not run) stays nil and does not
    /// count in m.
    public static func adjust(_ pValues: [Double?]) -> [Double?] {
        let defined = pValues.indices.compactMap { i in pValues[i].map { (index: i, p: $0) } }.sorted { $0.p < $1.p }
        var out = [Double?](repeating: nil, count: pValues.count)
        let m = defined.count
        var running = 0.0
        for (rank, entry) in defined.enumerated() {
            running = max(running, min(1, Double(m - rank) * entry.p))
            out[entry.index] = running
        }
        return out
    }
}

import MedCore

/// The case-level train/validation split of a `SliceDataset`.
///
/// Cases are grouped by *source*: a case's `source_case_id` provenance (followed to its root when that case
/// is loaded too), or its own id when it has none. An augmented (`case003_aug1`) or lesioned copy therefore
/// always lands on the same side as its original, and so do cases of the same id in different files (the
/// conservative reading: `medsynth lesions` keeps ids). Held-out groups never appear in training.
///
/// The groups are sorted by name, shuffled with `SeededGenerator(seed: splitSeed)` (Fisher–Yates) and the
/// first max(1, round(f · groups)) — at most groups − 1 — are held out. The split depends only on the set of
/// group names and the seed, not on file order; adding cases can move others between sides.
public enum CaseSplit {
    /// The source group of every case id: its provenance source followed to the root among `sources`.
    /// - Parameter sources: case id → its `source_case_id` ("" for an original case).
    public static func groups(sources: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for id in sources.keys {
            var key = id
            var path = [id]
            while let source = sources[key], !source.isEmpty, source != key {
                if let start = path.firstIndex(of: source) {   // a cycle (never written by MedSynth): its least id
                    key = path[start...].min()!
                    break
                }
                path.append(source)
                key = source                                     // a source not loaded ends the walk: the root
            }
            result[id] = key
        }
        return result
    }

    /// The held-out groups.
    /// - Parameters:
    ///   - groups: the distinct group names.
    ///   - fraction: the share to hold out, 0 ≤ f < 1 (0 holds out nothing).
    ///   - seed: the split seed.
    ///   - describe: how the groups came about, for the error message (`2 files`).
    /// - Throws: `MedSynthError(.invalidArgument)` naming `validationFraction` when f > 0 and there are fewer than
    ///   2 groups.
    public static func validationGroups(_ groups: Set<String>, fraction: Double, seed: UInt64,
                                        describe: String = "the dataset") throws -> Set<String> {
        guard fraction > 0 else { return [] }
        let sorted = groups.sorted()
        guard sorted.count >= 2 else {
            throw MedSynthError(.invalidArgument, "validationFraction",
                                "is \(fraction), but \(describe) holds \(sorted.count) source case\(sorted.count == 1 ? "" : "s") (\(sorted.joined(separator: ", "))); holding out cases needs at least 2 (one to validate, one to train); add cases or set validationFraction: 0")
        }
        var order = sorted
        var g = SeededGenerator(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, uniformIndex(i + 1, &g))
        }
        let count = min(max(1, Int((fraction * Double(sorted.count)).rounded())), sorted.count - 1)
        return Set(order.prefix(count))
    }

    /// A uniform integer in 0..<n from one 64-bit draw (Lemire's multiply-shift; bias ≤ n / 2⁶⁴), defined here
    /// rather than through `Int.random(in:using:)`, whose algorithm the standard library may change.
    @inline(__always)
    static func uniformIndex(_ n: Int, _ g: inout SeededGenerator) -> Int {
        Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: g.next()).high)
    }
}

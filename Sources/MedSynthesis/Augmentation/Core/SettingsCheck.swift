import MedCore

/// Checks shared by the settings validators; every failure names the setting and quotes the value.
enum SettingsCheck {
    /// Fails unless `range` lies inside `allowed` (and lower ≤ upper, both finite).
    static func range(_ range: ValueRange, within allowed: ClosedRange<Double>, _ key: String) throws {
        guard range.lower.isFinite, range.upper.isFinite, range.lower <= range.upper,
              allowed.contains(range.lower), allowed.contains(range.upper) else {
            throw MedSynthError(.invalidArgument, key,
                                "is \(range); expected [lower, upper] with lower <= upper inside [\(allowed.lowerBound), \(allowed.upperBound)]")
        }
    }

    /// Fails unless every axis's range lies inside `allowed`.
    static func ranges(_ ranges: AxisRanges, within allowed: ClosedRange<Double>, _ key: String) throws {
        for (n, r) in [ranges.x, ranges.y, ranges.z].enumerated() {
            do { try range(r, within: allowed, key) } catch {
                throw MedSynthError(.invalidArgument, key,
                                    "is \(ranges) (axis \(["x", "y", "z"][n]): \(r)); expected ranges with lower <= upper inside [\(allowed.lowerBound), \(allowed.upperBound)]")
            }
        }
    }

    /// Fails unless `value` lies in `allowed`.
    static func value<T: Comparable>(_ value: T, within allowed: ClosedRange<T>, _ key: String) throws {
        guard allowed.contains(value) else {
            throw MedSynthError(.invalidArgument, key, "is \(value); expected a value in \(allowed.lowerBound)...\(allowed.upperBound)")
        }
    }

    /// Fails when the list is empty.
    static func nonEmpty<T>(_ list: [T], _ key: String) throws {
        guard !list.isEmpty else { throw MedSynthError(.invalidArgument, key, "is empty; expected at least one entry") }
    }
}

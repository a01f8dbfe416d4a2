/// A closed interval [lower, upper] from which a transform draws a value uniformly. In YAML it is written as a
/// two-number list `[-10, 10]`, or a single number `x` meaning `[x, x]` (a fixed value).
public struct ValueRange: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The smallest value drawn.
    public var lower: Double
    /// The largest value drawn.
    public var upper: Double

    /// Creates a range (validated by the transform that uses it, which names the setting).
    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// A fixed value.
    public static func fixed(_ value: Double) -> ValueRange { ValueRange(value, value) }

    /// Draws uniformly from [lower, upper] (returns `lower` exactly for a fixed value, consuming one draw).
    public func draw(using generator: inout SeededGenerator) -> Double {
        let u = generator.nextUnitDouble()
        return lower == upper ? lower : lower + (upper - lower) * u
    }

    /// True when `value` lies in [lower, upper].
    public func contains(_ value: Double) -> Bool { value >= lower && value <= upper }

    public var description: String { "[\(lower), \(upper)]" }

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let x = try? single.decode(Double.self) {
            self.init(x, x)
            return
        }
        var c = try decoder.unkeyedContainer()
        let lo = try c.decode(Double.self), hi = try c.decode(Double.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a range has two numbers [lower, upper]")
        }
        self.init(lo, hi)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(lower)
        try c.encode(upper)
    }
}

/// One `ValueRange` per spatial axis (x along width, y along height, z along depth). In YAML either one range
/// for all three axes (`[-10, 10]`) or three (`[[-10, 10], [-5, 5], [0, 0]]`).
public struct AxisRanges: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The range along width (i).
    public var x: ValueRange
    /// The range along height (j).
    public var y: ValueRange
    /// The range along depth (k).
    public var z: ValueRange

    /// Creates per-axis ranges.
    public init(x: ValueRange, y: ValueRange, z: ValueRange) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// The same range on every axis.
    public init(all range: ValueRange) { self.init(x: range, y: range, z: range) }

    /// Draws one value per axis, x then y then z.
    public func draw(using generator: inout SeededGenerator) -> SIMD3<Double> {
        let a = x.draw(using: &generator), b = y.draw(using: &generator), c = z.draw(using: &generator)
        return SIMD3(a, b, c)
    }

    public var description: String { "[\(x), \(y), \(z)]" }

    public init(from decoder: Decoder) throws {
        if let all = try? ValueRange(from: decoder) {
            self.init(all: all)
            return
        }
        var c = try decoder.unkeyedContainer()
        let a = try c.decode(ValueRange.self), b = try c.decode(ValueRange.self), d = try c.decode(ValueRange.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "per-axis ranges are three [lower, upper] pairs (x, y, z)")
        }
        self.init(x: a, y: b, z: d)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
        try c.encode(z)
    }
}

import MedCore

extension ValueRange {
    /// An integer uniform in ⌈lower⌉…⌊upper⌋ (for counts written as ranges, e.g. `[4, 10]`).
    public func drawInteger(using generator: inout SeededGenerator) -> Int {
        let lo = Int(lower.rounded(.up)), hi = max(lo, Int(upper.rounded(.down)))
        return min(hi, lo + Int(generator.nextUnitDouble() * Double(hi - lo + 1)))
    }

    /// True when both ends are whole numbers.
    var isIntegral: Bool { lower == lower.rounded() && upper == upper.rounded() }
}

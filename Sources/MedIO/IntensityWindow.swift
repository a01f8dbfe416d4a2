import MedCore

/// The range of physical values (HU, SUV, arbitrary MR units) that an integer image format's pixel range
/// covers, and the mappings between the two.
///
/// physical → pixel: `pixel = round((v − lower) / (upper − lower) · maxPixel)`, clamped to `[0, maxPixel]`.
/// pixel → physical: `v = lower + pixel / maxPixel · (upper − lower)`.
/// A round trip therefore loses at most half a quantisation step, `(upper − lower) / maxPixel / 2`, for values
/// inside the window; values outside it come back as `lower` or `upper`.
public struct IntensityWindow: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The physical value mapped to pixel 0.
    public let lowerValue: Double
    /// The physical value mapped to the largest pixel value.
    public let upperValue: Double

    /// Creates a window.
    /// - Parameters:
    ///   - lowerValue: the physical value shown as black (pixel 0).
    ///   - upperValue: the physical value shown as white (the largest pixel).
    /// - Throws: `MedSynthError(.invalidArgument)` when either bound is not finite or `upperValue <= lowerValue`.
    public init(lowerValue: Double, upperValue: Double) throws {
        guard lowerValue.isFinite, upperValue.isFinite, upperValue > lowerValue else {
            throw MedSynthError(.invalidArgument, "window",
                                "window [\(lowerValue), \(upperValue)] is invalid; expected finite bounds with lower < upper")
        }
        self.lowerValue = lowerValue
        self.upperValue = upperValue
    }

    private init(checkedLower lower: Double, upper: Double) {
        lowerValue = lower
        upperValue = upper
    }

    /// The full 12-bit CT range, [−1024, 3071] HU: every value a typical CT scanner stores.
    public static let ctFull = IntensityWindow(checkedLower: Modality.ctFloorHU, upper: 3071)

    /// The smallest window holding every finite value of `values` (one unit wide around a constant image).
    /// - Throws: `MedSynthError(.invalidArgument)` when no value is finite.
    public static func covering<C: Collection>(_ values: C) throws -> IntensityWindow where C.Element == Float {
        let stats = VolumeStatistics(values)
        guard stats.min.isFinite, stats.max.isFinite else {
            throw MedSynthError(.invalidArgument, "window", "cannot derive a window: no finite values among \(values.count)")
        }
        if stats.max > stats.min { return IntensityWindow(checkedLower: stats.min, upper: stats.max) }
        return IntensityWindow(checkedLower: stats.min - 0.5, upper: stats.min + 0.5)
    }

    /// `upperValue − lowerValue`.
    public var width: Double { upperValue - lowerValue }

    /// The pixel for physical value `value`: `round((value − lower) / width · maxPixel)` clamped to
    /// `[0, maxPixel]`. NaN maps to 0 (writers reject NaN before calling this).
    /// - Parameters:
    ///   - value: a physical value in the window's unit.
    ///   - maxPixel: the largest pixel value (255 for 8 bits, 65535 for 16 bits).
    @inline(__always)
    public func pixel(fromPhysical value: Double, maxPixel: Int) -> Int {
        let scaled = ((value - lowerValue) / width * Double(maxPixel)).rounded()
        guard scaled > 0 else { return 0 }  // also catches NaN
        return scaled >= Double(maxPixel) ? maxPixel : Int(scaled)
    }

    /// The physical value of `pixel`: `lower + pixel / maxPixel · width`.
    /// - Parameters:
    ///   - pixel: a pixel value in `0...maxPixel`.
    ///   - maxPixel: the largest pixel value (255 for 8 bits, 65535 for 16 bits).
    @inline(__always)
    public func physical(fromPixel pixel: Int, maxPixel: Int) -> Double {
        lowerValue + Double(pixel) / Double(maxPixel) * width
    }

    /// "[lower, upper]".
    public var description: String { "[\(format6(lowerValue)), \(format6(upperValue))]" }

    private enum CodingKeys: String, CodingKey {
        case lowerValue = "lower"
        case upperValue = "upper"
    }

    /// Decodes `{"lower": …, "upper": …}`, rejecting invalid windows.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let lower = try c.decode(Double.self, forKey: .lowerValue)
        let upper = try c.decode(Double.self, forKey: .upperValue)
        guard lower.isFinite, upper.isFinite, upper > lower else {
            throw DecodingError.dataCorruptedError(forKey: .upperValue, in: c,
                                                   debugDescription: "window [\(lower), \(upper)] needs finite lower < upper")
        }
        self.init(checkedLower: lower, upper: upper)
    }

    /// Encodes `{"lower": …, "upper": …}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lowerValue, forKey: .lowerValue)
        try c.encode(upperValue, forKey: .upperValue)
    }
}

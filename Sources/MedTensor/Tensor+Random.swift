import MedCore

extension Tensor {
    /// A tensor of normally distributed values, mean + std · N(0, 1), drawn in row-major order from `generator`.
    /// - Parameters:
    ///   - shape: the dimensions.
    ///   - mean: the distribution's mean.
    ///   - std: its standard deviation.
    ///   - generator: the source of randomness; advanced by one normal draw per value.
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1,
                             using generator: inout SeededGenerator) -> Tensor {
        checkShape(shape)
        let y = Tensor(uninitializedShape: shape)
        let p = y.storage.pointer
        for i in 0..<y.count { p[i] = mean + std * Float(generator.nextNormal()) }
        return y
    }

    /// A tensor of values uniform in `[lower, upper)`, drawn in row-major order from `generator`.
    /// - Parameters:
    ///   - shape: the dimensions.
    ///   - lower: the smallest possible value.
    ///   - upper: the bound the values stay below.
    ///   - generator: the source of randomness; advanced by one draw per value.
    public static func uniform(_ shape: [Int], lower: Float = 0, upper: Float = 1,
                               using generator: inout SeededGenerator) -> Tensor {
        checkShape(shape)
        precondition(lower <= upper, "uniform range [\(lower), \(upper)) is empty")
        let y = Tensor(uninitializedShape: shape)
        let p = y.storage.pointer
        let width = Double(upper - lower)
        // Rounding to Float can land on `upper`; such draws are moved just below it.
        let top = upper > lower ? upper.nextDown : lower
        for i in 0..<y.count { p[i] = min(top, lower + Float(width * generator.nextUnitDouble())) }
        return y
    }
}

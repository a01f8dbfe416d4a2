import MedCore
import MedTensor

/// Deterministic test data.
enum TestData {
    /// Normal values from a fixed seed.
    static func randn(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.randn(shape, std: std, using: &g)
    }

    /// Normal values pushed at least `margin` away from 0 (for ops with a kink at 0).
    static func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
        let t = randn(shape, seed: seed)
        return Tensor(t.scalars.map { $0 >= 0 ? $0 + margin : $0 - margin }, shape: shape)
    }

    /// Uniform values in [lower, upper).
    static func uniform(_ shape: [Int], seed: UInt64, _ lower: Float, _ upper: Float) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor.uniform(shape, lower: lower, upper: upper, using: &g)
    }
}

import MedCore
import MedTensor

/// Deterministic normal test data.
func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.randn(shape, std: std, using: &g)
}

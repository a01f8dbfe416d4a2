import MedCore
import MedTensor

/// Dropout (PyTorch's `Dropout`): in training mode each value is zeroed with probability p and the rest scaled
/// by 1 / (1 − p); in evaluation mode the identity.
///
/// The layer owns a generator derived from the one passed at construction, so that a network's masks are a
/// function of its seed; `generator` can be saved and restored to resume exactly.
public final class Dropout: Module, UnaryLayer {
    /// The drop probability.
    public let probability: Float
    /// The source of the masks, advanced by one draw per value per training call.
    public var generator: SeededGenerator

    /// Creates a dropout layer.
    /// - Parameters:
    ///   - probability: the chance of dropping a value, in [0, 1]; the reference networks use 0.5.
    ///   - generator: advanced once; the layer's own stream is split from it.
    public init(probability: Float = 0.5, generator: inout SeededGenerator) {
        precondition(probability >= 0 && probability <= 1, "Dropout probability \(probability) must be in [0, 1]")
        self.probability = probability
        self.generator = generator.split(generator.next())
    }

    /// x with dropped values (training) or x itself (evaluation).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        isTraining ? x.dropout(probability: probability, using: &generator) : x
    }
}

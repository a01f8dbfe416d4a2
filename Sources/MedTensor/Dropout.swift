import MedCore

extension Tensor {
    /// Training-mode dropout (PyTorch's `Dropout`): each value is zeroed with probability `probability` and the
    /// survivors are scaled by 1 / (1 − probability), so the expected value is unchanged. In evaluation simply do
    /// not call it.
    /// - Parameters:
    ///   - probability: the chance of dropping a value, in [0, 1].
    ///   - generator: the source of randomness; advanced by one draw per value, in row-major order.
    /// - Returns: the same shape; the gradient flows through the kept values with the same scale.
    public func dropout(probability: Float, using generator: inout SeededGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) must be in [0, 1]")
        if probability == 0 { return self }
        // mask = 0 or 1 / (1 − p); all zeros when p = 1.
        let mask = Tensor(uninitializedShape: shape)
        let keep = probability < 1 ? 1 / (1 - probability) : 0
        let m = mask.storage.pointer
        for i in 0..<count { m[i] = generator.nextUnitFloat() < probability ? 0 : keep }
        let y = Elementwise.zip(self, mask, Multiply())
        return y.recorded("dropout", from: [self]) { g in [Elementwise.zip(g, mask, Multiply())] }
    }
}

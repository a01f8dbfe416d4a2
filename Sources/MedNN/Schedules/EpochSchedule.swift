/// A learning-rate schedule that is a function of the epoch index (the number of times PyTorch's
/// `scheduler.step()` has run: 0 during the first epoch).
public protocol EpochSchedule: Sendable {
    /// The learning rate for epoch `epoch` (≥ 0).
    func learningRate(epoch: Int) -> Float
}

extension EpochSchedule {
    /// Sets `optimizer`'s learning rate for `epoch`.
    public func apply(epoch: Int, to optimizer: any ParameterOptimizer) {
        optimizer.learningRate = learningRate(epoch: epoch)
    }
}
